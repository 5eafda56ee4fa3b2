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

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "fault.h"
#include "log.h"
#include "prefork.h"
#include "privdrop.h"
#include "worker.h"
#include "xmalloc.h"

#define FUNCTIONS_MAX	(1024 * 1024)

static const char *const worker_options[] = {
	"WORKER_PROCESSES", "WORKER_PREFETCH", "AMQP_URL", "AMQP_PASSWORD",
	"REDIS_URL", "REDIS_PASSWORD", "REDIS_FUNCTIONS", "PAYMENT_DELAY_MS",
	"SHIPPING_DELAY_MS", "LOG_LEVEL", "LOG_FORMAT", "STOP_TIMEOUT_MS",
	"USER", NULL
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
	static const struct option longopts[] = {
		{ "processes",	 required_argument, NULL, 'n' },
		{ "prefetch",	 required_argument, NULL, 'p' },
		{ "functions",	 required_argument, NULL, 'f' },
		{ "set",	 required_argument, NULL, 's' },
		{ "log-level",	 required_argument, NULL, 'L' },
		{ "log-format",	 required_argument, NULL, 'F' },
		{ "help",	 no_argument,	    NULL, 'h' },
		{ "version",	 no_argument,	    NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct oms_config cfg;
	struct worker w;
	struct prefork pf;
	char err[256], name[64];
	const char *eq;
	int ch, rc = 0;

	log_init("oms-worker", LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	cfg_defaults(&cfg);
	if (cfg_load_env(&cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "oms-worker: %s\n", err);
		cfg_clear(&cfg);
		return 2;
	}
	while ((ch = getopt_long(argc, argv, "n:p:f:hV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'n':
			rc = cfg_set(&cfg, "WORKER_PROCESSES", optarg, err,
			    sizeof(err));
			break;
		case 'p':
			rc = cfg_set(&cfg, "WORKER_PREFETCH", optarg, err,
			    sizeof(err));
			break;
		case 'f':
			rc = cfg_set(&cfg, "REDIS_FUNCTIONS", optarg, err,
			    sizeof(err));
			break;
		case 'L':
			rc = cfg_set(&cfg, "LOG_LEVEL", optarg, err,
			    sizeof(err));
			break;
		case 'F':
			rc = cfg_set(&cfg, "LOG_FORMAT", optarg, err,
			    sizeof(err));
			break;
		case 's':
			if ((eq = strchr(optarg, '=')) == NULL ||
			    (size_t)(eq - optarg) >= sizeof(name)) {
				snprintf(err, sizeof(err),
				    "--set wants NAME=VALUE");
				rc = -1;
				break;
			}
			snprintf(name, sizeof(name), "%.*s",
			    (int)(eq - optarg), optarg);
			rc = cfg_set(&cfg, name, eq + 1, err, sizeof(err));
			break;
		case 'h':
			usage(stdout);
			cfg_clear(&cfg);
			return 0;
		case 'V':
			printf("oms-worker (%s) %s\n", PACKAGE_NAME,
			    PACKAGE_VERSION);
			if (fault_enabled())
				printf("built with fault injection (OMS_FAULT)"
				    "; for tests only\n");
			cfg_clear(&cfg);
			return 0;
		default:
			usage(stderr);
			cfg_clear(&cfg);
			return 2;
		}
		if (rc == -1) {
			fprintf(stderr, "oms-worker: %s\n", err);
			cfg_clear(&cfg);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "oms-worker: unexpected argument '%s'\n",
		    argv[optind]);
		cfg_clear(&cfg);
		return 2;
	}

	log_init("oms-worker", cfg.log_level, cfg.log_format);
	cfg_log(&cfg);
	signal(SIGPIPE, SIG_IGN);

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
	cfg_clear(&cfg);
	return rc == 0 ? 0 : 1;
}
