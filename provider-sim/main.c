/*
 * oms-provider-sim — a payment and shipping provider for tests, the soak
 * and demos: it speaks the provider contract of docs/providers.md, keeps
 * a record of everything it did, and lets delays and faults be switched
 * at run time (PUT /_sim/config).
 *
 * main() runs in a fixed order: options, configuration (defaults <
 * environment < flags), logging, the open-file limit raised (each held
 * request is a socket), signals blocked (the server's threads inherit
 * that), the timer thread, the routes, the HTTP server; then it waits for
 * SIGTERM or SIGINT and stops in the reverse order.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "cfg.h"
#include "cliargs.h"
#include "httpd.h"
#include "log.h"
#include "routes.h"
#include "timerq.h"

static const char *const sim_options[] = {
	"PROVIDER_SIM_LISTEN", "PAYMENT_DELAY_MS", "SHIPPING_DELAY_MS",
	"PROVIDER_SIM_JITTER_PCT", "PAYMENT_TOKEN", "SHIPPING_TOKEN",
	"MAX_BODY_BYTES", "LOG_LEVEL", "LOG_FORMAT", NULL
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: oms-provider-sim [OPTION]...\n"
	    "Simulate the payment and shipping providers of oms over HTTP "
	    "(the contract of\ndocs/providers.md), with records of every call "
	    "and faults switchable at run time.\n\n"
	    "Options (each overrides the environment variable shown below):\n"
	    "  -l, --listen=HOST:PORT        where to listen "
	    "(OMS_PROVIDER_SIM_LISTEN)\n"
	    "      --set NAME=VALUE          set any option below by name\n"
	    "      --log-level=LEVEL         error|warn|info|debug\n"
	    "      --log-format=FORMAT       text|json\n"
	    "  -h, --help                    print this help and exit\n"
	    "  -V, --version                 print the version and exit\n\n"
	    "Environment:\n");
	cfg_usage(out, sim_options);
	fprintf(out, "\nAt run time: PUT /_sim/config {\"paymentDelayMs\", "
	    "\"shippingDelayMs\", \"jitterPct\",\n\"errorRate\", "
	    "\"errorAfterRate\", \"unavailableMs\", \"stallMs\"}; GET "
	    "/_sim/stats; records\nat GET /charges, /refunds, /shipments, "
	    "/voids [?orderId=ID].\n"
	    "Signals: SIGTERM/SIGINT answer what is held and stop.\n"
	    "Report bugs to <%s>.\n", PACKAGE_BUGREPORT);
}

/* Raises the soft open-file limit to the hard one. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit RLIMIT_NOFILE");
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2048)
		log_warnx("only %lu open files allowed: fewer requests can "
		    "wait at once", (unsigned long)rl.rlim_cur);
}

int
main(int argc, char *argv[])
{
	static const struct cliargs_flag flags[] = {
		{ 'l', "listen",	"PROVIDER_SIM_LISTEN" },
		{ 0, NULL, NULL }
	};
	struct oms_config cfg;
	struct routes_config rc;
	struct routes *r = NULL;
	struct timerq *tq = NULL;
	struct httpd *h = NULL;
	sigset_t set;
	char err[256];
	int sig, rv = 1;

	switch (cliargs_configure(&cfg, argc, argv, "oms-provider-sim", flags,
	    usage)) {
	case CLIARGS_RUN:
		break;
	case CLIARGS_EXIT_OK:
		return 0;
	default:
		return 2;
	}
	raise_nofile();
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((tq = timerq_start(httpd_timer_fire, NULL)) == NULL) {
		log_warn("cannot start the timer thread");
		goto out;
	}
	memset(&rc, 0, sizeof(rc));
	rc.payment_token = cfg.payment_token;
	rc.shipping_token = cfg.shipping_token;
	rc.payment_delay_ms = cfg.payment_delay_ms;
	rc.shipping_delay_ms = cfg.shipping_delay_ms;
	rc.jitter_pct = cfg.provider_sim_jitter_pct;
	r = routes_new(&rc, tq);
	if ((h = httpd_start(cfg.provider_sim_listen, r, tq,
	    cfg.max_body_bytes, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		goto out;
	}
	log_info("listening on %s (payment token %s, shipping token %s)",
	    cfg.provider_sim_listen, cfg.payment_token ? "set" : "unset",
	    cfg.shipping_token ? "set" : "unset");
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_info("SIGHUP: nothing to reload (use PUT "
			    "/_sim/config)");
			continue;
		}
		log_info("signal %d: stopping", sig);
		break;
	}
	rv = 0;
out:
	httpd_stop(h);
	routes_free(r);
	timerq_free(tq);
	cfg_clear(&cfg);
	return rv;
}
