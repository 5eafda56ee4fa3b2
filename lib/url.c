/*
 * A parser for the URL forms oms is configured with (see url.h):
 * amqp://, redis://, unix:// (Redis over a unix socket) and
 * redis-sentinel:// (a set of Sentinels and the name of the master they
 * watch); amqp and redis-sentinel URLs may list several hosts. It is pure —
 * bytes in, struct out, no I/O and no DNS — so it is tested with strings.
 * The grammar is the RFC 3986 subset the RabbitMQ URI specification and
 * the Redis clients use: the scheme is matched without regard to case, an
 * IPv6 host is written in brackets, user, password and vhost are
 * percent-decoded (%00 is refused), queries and fragments are refused
 * except "?db=N" on unix URLs. Error messages are fixed strings and never
 * quote the input, so a password cannot leak through them. url_redact()
 * masks the password of a URL, valid or not, before it is logged.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "url.h"
#include "xmalloc.h"

#define URL_UNIX_PATH_MAX	108	/* sizeof(sun_path) on Linux */

/* Writes msg to err, clears u and returns OMS_EINVAL. */
static enum oms_err
url_fail(struct oms_url *u, char *err, size_t errlen, const char *msg)
{
	url_clear(u);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
	return OMS_EINVAL;
}

static int
url_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
url_pct_decode(const char *s, size_t len, char *dst, size_t size,
    int plus_space)
{
	size_t	 i, n = 0;
	int	 hi, lo;

	for (i = 0; i < len; i++) {
		char	 c = s[i];

		if (c == '+' && plus_space)
			c = ' ';
		else if (c == '%') {
			if (len - i < 3 || (hi = url_hexval(s[i + 1])) == -1 ||
			    (lo = url_hexval(s[i + 2])) == -1)
				return URL_DECODE_BAD;
			if ((c = (char)(hi * 16 + lo)) == '\0')
				return URL_DECODE_NUL;
			i += 2;
		}
		if (n + 1 >= size)
			return URL_DECODE_LONG;
		dst[n++] = c;
	}
	if (size > 0)
		dst[n] = '\0';
	return (long)n;
}

/* Percent-decodes n bytes of s into a new string (owned by the caller).
 * Returns NULL on a malformed escape or an encoded NUL byte. */
