/*
 * config.c — the settings only oms-notify has, from the environment
 * (OMS_WEBHOOK_*, OMS_NOTIFY_*), beside the shared struct oms_config
 * (lib/cfg.c) it reads for the broker, Redis and logging. Kept apart so the
 * shared configuration does not grow with one daemon's options; read once
 * in main() before forking, read-only afterwards.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "xmalloc.h"

struct notify_opt {
	const char	*name;		/* after OMS_ */
	long long	 def, min, max;
	size_t		 off;		/* of an int, or the long long */
	const char	*help;
};

#define OFF(m)	offsetof(struct notify_config, m)
static const struct notify_opt notify_opts[] = {
	{ "NOTIFY_PROCESSES", 1, 1, 64, OFF(processes),
	    "dispatcher processes" },
	{ "NOTIFY_PREFETCH", 32, 1, 1000, OFF(prefetch),
	    "unacked events per process" },
	{ "WEBHOOK_ALLOW_HTTP", 0, 0, 1, OFF(allow_http),
	    "1: deliver to http:// URLs too" },
	{ "WEBHOOK_ALLOW_PRIVATE", 0, 0, 1, OFF(allow_private),
	    "1: deliver to loopback, link-local and private addresses" },
	{ "WEBHOOK_TIMEOUT_MS", 10000, 100, 60000, OFF(timeout_ms),
	    "a delivery's whole call" },
	{ "WEBHOOK_RETRY_FIRST_MS", 10000, 10, 3600000, OFF(retry_first_ms),
	    "the ceiling of the first retry's delay" },
	{ "WEBHOOK_RETRY_MAX_MS", 3600000, 10, 86400000, OFF(retry_max_ms),
	    "the ceiling of any retry's delay" },
	{ "WEBHOOK_MAX_AGE_S", 259200, 10, 2592000, OFF(max_age_s),
	    "give up (failed) this long after the first attempt" },
	{ "WEBHOOK_INFLIGHT_PER_SUB", 8, 1, 1000, OFF(inflight_per_sub),
	    "deliveries in flight per subscription and process" },
	{ "WEBHOOK_INFLIGHT_MAX", 256, 1, 10000, OFF(inflight_max),
	    "deliveries in flight per process" },
};
#define NOTIFY_NOPTS	(sizeof(notify_opts) / sizeof(notify_opts[0]))

int
notify_config_load(struct notify_config *nc, char *err, size_t errlen)
{
	char name[64];
	const char *s;

	memset(nc, 0, sizeof(*nc));
	for (size_t i = 0; i < NOTIFY_NOPTS; i++) {
		const struct notify_opt *o = &notify_opts[i];
		long long v = o->def;
		char *end;

		snprintf(name, sizeof(name), "OMS_%s", o->name);
		if ((s = getenv(name)) != NULL && *s != '\0') {
			errno = 0;
			v = strtoll(s, &end, 10);
			if (errno != 0 || *end != '\0' || v < o->min ||
			    v > o->max) {
				snprintf(err, errlen, "%s: an integer from "
				    "%lld to %lld", name, o->min, o->max);
				return -1;
			}
		}
		if (o->off == OFF(max_age_s))
			nc->max_age_s = v;
		else
			*(int *)(void *)((char *)nc + o->off) = (int)v;
	}
	if ((s = getenv("OMS_WEBHOOK_CA_FILE")) != NULL && *s != '\0')
		nc->ca_file = xstrdup(s);
	return 0;
}

void
notify_config_clear(struct notify_config *nc)
{
	free(nc->ca_file);
	memset(nc, 0, sizeof(*nc));
}

void
notify_config_usage(FILE *out)
{
	for (size_t i = 0; i < NOTIFY_NOPTS; i++)
		fprintf(out, "  OMS_%-26s %s (default %lld)\n",
		    notify_opts[i].name, notify_opts[i].help,
		    notify_opts[i].def);
	fprintf(out, "  OMS_%-26s %s\n", "WEBHOOK_CA_FILE",
	    "trusted CA certificates for https (default: the system's)");
}
