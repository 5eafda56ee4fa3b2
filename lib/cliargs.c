/*
 * cliargs.c — the shared command line of oms-fcgi and oms-worker (see
 * cliargs.h): one getopt_long table built from the daemon's flags and the
 * common ones, each value handed to cfg_set() so that flags and
 * environment are checked by the same rules.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cliargs.h"
#include "fault.h"
#include "log.h"

#define CLIARGS_MAX	16

/* Applies argv to cfg. */
static enum cliargs_result
cliargs_parse(struct oms_config *cfg, int argc, char *argv[], const char *prog,
    const struct cliargs_flag *flags, void (*usage)(FILE *))
{
	struct option longopts[CLIARGS_MAX + 6];
	char shortopts[2 * CLIARGS_MAX + 8], err[256], name[64];
	const char *eq;
	size_t n = 0, s = 0;
	int ch, rc;

	for (; n < CLIARGS_MAX && flags[n].ch != 0; n++) {
		longopts[n] = (struct option){ flags[n].longname,
		    required_argument, NULL, flags[n].ch };
		shortopts[s++] = (char)flags[n].ch;
		shortopts[s++] = ':';
	}
	longopts[n++] = (struct option){ "set", required_argument, NULL, 's' };
	longopts[n++] = (struct option){ "log-level", required_argument, NULL,
	    'L' };
	longopts[n++] = (struct option){ "log-format", required_argument, NULL,
	    'F' };
	longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[n++] = (struct option){ "version", no_argument, NULL, 'V' };
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };
	memcpy(shortopts + s, "hV", 3);

	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) !=
	    -1) {
		const struct cliargs_flag *f;

		switch (ch) {
		case 'L':
			rc = cfg_set(cfg, "LOG_LEVEL", optarg, err,
			    sizeof(err));
			break;
		case 'F':
			rc = cfg_set(cfg, "LOG_FORMAT", optarg, err,
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
			rc = cfg_set(cfg, name, eq + 1, err, sizeof(err));
			break;
		case 'h':
			usage(stdout);
			return CLIARGS_EXIT_OK;
		case 'V':
			printf("%s (%s) %s\n", prog, PACKAGE_NAME,
			    PACKAGE_VERSION);
			if (fault_enabled())
				printf("built with fault injection (OMS_FAULT)"
				    "; for tests only\n");
			return CLIARGS_EXIT_OK;
		default:
			for (f = flags; f->ch != 0 && f->ch != ch; f++)
				;
			if (f->ch == 0) {
				usage(stderr);
				return CLIARGS_EXIT_USAGE;
			}
			rc = cfg_set(cfg, f->name, optarg, err, sizeof(err));
			break;
		}
		if (rc == -1) {
			fprintf(stderr, "%s: %s\n", prog, err);
			return CLIARGS_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog,
		    argv[optind]);
		usage(stderr);
		return CLIARGS_EXIT_USAGE;
	}
	return CLIARGS_RUN;
}

enum cliargs_result
cliargs_configure(struct oms_config *cfg, int argc, char *argv[],
    const char *prog, const struct cliargs_flag *flags, void (*usage)(FILE *))
{
	enum cliargs_result r;
	char err[256];

	log_init(prog, LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	cfg_defaults(cfg);
	if (cfg_load_env(cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", prog, err);
		cfg_clear(cfg);
		return CLIARGS_EXIT_USAGE;
	}
	if ((r = cliargs_parse(cfg, argc, argv, prog, flags, usage)) !=
	    CLIARGS_RUN) {
		cfg_clear(cfg);
		return r;
	}
	log_init(prog, cfg->log_level, cfg->log_format);
	cfg_log(cfg);
	return CLIARGS_RUN;
}
