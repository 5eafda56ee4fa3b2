/*
 * The command line every oms daemon shares: its own flags bound to
 * configuration names, plus --set NAME=VALUE, --log-level, --log-format,
 * --help and --version, all parsed by one getopt_long loop.
 */
#ifndef OMS_CLIARGS_H
#define OMS_CLIARGS_H

#include <stdio.h>

#include "cfg.h"

/* A daemon's own flag: short option ch (also its getopt_long value)
 * sets the configuration option name. */
struct cliargs_flag {
	int		 ch;
	const char	*longname;
	const char	*name;
};

enum cliargs_result {
	CLIARGS_RUN = 0,	/* go on */
	CLIARGS_EXIT_OK,	/* --help or --version was printed: exit 0 */
	CLIARGS_EXIT_USAGE	/* a message was printed: exit 2 */
};

/* The start-up of a daemon: fills cfg from the defaults, the environment
 * and then argv (flags win), sets up logging as configured and logs the
 * configuration. prog names the program in messages and --version; usage
 * prints the help; flags ends with an entry whose ch is 0. On
 * CLIARGS_RUN the caller owns cfg (cfg_clear() it); otherwise cfg is
 * already cleared and the caller exits (0 for CLIARGS_EXIT_OK, else 2). */
enum cliargs_result cliargs_configure(struct oms_config *cfg, int argc,
	    char *argv[], const char *prog, const struct cliargs_flag *flags,
	    void (*usage)(FILE *));

#endif
