/*
 * Configuration for every oms program (DESIGN.md section 3). All options
 * are described once, in cfg_opts[]: name, type, where the value lives in
 * struct oms_config, the default as text, flags, range and help. Defaults,
 * the environment (OMS_<NAME>, and OMS_<NAME>_FILE where a value may be
 * secret) and command-line flags all go through one setter, cfg_apply(),
 * so each value is checked the same way whatever its source. Integers are
 * parsed strictly: all of the text, in range, or an error naming the
 * variable. Values of secret options never appear in errors or logs, URLs
 * are logged through url_redact(), and secrets are wiped when freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"
#include "url.h"
#include "xmalloc.h"

#define CFG_FILE_MAX	4096	/* bytes read from an OMS_<NAME>_FILE */
#define CFG_PROCS_MAX	1024
#define CFG_NCPU_MAX	16

enum cfg_type {
	CFG_STR,		/* char *, any non-empty text */
	CFG_URL,		/* char *, url_parse() with a listed scheme */
	CFG_INT,		/* int, decimal */
	CFG_OCTAL,		/* int, octal (a file mode) */
	CFG_LONG,		/* long, decimal */
	CFG_LEVEL,		/* enum log_level */
	CFG_FORMAT		/* enum log_format */
};

#define CFG_SECRET	0x01	/* never shown; default unset; _FILE allowed */
#define CFG_FILE	0x02	/* OMS_<NAME>_FILE allowed (may embed a secret) */
#define CFG_NCPU	0x04	/* the default is 2 x online CPUs, at most 16 */

struct cfg_opt {
	const char	*name;
	enum cfg_type	 type;
	size_t		 off;
	const char	*def;		/* NULL: unset (secrets) or CFG_NCPU */
	int		 flags;
	long		 min, max;	/* CFG_INT, CFG_OCTAL, CFG_LONG */
	const char	*schemes;	/* CFG_URL: accepted, space-separated */
	const char	*meta;		/* placeholder in --help */
	const char	*help;
};

#ifndef OMS_PKGDATADIR
#define OMS_PKGDATADIR "/usr/local/share/oms"
#endif

#define OFF(f)	offsetof(struct oms_config, f)

