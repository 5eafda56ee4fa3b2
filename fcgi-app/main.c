/*
 * oms-fcgi — the HTTP face of oms, a pre-forked FastCGI server behind nginx.
 *
 * main() runs in a fixed order: options, configuration (defaults <
 * environment < flags), logging, the listen socket, then the pre-fork
 * master, which forks the children that run app_child_main().
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcgiapp.h>

#include "app.h"
#include "cfg.h"
#include "cliargs.h"
#include "log.h"
#include "prefork.h"
#include "privdrop.h"
#include "waiters.h"

#define FCGI_BACKLOG	1024

static const char *const fcgi_options[] = {
	"FCGI_LISTEN", "FCGI_SOCKET_MODE", "FCGI_PROCESSES",
	"FCGI_THREADS", "FCGI_MAX_REQUESTS", "FCGI_MAX_WAITING", "MAX_BODY_BYTES", "AMQP_URL",
	"AMQP_PASSWORD", "REDIS_URL", "REDIS_PASSWORD", "REDIS_MIN_REPLICAS",
	"REDIS_WAIT_MS", "LOG_LEVEL", "LOG_FORMAT", "STOP_TIMEOUT_MS", "USER",
	NULL
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: oms-fcgi [OPTION]...\n"
	    "Serve the oms HTTP API over FastCGI behind nginx, with a pool of\n"
	    "pre-forked processes.\n\n"
	    "Options (each overrides the environment variable shown below):\n"
	    "  -l, --listen=PATH|HOST:PORT   FastCGI socket (OMS_FCGI_LISTEN)\n"
	    "  -n, --processes=N             children (OMS_FCGI_PROCESSES)\n"
	    "  -m, --max-requests=N          recycle a child after N requests\n"
	    "      --set NAME=VALUE          set any option below by name\n"
	    "      --log-level=LEVEL         error|warn|info|debug\n"
	    "      --log-format=FORMAT       text|json\n"
	    "  -h, --help                    print this help and exit\n"
	    "  -V, --version                 print the version and exit\n\n"
	    "Environment:\n");
	cfg_usage(out, fcgi_options);
	fprintf(out, "\nSignals: SIGTERM/SIGINT stop gracefully, SIGHUP "
	    "replaces the children one by one.\n"
	    "Report bugs to <%s>.\n", PACKAGE_BUGREPORT);
}

/* Opens the FastCGI listen socket; a unix socket gets cfg's mode. */
static int
open_listener(const struct oms_config *cfg)
{
	int fd;

	if (FCGX_Init() != 0)
		fatalx("FCGX_Init failed");
	if ((fd = FCGX_OpenSocket(cfg->fcgi_listen, FCGI_BACKLOG)) < 0)
		fatalx("cannot listen on %s", cfg->fcgi_listen);
	if (strchr(cfg->fcgi_listen, '/') != NULL &&
	    chmod(cfg->fcgi_listen, (mode_t)cfg->fcgi_socket_mode) == -1)
		fatal("chmod %s", cfg->fcgi_listen);
	return fd;
}

int
main(int argc, char *argv[])
{
	static const struct cliargs_flag flags[] = {
		{ 'l', "listen",	"FCGI_LISTEN" },
		{ 'n', "processes",	"FCGI_PROCESSES" },
		{ 'm', "max-requests",	"FCGI_MAX_REQUESTS" },
		{ 0, NULL, NULL }
	};
	struct oms_config cfg;
	struct app app;
	struct prefork pf;
	int rc;

	switch (cliargs_configure(&cfg, argc, argv, "oms-fcgi", flags, usage)) {
	case CLIARGS_RUN:
		break;
	case CLIARGS_EXIT_OK:
		return 0;
	default:
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);

	if (app_metrics_init() == -1)
		log_warn("metrics: shared memory unavailable; /metrics is empty");
	if (cfg.fcgi_max_waiting == 0)
		cfg.fcgi_max_waiting = cfg.fcgi_processes * cfg.fcgi_threads /
		    4 > 1 ? cfg.fcgi_processes * cfg.fcgi_threads / 4 : 1;
	if (cfg.fcgi_max_waiting > WAITERS_MAX)
		cfg.fcgi_max_waiting = WAITERS_MAX;
	if (waiters_init(cfg.fcgi_max_waiting) == -1)
		log_warn("Prefer: wait: shared memory unavailable; no request "
		    "will wait");
	memset(&app, 0, sizeof(app));
	app.cfg = &cfg;
	app.listen_fd = open_listener(&cfg);
	log_info("listening on %s", cfg.fcgi_listen);
	if (privdrop(cfg.user) == -1) {
		cfg_clear(&cfg);
		return 1;
	}

	memset(&pf, 0, sizeof(pf));
	pf.name = "oms-fcgi";
	pf.nprocs = cfg.fcgi_processes;
	pf.stop_timeout_ms = cfg.stop_timeout_ms;
	pf.child_main = app_child_main;
	pf.arg = &app;
	pf.on_stop = app_on_stop;
	rc = prefork_run(&pf);

	if (strchr(cfg.fcgi_listen, '/') != NULL)
		unlink(cfg.fcgi_listen);
	cfg_clear(&cfg);
	return rc == 0 ? 0 : 1;
}
