/*
 * oms-fcgi — the HTTP face of oms, a pre-forked FastCGI server behind nginx.
 *
 * main() runs in a fixed order: options, configuration (defaults <
 * environment < flags), logging, the listen socket, then the pre-fork
 * master, which forks the children that run app_child_main().
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcgiapp.h>

#include "app.h"
#include "cfg.h"
#include "fault.h"
#include "log.h"
#include "prefork.h"
#include "privdrop.h"

#define FCGI_BACKLOG	1024

static const char *const fcgi_options[] = {
	"FCGI_LISTEN", "FCGI_SOCKET_MODE", "FCGI_PROCESSES",
	"FCGI_MAX_REQUESTS", "MAX_BODY_BYTES", "AMQP_URL", "AMQP_PASSWORD",
	"REDIS_URL", "REDIS_PASSWORD", "LOG_LEVEL", "LOG_FORMAT",
	"STOP_TIMEOUT_MS", "USER", NULL
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
	static const struct option longopts[] = {
		{ "listen",	 required_argument, NULL, 'l' },
		{ "processes",	 required_argument, NULL, 'n' },
		{ "max-requests", required_argument, NULL, 'm' },
		{ "set",	 required_argument, NULL, 's' },
		{ "log-level",	 required_argument, NULL, 'L' },
		{ "log-format",	 required_argument, NULL, 'F' },
		{ "help",	 no_argument,	    NULL, 'h' },
		{ "version",	 no_argument,	    NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct oms_config cfg;
	struct app app;
	struct prefork pf;
	char err[256], name[64];
	const char *eq;
	int ch, rc;

	log_init("oms-fcgi", LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	cfg_defaults(&cfg);
	if (cfg_load_env(&cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "oms-fcgi: %s\n", err);
		cfg_clear(&cfg);
		return 2;
	}

	while ((ch = getopt_long(argc, argv, "l:n:m:hV", longopts,
	    NULL)) != -1) {
		rc = 0;
		switch (ch) {
		case 'l':
			rc = cfg_set(&cfg, "FCGI_LISTEN", optarg, err,
			    sizeof(err));
			break;
		case 'n':
			rc = cfg_set(&cfg, "FCGI_PROCESSES", optarg, err,
			    sizeof(err));
			break;
		case 'm':
			rc = cfg_set(&cfg, "FCGI_MAX_REQUESTS", optarg, err,
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
			printf("oms-fcgi (%s) %s\n", PACKAGE_NAME,
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
			fprintf(stderr, "oms-fcgi: %s\n", err);
			cfg_clear(&cfg);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "oms-fcgi: unexpected argument '%s'\n",
		    argv[optind]);
		usage(stderr);
		cfg_clear(&cfg);
		return 2;
	}

	log_init("oms-fcgi", cfg.log_level, cfg.log_format);
	cfg_log(&cfg);
	signal(SIGPIPE, SIG_IGN);

	if (app_metrics_init() == -1)
		log_warn("metrics: shared memory unavailable; /metrics is empty");
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
