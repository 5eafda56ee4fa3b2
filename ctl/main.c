/*
 * omsctl — administration of oms from the command line (DESIGN.md
 * section 4: `omsctl apikey create|list|revoke`). main() reads the global
 * options and the configuration (defaults < environment < flags), then
 * dispatches on the command word; each command lives in its own module
 * (apikey.c) and returns an exit status: 0 done, 1 a runtime error
 * (explained on stderr), 2 a usage error.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "log.h"
#include "omsctl.h"
#include "mq.h"
#include "store.h"

static const char *const omsctl_options[] = {
	"REDIS_URL", "REDIS_PASSWORD", "AMQP_URL", "AMQP_PASSWORD", NULL
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: omsctl [OPTION]... COMMAND [ARG]...\n"
	    "Administer oms: API keys, orders, the dead-letter queue and a\n"
	    "health check.\n\n"
	    "Commands:\n");
	apikey_usage(out);
	order_usage(out);
	dlq_usage(out);
	check_usage(out);
	webhook_usage(out);
	fprintf(out,
	    "\nOptions:\n"
	    "  -r, --redis-url=URL   Redis URL (overrides OMS_REDIS_URL)\n"
	    "  -h, --help            print this help and exit\n"
	    "  -V, --version         print the version and exit\n\n"
	    "omsctl connects as the Redis ACL user and the RabbitMQ user \"%s\""
	    "\nunless the URL names another.\n\nEnvironment:\n",
	    OMSCTL_REDIS_USER);
	cfg_usage(out, omsctl_options);
	fprintf(out, "\nExit status: 0 on success, 1 on a runtime error "
	    "(e.g. Redis unreachable),\n2 on a usage error.\n"
	    "Report bugs to <%s>.\n", PACKAGE_BUGREPORT);
}

struct store *
omsctl_store(const struct oms_config *cfg)
{
	struct store *st;
	char err[256];

	st = store_new(cfg->redis_url, cfg->redis_password, OMSCTL_REDIS_USER,
	    OMSCTL_TIMEOUT_MS, err, sizeof(err));
	if (st == NULL)
		fprintf(stderr, "omsctl: %s\n", err);
	return st;
}

struct mq *
omsctl_mq(const struct oms_config *cfg)
{
	struct mq *mq;
	char err[256];

	mq = mq_new(cfg->amqp_url, cfg->amqp_password, OMSCTL_REDIS_USER,
	    OMSCTL_TIMEOUT_MS, err, sizeof(err));
	if (mq == NULL)
		fprintf(stderr, "omsctl: %s\n", err);
	return mq;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "redis-url",	required_argument, NULL, 'r' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ "version",	no_argument,	   NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct oms_config cfg;
	char err[256];
	int ch, rc = OMSCTL_USAGE;

	log_init("omsctl", LOG_LEVEL_WARN, LOG_FORMAT_TEXT);
	cfg_defaults(&cfg);
	if (cfg_load_env(&cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "omsctl: %s\n", err);
		goto done;
	}
	/* "+": options after the command word belong to the command */
	while ((ch = getopt_long(argc, argv, "+r:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if (cfg_set(&cfg, "REDIS_URL", optarg, err,
			    sizeof(err)) == -1) {
				fprintf(stderr, "omsctl: %s\n", err);
				goto done;
			}
			break;
		case 'h':
			usage(stdout);
			rc = OMSCTL_OK;
			goto done;
		case 'V':
			printf("omsctl (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			rc = OMSCTL_OK;
			goto done;
		default:
			fprintf(stderr, "Try 'omsctl --help' for more "
			    "information.\n");
			goto done;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "omsctl: missing command\n");
		fprintf(stderr, "Try 'omsctl --help' for more information.\n");
	} else if (strcmp(argv[optind], "apikey") == 0)
		rc = apikey_main(argc - optind, argv + optind, &cfg);
	else if (strcmp(argv[optind], "order") == 0)
		rc = order_main(argc - optind, argv + optind, &cfg);
	else if (strcmp(argv[optind], "dlq") == 0)
		rc = dlq_main(argc - optind, argv + optind, &cfg);
	else if (strcmp(argv[optind], "webhook") == 0)
		rc = webhook_main(argc - optind, argv + optind, &cfg);
	else if (strcmp(argv[optind], "check") == 0)
		rc = check_main(argc - optind, argv + optind, &cfg);
	else {
		fprintf(stderr, "omsctl: unknown command '%s'\n", argv[optind]);
		fprintf(stderr, "Try 'omsctl --help' for more information.\n");
	}
done:
	cfg_clear(&cfg);
	return rc;
}