static const struct cfg_opt cfg_opts[] = {
	{ "AMQP_URL", CFG_URL, OFF(amqp_url), "amqp://127.0.0.1:5672/oms",
	    CFG_FILE, 0, 0, "amqp", "URL", "RabbitMQ broker URL" },
	{ "AMQP_PASSWORD", CFG_STR, OFF(amqp_password), NULL,
	    CFG_SECRET, 0, 0, NULL, "SECRET",
	    "RabbitMQ password, overriding the one in AMQP_URL" },
	{ "REDIS_URL", CFG_URL, OFF(redis_url), "redis://127.0.0.1:6379/0",
	    CFG_FILE, 0, 0, "redis unix redis-sentinel", "URL",
	    "Redis URL (redis://host:port/db, unix:///path?db=N or "
	    "redis-sentinel://h1:26379,h2:26379/master?db=N)" },
	{ "REDIS_PASSWORD", CFG_STR, OFF(redis_password), NULL,
	    CFG_SECRET, 0, 0, NULL, "SECRET",
	    "Redis password, overriding the one in REDIS_URL" },
	{ "REDIS_MIN_REPLICAS", CFG_INT, OFF(redis_min_replicas), "0",
	    0, 0, 16, NULL, "N", "replicas that must acknowledge each write "
	    "(WAIT) before it is acknowledged; 0: a single node" },
	{ "REDIS_WAIT_MS", CFG_INT, OFF(redis_wait_ms), "1000",
	    0, 1, 60000, NULL, "MS", "how long a write waits for "
	    "REDIS_MIN_REPLICAS replicas before it counts as failed" },
	{ "FCGI_LISTEN", CFG_STR, OFF(fcgi_listen), "/run/oms/fcgi.sock",
	    0, 0, 0, NULL, "ADDR",
	    "FastCGI listen address: unix socket path or host:port" },
	{ "FCGI_SOCKET_MODE", CFG_OCTAL, OFF(fcgi_socket_mode), "0660",
	    0, 0, 0777, NULL, "MODE", "file mode of the FastCGI unix socket" },
	{ "FCGI_PROCESSES", CFG_INT, OFF(fcgi_processes), NULL,
	    CFG_NCPU, 1, CFG_PROCS_MAX, NULL, "N",
	    "number of pre-forked FastCGI processes" },
	{ "FCGI_THREADS", CFG_INT, OFF(fcgi_threads), "16",
	    0, 1, 64, NULL, "N",
	    "requests one FastCGI process serves at once, each on its own "
	    "thread and Redis connection; their publishes share the "
	    "process' RabbitMQ channel (the confirm window)" },
	{ "FCGI_MAX_REQUESTS", CFG_INT, OFF(fcgi_max_requests), "0",
	    0, 0, INT_MAX, NULL, "N",
	    "requests a FastCGI process serves before it is replaced "
	    "(0: no limit)" },
	{ "FCGI_MAX_WAITING", CFG_INT, OFF(fcgi_max_waiting), "0",
	    0, 0, CFG_PROCS_MAX, NULL, "N",
	    "requests that may wait on Prefer: wait at once; past "
	    "it a write answers 202 without waiting (0: a quarter of "
	    "FCGI_PROCESSES x FCGI_THREADS, at least 1)" },
	{ "WORKER_PROCESSES", CFG_INT, OFF(worker_processes), "8",
	    0, 1, CFG_PROCS_MAX, NULL, "N", "number of worker processes "
	    "(they mostly wait on Redis and confirms: see performance.md)" },
	{ "WORKER_PREFETCH", CFG_INT, OFF(worker_prefetch), "0",
	    0, 0, 65535, NULL, "N",
	    "unacknowledged messages a worker process may hold (AMQP "
	    "basic.qos; 0: WORKER_INFLIGHT)" },
	{ "WORKER_INFLIGHT", CFG_INT, OFF(worker_inflight), "256",
	    0, 1, 65535, NULL, "N",
	    "commands a worker process works on at once (provider calls "
	    "in flight, follow-ups awaiting confirms)" },
	{ "PAYMENT_URL", CFG_STR, OFF(payment_url), "http://127.0.0.1:8090",
	    0, 0, 0, NULL, "URL", "base URL of the payment provider "
	    "(http:// or https://; docs/providers.md)" },
	{ "SHIPPING_URL", CFG_STR, OFF(shipping_url), "http://127.0.0.1:8090",
	    0, 0, 0, NULL, "URL", "base URL of the shipping provider "
	    "(http:// or https://; docs/providers.md)" },
	{ "PROVIDER_TIMEOUT_MS", CFG_INT, OFF(provider_timeout_ms), "10000",
	    0, 100, 600000, NULL, "MS", "the longest a provider call may "
	    "take before it is abandoned and retried" },
	{ "PROVIDER_CA_FILE", CFG_STR, OFF(provider_ca_file), NULL,
	    0, 0, 0, NULL, "PATH", "PEM file of the CAs trusted for "
	    "https provider URLs (unset: the system's store)" },
	{ "LOG_LEVEL", CFG_LEVEL, OFF(log_level), "info",
	    0, 0, 0, NULL, "LEVEL", "log threshold: error, warn, info or debug" },
	{ "LOG_FORMAT", CFG_FORMAT, OFF(log_format), "text",
	    0, 0, 0, NULL, "FORMAT", "log line format: text or json" },
	{ "PAYMENT_DELAY_MS", CFG_INT, OFF(payment_delay_ms), "0",
	    0, 0, 20000, NULL, "MS", "simulated payment processing delay "
	    "(at most 20 s: below the AMQP heartbeat timeout)" },
	{ "SHIPPING_DELAY_MS", CFG_INT, OFF(shipping_delay_ms), "0",
	    0, 0, 20000, NULL, "MS", "simulated shipping processing delay "
	    "(at most 20 s)" },
	{ "PAYMENT_TOKEN", CFG_STR, OFF(payment_token), NULL,
	    CFG_SECRET, 0, 0, NULL, "SECRET", "the payment provider's API "
	    "token (Authorization: Bearer; unset: none is sent or asked)" },
	{ "SHIPPING_TOKEN", CFG_STR, OFF(shipping_token), NULL,
	    CFG_SECRET, 0, 0, NULL, "SECRET", "the shipping provider's API "
	    "token (Authorization: Bearer; unset: none is sent or asked)" },
	{ "PROVIDER_SIM_LISTEN", CFG_STR, OFF(provider_sim_listen),
	    "127.0.0.1:8090", 0, 0, 0, NULL, "HOST:PORT",
	    "where oms-provider-sim listens (IPv6: [addr]:port)" },
	{ "PROVIDER_SIM_JITTER_PCT", CFG_INT, OFF(provider_sim_jitter_pct),
	    "20", 0, 0, 100, NULL, "PCT", "oms-provider-sim: each delay is "
	    "uniformly within +/- this percent of its value" },
	{ "USER", CFG_STR, OFF(user), "nobody", 0, 0, 0, NULL, "NAME",
	    "the user the daemons run as when started as root (they drop "
	    "to it after opening their socket and reading their files)" },
	{ "REDIS_FUNCTIONS", CFG_STR, OFF(redis_functions),
	    OMS_PKGDATADIR "/oms.lua", 0, 0, 0, NULL, "PATH",
	    "the Redis Function library the worker loads at start" },
	{ "MAX_BODY_BYTES", CFG_LONG, OFF(max_body_bytes), "65536",
	    0, 1, 67108864, NULL, "BYTES", "largest accepted request body" },
	{ "STOP_TIMEOUT_MS", CFG_INT, OFF(stop_timeout_ms), "8000",
	    0, 0, 3600000, NULL, "MS",
	    "time children get to finish after SIGTERM before SIGKILL" },
	{ "REQUIRE_PRICES", CFG_INT, OFF(require_prices), "0",
	    0, 0, 1, NULL, "0|1", "1: a create must have a currency and a "
	    "unitPrice on every item (docs/api.md)" },
	{ "REQUIRE_ADDRESS", CFG_INT, OFF(require_address), "0",
	    0, 0, 1, NULL, "0|1", "1: a create must have a shippingAddress" },
};

