/*
 * oms-worker — consumes order-worker-queue, runs the order flow and keeps
 * the order state in Redis (DESIGN §5–§8).
 *
 * main() runs in a fixed order: options, configuration (defaults <
 * environment < flags), logging, the Function library (read once here,
 * loaded into Redis by the processes), then the pre-fork master, which
 * forks OMS_WORKER_PROCESSES processes running worker_child_main().
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "cliargs.h"
#include "http.h"
#include "log.h"
#include "prefork.h"
#include "privdrop.h"
#include "worker.h"
#include "xmalloc.h"

#define FUNCTIONS_MAX	(1024 * 1024)

static const char *const worker_options[] = {
	"WORKER_PROCESSES", "WORKER_INFLIGHT", "WORKER_PREFETCH", "AMQP_URL",
	"AMQP_PASSWORD", "REDIS_URL", "REDIS_PASSWORD", "REDIS_MIN_REPLICAS",
	"REDIS_WAIT_MS", "REDIS_FUNCTIONS", "PAYMENT_URL", "PAYMENT_TOKEN",
	"SHIPPING_URL", "SHIPPING_TOKEN", "PROVIDER_TIMEOUT_MS",
	"PROVIDER_CA_FILE", "LOG_LEVEL", "LOG_FORMAT", "STOP_TIMEOUT_MS", "USER",
	NULL
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: oms-worker [OPTION]...\n"
	    "Consume the oms command queue, run the order flow and keep the\n"
	    "order state in Redis.\n\n"
	    "Options (each overrides the environment variable shown below):\n"
	    "  -n, --processes=N             worker processes "
	    "(OMS_WORKER_PROCESSES)\n"
	    "  -p, --prefetch=N              unacked messages per process\n"
	    "  -f, --functions=PATH          the Redis Function library "
	    "(oms.lua)\n"
	    "      --set NAME=VALUE          set any option below by name\n"
	    "      --log-level=LEVEL         error|warn|info|debug\n"
	    "      --log-format=FORMAT       text|json\n"
	    "  -h, --help                    print this help and exit\n"
	    "  -V, --version                 print the version and exit\n\n"
	    "Environment:\n");
	cfg_usage(out, worker_options);
	fprintf(out, "\nSignals: SIGTERM/SIGINT stop gracefully (the command in "
	    "hand finishes), SIGHUP\nreplaces the processes one by one.\n"
	    "Report bugs to <%s>.\n", PACKAGE_BUGREPORT);
}

/* Reads the whole library file; the caller owns *text. */
static int
read_functions(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL)
		return -1;
	buf = xmalloc(FUNCTIONS_MAX + 1);
	n = fread(buf, 1, FUNCTIONS_MAX + 1, f);
	fclose(f);
	if (n == 0 || n > FUNCTIONS_MAX) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct cliargs_flag flags[] = {
		{ 'n', "processes",	"WORKER_PROCESSES" },
		{ 'p', "prefetch",	"WORKER_PREFETCH" },
		{ 'f', "functions",	"REDIS_FUNCTIONS" },
		{ 0, NULL, NULL }
	};
	struct oms_config cfg;
	struct worker w;
	struct prefork pf;
	int rc;

	switch (cliargs_configure(&cfg, argc, argv, "oms-worker", flags, usage)) {
	case CLIARGS_RUN:
		break;
	case CLIARGS_EXIT_OK:
		return 0;
	default:
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* before fork: curl_global_init is not thread-safe, and each
	 * process then makes its own multi handle (lib/http.c) */
	if (http_global_init() == -1) {
		log_warnx("cannot initialise libcurl");
		cfg_clear(&cfg);
		return 1;
	}

	memset(&w, 0, sizeof(w));
	w.cfg = &cfg;
	if (read_functions(cfg.redis_functions, &w.functions,
	    &w.functions_len) == -1) {
		log_warn("cannot read the Function library %s",
		    cfg.redis_functions);
		cfg_clear(&cfg);
		return 1;
	}

	if (privdrop(cfg.user) == -1) {
		free(w.functions);
		cfg_clear(&cfg);
		return 1;
	}

	memset(&pf, 0, sizeof(pf));
	pf.name = "oms-worker";
	pf.nprocs = cfg.worker_processes;
	pf.stop_timeout_ms = cfg.stop_timeout_ms;
	pf.child_main = worker_child_main;
	pf.arg = &w;
	rc = prefork_run(&pf);

	free(w.functions);
	http_global_cleanup();
	cfg_clear(&cfg);
	return rc == 0 ? 0 : 1;
}
