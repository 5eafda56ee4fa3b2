/*
 * oms-notify — delivers order events to webhook subscribers (docs/webhooks.md).
 *
 * A daemon of its own rather than a role of oms-worker: a slow or dead
 * receiver then never competes with the order flow for a process, and it
 * scales, restarts and is permitted separately (its own RabbitMQ user, which
 * may only consume oms-notify-queue, and Redis user, which may write only
 * oms:webhook:* and its metrics). main() runs in the daemons' fixed order:
 * options, configuration (defaults < environment < flags), logging, the
 * HTTP library (curl_global_init, before any fork), privilege drop, then
 * the pre-fork master with OMS_NOTIFY_PROCESSES processes.
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
#include "notify.h"
#include "prefork.h"
#include "privdrop.h"

static const char *const notify_options[] = {
	"AMQP_URL", "AMQP_PASSWORD", "REDIS_URL", "REDIS_PASSWORD",
	"LOG_LEVEL", "LOG_FORMAT", "STOP_TIMEOUT_MS", "USER", NULL
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: oms-notify [OPTION]...\n"
	    "Deliver the order events of oms-notify-queue to the webhook\n"
	    "subscribers: signed POSTs, retried with backoff for up to 3 days.\n\n"
	    "Options (each overrides the environment variable shown below):\n"
	    "      --set NAME=VALUE          set any shared option by name\n"
	    "      --log-level=LEVEL         error|warn|info|debug\n"
	    "      --log-format=FORMAT       text|json\n"
	    "  -h, --help                    print this help and exit\n"
	    "  -V, --version                 print the version and exit\n\n"
	    "Environment (shared):\n");
	cfg_usage(out, notify_options);
	fprintf(out, "\nEnvironment (oms-notify):\n");
	notify_config_usage(out);
	fprintf(out, "\nSignals: SIGTERM/SIGINT stop gracefully (deliveries in "
	    "flight finish),\nSIGHUP replaces the processes one by one.\n"
	    "Report bugs to <%s>.\n", PACKAGE_BUGREPORT);
}

int
main(int argc, char *argv[])
{
	static const struct cliargs_flag flags[] = {
		{ 0, NULL, NULL }
	};
	struct oms_config cfg;
	struct notify_config nc;
	struct notify n;
	struct prefork pf;
	char err[160];
	int rc;

	switch (cliargs_configure(&cfg, argc, argv, "oms-notify", flags,
	    usage)) {
	case CLIARGS_RUN:
		break;
	case CLIARGS_EXIT_OK:
		return 0;
	default:
		return 2;
	}
	if (notify_config_load(&nc, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		cfg_clear(&cfg);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (http_global_init() == -1) {
		log_warnx("curl_global_init failed");
		notify_config_clear(&nc);
		cfg_clear(&cfg);
		return 1;
	}
	if (privdrop(cfg.user) == -1) {
		http_global_cleanup();
		notify_config_clear(&nc);
		cfg_clear(&cfg);
		return 1;
	}
	log_info("oms-notify: %d process%s, delivery timeout %d ms, first "
	    "retry within %d ms, give up after %lld s%s%s", nc.processes,
	    nc.processes == 1 ? "" : "es", nc.timeout_ms, nc.retry_first_ms,
	    nc.max_age_s, nc.allow_http ? ", http allowed" : "",
	    nc.allow_private ? ", private addresses allowed" : "");

	memset(&n, 0, sizeof(n));
	n.cfg = &cfg;
	n.nc = &nc;
	memset(&pf, 0, sizeof(pf));
	pf.name = "oms-notify";
	pf.nprocs = nc.processes;
	pf.stop_timeout_ms = cfg.stop_timeout_ms;
	pf.child_main = notify_child_main;
	pf.arg = &n;
	rc = prefork_run(&pf);

	http_global_cleanup();
	notify_config_clear(&nc);
	cfg_clear(&cfg);
	return rc == 0 ? 0 : 1;
}