#define CFG_NOPTS	(sizeof(cfg_opts) / sizeof(cfg_opts[0]))

static const struct cfg_opt *
cfg_find(const char *name)
{
	size_t	 i;

	for (i = 0; name != NULL && i < CFG_NOPTS; i++)
		if (strcmp(cfg_opts[i].name, name) == 0)
			return &cfg_opts[i];
	return NULL;
}

/*
 * Writes the default of o into buf. For CFG_NCPU: 2 x online CPUs, at most
 * CFG_NCPU_MAX. Each child serves FCGI_THREADS requests at once (16 by
 * default: 32 per CPU, which mostly wait for a Redis reply or a publisher
 * confirm); fewer, wider children give the broker deeper confirm windows
 * (docs/performance.md, "The confirm window"). Each thread holds a Redis
 * connection and each child an AMQP one, hence the cap.
 */
static const char *
cfg_default(const struct cfg_opt *o, char *buf, size_t len)
{
	long	 n;

	if (!(o->flags & CFG_NCPU))
		return o->def;
	if ((n = sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		n = 1;
	n = n > CFG_NCPU_MAX / 2 ? CFG_NCPU_MAX : 2 * n;
	snprintf(buf, len, "%ld", n);
	return buf;
}

/* Parses all of s in base (10 or 8) into *out within o's range. */
static int
cfg_number(const struct cfg_opt *o, const char *s, int base, long *out)
{
	char	*end;
	long	 v;

	if (*s == '\0' || *s == ' ' || *s == '\t' || *s == '\n' || *s == '+')
		return -1;
	errno = 0;
	v = strtol(s, &end, base);
	if (errno != 0 || *end != '\0' || v < o->min || v > o->max)
		return -1;
	*out = v;
	return 0;
}

/* Frees a string option's value, wiping it first if it is secret. */
static void
cfg_free_str(const struct cfg_opt *o, char **p)
{
	if (*p != NULL && (o->flags & (CFG_SECRET | CFG_FILE)))
		explicit_bzero(*p, strlen(*p));
	free(*p);
	*p = NULL;
}

/* Sets option o of cfg from value; label names the source in errors.
 * On error cfg is unchanged and err never quotes value. */
static int
cfg_apply(struct oms_config *cfg, const struct cfg_opt *o, const char *value,
    const char *label, char *err, size_t errlen)
{
	void		*dst = (char *)cfg + o->off;
	struct oms_url	 u;
	char		 why[128];
	const char	*sch;
	char		*copy;
	size_t		 n;
	long		 v;

	switch (o->type) {
	case CFG_STR:
		if (*value == '\0' && !(o->flags & CFG_SECRET)) {
			snprintf(err, errlen, "%s: must not be empty", label);
			return -1;
		}
		/* an empty secret means none; copy before freeing, value
		 * may be the current one */
		copy = (*value == '\0') ? NULL : xstrdup(value);
		cfg_free_str(o, dst);
		*(char **)dst = copy;
		return 0;
	case CFG_URL:
		memset(&u, 0, sizeof(u));
		if (url_parse(value, &u, why, sizeof(why)) != OMS_OK) {
			snprintf(err, errlen, "%s: %s", label, why);
			return -1;
		}
		n = strlen(u.scheme);
		for (sch = o->schemes; *sch != '\0'; sch += strcspn(sch, " "),
		    sch += strspn(sch, " "))
			if (strncmp(sch, u.scheme, n) == 0 &&
			    (sch[n] == ' ' || sch[n] == '\0'))
				break;
		url_clear(&u);
		if (*sch == '\0') {
			snprintf(err, errlen, "%s: scheme must be one of: %s",
			    label, o->schemes);
			return -1;
		}
		copy = xstrdup(value);
		cfg_free_str(o, dst);
		*(char **)dst = copy;
		return 0;
	case CFG_INT:
	case CFG_OCTAL:
	case CFG_LONG:
		if (cfg_number(o, value, o->type == CFG_OCTAL ? 8 : 10,
		    &v) == -1) {
			if (o->type == CFG_OCTAL)
				snprintf(err, errlen, "%s: must be an octal "
				    "mode in 0..0%lo", label, (unsigned long)o->max);
			else
				snprintf(err, errlen, "%s: must be an integer "
				    "in %ld..%ld", label, o->min, o->max);
			return -1;
		}
		if (o->type == CFG_LONG)
			*(long *)dst = v;
		else
			*(int *)dst = (int)v;
		return 0;
	case CFG_LEVEL:
		if (log_parse_level(value, (enum log_level *)dst) == -1) {
			snprintf(err, errlen, "%s: must be one of error, warn, "
			    "info, debug", label);
			return -1;
		}
		return 0;
	case CFG_FORMAT:
		if (log_parse_format(value, (enum log_format *)dst) == -1) {
			snprintf(err, errlen, "%s: must be text or json", label);
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "%s: unknown option type", label);
	return -1;
}

void
cfg_defaults(struct oms_config *cfg)
{
	char	 buf[32], err[256];
	size_t	 i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < CFG_NOPTS; i++) {
		const char *def = cfg_default(&cfg_opts[i], buf, sizeof(buf));

		if (def != NULL && cfg_apply(cfg, &cfg_opts[i], def,
		    cfg_opts[i].name, err, sizeof(err)) == -1)
			fatalx("cfg: bad built-in default: %s", err);
	}
}

/* Reads the content of path (at most CFG_FILE_MAX bytes, no NUL byte)
 * into buf, removing one trailing newline. Returns 0, or -1 with a
 * message naming label and path (not the content) in err. */
static int
cfg_read_file(const char *path, char *buf, size_t buflen, const char *label,
    char *err, size_t errlen)
{
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: cannot open %s: %s", label, path,
		    strerror(errno));
		return -1;
	}
	while ((n = read(fd, buf + len, buflen - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: cannot read %s: %s", label,
			    path, strerror(errno));
			goto fail;
		}
		len += (size_t)n;
		if (len == buflen) {
			snprintf(err, errlen, "%s: %s is larger than %zu bytes",
			    label, path, buflen - 1);
			goto fail;
		}
	}
	close(fd);
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: %s contains a NUL byte", label, path);
		return -1;
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return 0;
fail:
	close(fd);
	return -1;
}