static char *
url_decode(const char *s, size_t n)
{
	char	*out = xmalloc(n + 1);

	if (url_pct_decode(s, n, out, n + 1, 0) < 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* Parses n > 0 decimal digits (nothing else) as a number in 0..max.
 * Returns it, or -1. */
static long
url_number(const char *s, size_t n, long max)
{
	long	 v = 0;
	size_t	 i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
		if (v > max)
			return -1;
	}
	return v;
}

/* Splits "user[:password]" (n bytes) into u, decoded; an empty user is
 * NULL. Returns 0, or -1 on a bad escape. */
static int
url_userinfo(const char *s, size_t n, struct oms_url *u)
{
	const char	*colon;
	size_t		 ulen;

	colon = memchr(s, ':', n);
	ulen = colon != NULL ? (size_t)(colon - s) : n;
	if (ulen > 0 && (u->user = url_decode(s, ulen)) == NULL)
		return -1;
	if (colon != NULL &&
	    (u->password = url_decode(colon + 1, n - ulen - 1)) == NULL)
		return -1;
	return 0;
}

/* Parses "host[:port]" or "[v6]:port" (n bytes) into h, keeping h->port
 * (the scheme's default) when no port is given. Returns NULL, or a static
 * reason. */
static const char *
url_hostport(const char *s, size_t n, struct url_host *h)
{
	const char	*host = s, *rest, *end = s + n;
	size_t		 hlen;
	long		 port;

	if (n > 0 && s[0] == '[') {
		if ((rest = memchr(s, ']', n)) == NULL)
			return "unterminated IPv6 address";
		host = s + 1;
		hlen = (size_t)(rest - host);
		rest++;
		if (rest < end && *rest != ':')
			return "junk after IPv6 address";
	} else {
		rest = memchr(s, ':', n);
		if (rest == NULL)
			rest = end;
		hlen = (size_t)(rest - s);
		if (rest < end && memchr(rest + 1, ':', (size_t)(end - rest - 1)))
			return "IPv6 address must be in brackets";
	}
	if (hlen == 0)
		return "missing host";
	if (memchr(host, '%', hlen) != NULL || memchr(host, '[', hlen) != NULL)
		return "bad character in host";
	if (rest < end && (port = url_number(rest + 1,
	    (size_t)(end - rest - 1), 65535)) < 1)
		return "port must be a number in 1..65535";
	if (rest < end)
		h->port = (int)port;
	h->host = xstrndup(host, hlen);
	return NULL;
}

/* Parses the n bytes at s, one host or (multi) a comma-separated list of
 * them, into u->hosts; u->host and u->port repeat the first. */
static const char *
url_hosts(const char *s, size_t n, struct oms_url *u, int multi)
{
	const char	*end = s + n, *comma, *why;
	size_t		 count = 1;

	for (comma = s; (comma = memchr(comma, ',', (size_t)(end - comma))) !=
	    NULL; comma++)
		count++;
	if (count > 1 && !multi)
		return "only amqp and redis-sentinel URLs may list several hosts";
	if (count > URL_HOSTS_MAX)
		return "too many hosts (at most 16)";
	u->hosts = xcalloc(count, sizeof(*u->hosts));
	for (; u->nhosts < count; s = comma + 1) {
		struct url_host *h = &u->hosts[u->nhosts++];

		if ((comma = memchr(s, ',', (size_t)(end - s))) == NULL)
			comma = end;
		h->port = u->port;
		if ((why = url_hostport(s, (size_t)(comma - s), h)) != NULL)
			return why;
	}
	u->host = xstrdup(u->hosts[0].host);
	u->port = u->hosts[0].port;
	return NULL;
}

/* Parses the path of a redis-sentinel URL: "/master[?db=N]". The master
 * name is what sentinel.conf calls it: letters, digits, '.', '_', '-'. */
static const char *
url_sentinel_path(const char *s, struct oms_url *u)
{
	size_t	 n;
	long	 db;

	if (*s != '/')
		return "redis-sentinel URL needs /master-name";
	s++;
	n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-");
	if (n == 0 || n > 64)
		return "master name must be 1 to 64 of A-Z a-z 0-9 . _ -";
	u->path = xstrndup(s, n);
	s += n;
	if (*s == '\0')
		return NULL;
	if (strncmp(s, "?db=", 4) != 0)
		return "redis-sentinel URL accepts only the query ?db=N";
	if ((db = url_number(s + 4, strlen(s + 4), INT_MAX)) == -1)
		return "db must be a number in 0..2147483647";
	u->db = (int)db;
	return NULL;
}

/* Parses the part after "unix://": "[userinfo@]/path[?db=N]". */
static const char *
url_unix(const char *s, struct oms_url *u)
{
	const char	*slash, *q;
	long		 db;

	if ((slash = strchr(s, '/')) == NULL)
		return "unix URL needs an absolute socket path";
	/* anything before the path must be "userinfo@" */
	if (slash > s && slash[-1] != '@')
		return "unix URL must not name a host";
	if (slash > s && url_userinfo(s, (size_t)(slash - 1 - s), u) == -1)
		return "bad percent-encoding in user or password";
	q = slash + strcspn(slash, "?#");
	if (*q == '#')
		return "URL fragments are not supported";
	if (q - slash < 2)
		return "unix URL needs an absolute socket path";
	if (q - slash >= URL_UNIX_PATH_MAX)
		return "unix socket path is too long";
	u->path = xstrndup(slash, (size_t)(q - slash));
	if (*q == '\0')
		return NULL;
	if (strncmp(q, "?db=", 4) != 0)
		return "unix URL accepts only the query ?db=N";
	if ((db = url_number(q + 4, strlen(q + 4), INT_MAX)) == -1)
		return "db must be a number in 0..2147483647";
	u->db = (int)db;
	return NULL;
}

/* Parses the path after the authority of an amqp or redis URL. */
static const char *
url_path(const char *s, struct oms_url *u)
{
	char	 num[16];
	long	 db;

	if (strpbrk(s, "?#") != NULL)
		return "URL queries and fragments are not supported";
	if (*s == '/')
		s++;
	if (strcmp(u->scheme, "amqp") == 0) {
		if (*s == '\0') {
			u->path = xstrdup("/");
			return NULL;
		}
		if (strchr(s, '/') != NULL)
			return "vhost must encode '/' as %2F";
		if ((u->path = url_decode(s, strlen(s))) == NULL)
			return "bad percent-encoding in vhost";
		return NULL;
	}
	db = 0;
	if (*s != '\0' && (db = url_number(s, strlen(s), INT_MAX)) == -1)
		return "db must be a number in 0..2147483647";
	u->db = (int)db;
	snprintf(num, sizeof(num), "%d", u->db);
	u->path = xstrdup(num);
	return NULL;
}

enum oms_err
url_parse(const char *s, struct oms_url *u, char *err, size_t errlen)
{
	static const char *const schemes[] = { "amqp", "redis", "unix",
	    "redis-sentinel" };
	static const int ports[] = { 5672, 6379, 0, 26379 };
	const char	*p, *sep, *end, *at, *why;
	size_t		 i, slen;

	memset(u, 0, sizeof(*u));
	if (s == NULL || *s == '\0')
		return url_fail(u, err, errlen, "empty URL");
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return url_fail(u, err, errlen,
			    "URL contains a space or control character");
	if ((sep = strstr(s, "://")) == NULL)
		return url_fail(u, err, errlen, "URL must start with scheme://");
	slen = (size_t)(sep - s);
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (slen == strlen(schemes[i]) &&
		    strncasecmp(s, schemes[i], slen) == 0)
			break;
	if (i == sizeof(schemes) / sizeof(schemes[0]))
		return url_fail(u, err, errlen,
		    "unsupported URL scheme (want amqp, redis, unix or "
		    "redis-sentinel)");
	u->scheme = xstrdup(schemes[i]);
	p = sep + 3;

	if (i == 2) {
		if ((why = url_unix(p, u)) != NULL)
			return url_fail(u, err, errlen, why);
		return OMS_OK;
	}
	u->port = ports[i];
	end = p + strcspn(p, "/?#");
	/* The last '@' ends the userinfo, as in most client libraries. */
	for (at = NULL, sep = p; sep < end; sep++)
		if (*sep == '@')
			at = sep;
	if (at != NULL) {
		if (url_userinfo(p, (size_t)(at - p), u) == -1)
			return url_fail(u, err, errlen,
			    "bad percent-encoding in user or password");
		p = at + 1;
	}
	if ((why = url_hosts(p, (size_t)(end - p), u, i != 1)) != NULL ||
	    (why = i == 3 ? url_sentinel_path(end, u) : url_path(end, u)) !=
	    NULL)
		return url_fail(u, err, errlen, why);
	return OMS_OK;
}

void
url_clear(struct oms_url *u)
{
	if (u->password != NULL)
		explicit_bzero(u->password, strlen(u->password));
	free(u->scheme);
	free(u->user);
	free(u->password);
	free(u->host);
	free(u->path);
	for (size_t i = 0; i < u->nhosts; i++)
		free(u->hosts[i].host);
	free(u->hosts);
	memset(u, 0, sizeof(*u));
}

/* Appends n bytes of s to buf at *off, keeping room for the NUL. */
static void
url_append(char *buf, size_t buflen, size_t *off, const char *s, size_t n)
{
	if (n > buflen - 1 - *off)
		n = buflen - 1 - *off;
	memcpy(buf + *off, s, n);
	*off += n;
	buf[*off] = '\0';
}

/*
 * The password is what lies between the first ':' after "scheme://" and
 * the last '@' of the string. Taking the last '@' of the whole string,
 * not of the authority, also hides a password that contains an unencoded
 * '/' or '@'; at worst a valid URL is masked more than needed.
 */
char *
url_redact(const char *s, char *buf, size_t buflen)
{
	const char	*auth, *at, *colon;
	size_t		 off = 0;

	if (buflen == 0)
		return buf;
	buf[0] = '\0';
	if (s == NULL)
		return buf;
	auth = strstr(s, "://");
	auth = (auth != NULL && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-") == (size_t)(auth - s)) ?
	    auth + 3 : s;
	at = strrchr(auth, '@');
	colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon == NULL) {
		url_append(buf, buflen, &off, s, strlen(s));
		return buf;
	}
	url_append(buf, buflen, &off, s, (size_t)(colon + 1 - s));
	url_append(buf, buflen, &off, "***", 3);
	url_append(buf, buflen, &off, at, strlen(at));
	return buf;
}