/* Applies OMS_<NAME> or OMS_<NAME>_FILE, if set, to option o. */
static int
cfg_load_one(struct oms_config *cfg, const struct cfg_opt *o, char *err,
    size_t errlen)
{
	char		 name[64], fname[64], buf[CFG_FILE_MAX + 1];
	const char	*val, *path = NULL;
	int		 rc;

	snprintf(name, sizeof(name), "OMS_%s", o->name);
	snprintf(fname, sizeof(fname), "OMS_%s_FILE", o->name);
	val = getenv(name);
	if (o->flags & (CFG_SECRET | CFG_FILE))
		path = getenv(fname);
	if (val != NULL && path != NULL) {
		snprintf(err, errlen, "%s and %s are both set; use one",
		    name, fname);
		return -1;
	}
	if (val != NULL)
		return cfg_apply(cfg, o, val, name, err, errlen);
	if (path == NULL)
		return 0;
	rc = cfg_read_file(path, buf, sizeof(buf), fname, err, errlen);
	if (rc == 0)
		rc = cfg_apply(cfg, o, buf, fname, err, errlen);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* Stops at the first bad variable; options before it are already set. */
int
cfg_load_env(struct oms_config *cfg, char *err, size_t errlen)
{
	size_t	 i;

	for (i = 0; i < CFG_NOPTS; i++)
		if (cfg_load_one(cfg, &cfg_opts[i], err, errlen) == -1)
			return -1;
	return 0;
}

/* Errors name the option without the OMS_ prefix, as flags map to it. */
int
cfg_set(struct oms_config *cfg, const char *name, const char *value,
    char *err, size_t errlen)
{
	const struct cfg_opt	*o;

	if ((o = cfg_find(name)) == NULL) {
		snprintf(err, errlen, "unknown option %s", name != NULL ? name :
		    "(null)");
		return -1;
	}
	if (value == NULL) {
		snprintf(err, errlen, "%s: missing value", o->name);
		return -1;
	}
	return cfg_apply(cfg, o, value, o->name, err, errlen);
}

static int
cfg_listed(const char *name, const char *const *names)
{
	if (names == NULL)
		return 1;
	for (; *names != NULL; names++)
		if (strcmp(*names, name) == 0)
			return 1;
	return 0;
}

#define CFG_USAGE_COL	32	/* column of the help text */
#define CFG_USAGE_WIDTH	79

/* Prints one "  LEFT  help" row, GNU style: the help starts at column
 * CFG_USAGE_COL (on the next line if LEFT is too long) and is wrapped at
 * spaces to CFG_USAGE_WIDTH columns; def, if not NULL, follows on a line
 * of its own. */
static void
cfg_usage_row(FILE *out, const char *left, const char *help, const char *def)
{
	const int	 room = CFG_USAGE_WIDTH - CFG_USAGE_COL;
	int		 col;

	col = fprintf(out, "  %s", left);
	while (*help != '\0') {
		int n = (int)strlen(help);

		if (col >= CFG_USAGE_COL - 1) {
			fputc('\n', out);
			col = 0;
		}
		fprintf(out, "%*s", CFG_USAGE_COL - col, "");
		if (n > room) {
			for (n = room; n > 0 && help[n] != ' '; n--)
				;
			if (n == 0)
				n = (int)strcspn(help, " ");
		}
		fprintf(out, "%.*s", n, help);
		help += n;
		help += strspn(help, " ");
		col = CFG_USAGE_WIDTH;
	}
	fputc('\n', out);
	if (def != NULL)
		fprintf(out, "%*s%s\n", CFG_USAGE_COL, "", def);
}

/* Prints the rows of option o. */
static void
cfg_usage_opt(FILE *out, const struct cfg_opt *o)
{
	char	 left[96], def[128], ncpu[32];

	snprintf(left, sizeof(left), "OMS_%s=%s", o->name, o->meta);
	if (o->flags & CFG_SECRET)
		snprintf(def, sizeof(def), "(default: unset)");
	else if (o->flags & CFG_NCPU)
		snprintf(def, sizeof(def),
		    "(default: 2 x online CPUs, at most 16; here %s)",
		    cfg_default(o, ncpu, sizeof(ncpu)));
	else
		snprintf(def, sizeof(def), "(default: %s)", o->def);
	cfg_usage_row(out, left, o->help, def);
	if (o->flags & (CFG_SECRET | CFG_FILE)) {
		char help[128];

		snprintf(left, sizeof(left), "OMS_%s_FILE=PATH", o->name);
		snprintf(help, sizeof(help), "read OMS_%s from PATH (one "
		    "trailing newline removed)", o->name);
		cfg_usage_row(out, left, help, NULL);
	}
}

/* Prints only the option rows; the caller prints any heading. */
void
cfg_usage(FILE *out, const char *const *names)
{
	size_t	 i;

	for (i = 0; i < CFG_NOPTS; i++)
		if (cfg_listed(cfg_opts[i].name, names))
			cfg_usage_opt(out, &cfg_opts[i]);
}

/* Writes the value of option o in cfg, fit to log, into buf. */
static void
cfg_show(const struct oms_config *cfg, const struct cfg_opt *o, char *buf,
    size_t len)
{
	const void	*src = (const char *)cfg + o->off;
	const char	*str = NULL;

	if (o->type == CFG_STR || o->type == CFG_URL)
		str = *(char *const *)src;
	if (o->flags & CFG_SECRET)
		snprintf(buf, len, "%s", str != NULL ? "(set)" : "(unset)");
	else if (o->type == CFG_URL)
		url_redact(str, buf, len);
	else if (o->type == CFG_STR)
		snprintf(buf, len, "%s", str != NULL ? str : "(unset)");
	else if (o->type == CFG_OCTAL)
		snprintf(buf, len, "0%o", (unsigned int)*(const int *)src);
	else if (o->type == CFG_LONG)
		snprintf(buf, len, "%ld", *(const long *)src);
	else if (o->type == CFG_LEVEL)
		snprintf(buf, len, "%s",
		    log_level_name(*(const enum log_level *)src));
	else if (o->type == CFG_FORMAT)
		snprintf(buf, len, "%s", *(const enum log_format *)src ==
		    LOG_FORMAT_JSON ? "json" : "text");
	else
		snprintf(buf, len, "%d", *(const int *)src);
}

/* Logs one info line "config: NAME=value ..." (cut at the log line
 * limit); URLs redacted, secrets as (set) or (unset). */
void
cfg_log(const struct oms_config *cfg)
{
	char	 line[4096], val[512];
	size_t	 i, off = 0;

	line[0] = '\0';
	for (i = 0; i < CFG_NOPTS; i++) {
		int n;

		cfg_show(cfg, &cfg_opts[i], val, sizeof(val));
		n = snprintf(line + off, sizeof(line) - off, " %s=%s",
		    cfg_opts[i].name, val);
		if (n < 0 || (size_t)n >= sizeof(line) - off) {
			line[off] = '\0';	/* drop the partial item */
			break;
		}
		off += (size_t)n;
	}
	log_info("config:%s", line);
}

void
cfg_clear(struct oms_config *cfg)
{
	size_t	 i;

	for (i = 0; i < CFG_NOPTS; i++)
		if (cfg_opts[i].type == CFG_STR || cfg_opts[i].type == CFG_URL)
			cfg_free_str(&cfg_opts[i],
			    (char **)((char *)cfg + cfg_opts[i].off));
	memset(cfg, 0, sizeof(*cfg));
}
