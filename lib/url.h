/*
 * Parsing of the service URLs in the configuration:
 *   amqp://[user[:password]@]host[:port][/vhost]
 *   redis://[user[:password]@]host[:port][/db]
 *   unix:///path/to/redis.sock[?db=N]   (Redis over a unix socket)
 *   redis-sentinel://[user[:password]@]host[:port][,host[:port]...]/master[?db=N]
 * amqp and redis-sentinel URLs may list several comma-separated hosts
 * (a cluster; a set of Sentinels).
 * User, password and vhost are percent-decoded. Pure: no I/O.
 */
#ifndef OMS_URL_H
#define OMS_URL_H

#include <stddef.h>

#include "err.h"

#define URL_HOSTS_MAX	16	/* hosts in one URL */

struct url_host {
	char	*host;
	int	 port;
};

struct oms_url {
	char	*scheme;	/* "amqp", "redis", "unix" or "redis-sentinel" */
	char	*user;		/* NULL when absent */
	char	*password;	/* NULL when absent */
	char	*host;		/* NULL for unix; the first of hosts */
	int	 port;		/* scheme default when absent: 5672, 6379,
				   26379 (sentinel); 0 for unix */
	char	*path;		/* amqp: vhost ("/" when absent); redis: db number
				   as text ("0" when absent); unix: socket path;
				   redis-sentinel: the master's name */
	int	 db;		/* redis, unix, redis-sentinel: the database */
	struct url_host	*hosts;	/* every host in URL order (owned); 1 for
				   amqp and redis, 0 for unix */
	size_t	 nhosts;
};

/* Parses s into u (which the caller zeroes first). Returns OMS_OK or
 * OMS_EINVAL with a reason in err (never containing the password). The
 * caller owns u's strings; free them with url_clear(). */
enum oms_err url_parse(const char *s, struct oms_url *u, char *err, size_t errlen);

/* Percent-decodes the len bytes at s into dst (size bytes, always
 * NUL-terminated when size > 0); with plus_space a '+' is a space (query
 * strings). Returns the decoded length, or URL_DECODE_BAD (a malformed
 * escape), URL_DECODE_NUL (%00) or URL_DECODE_LONG (dst too small). */
#define URL_DECODE_BAD	(-1)
#define URL_DECODE_NUL	(-2)
#define URL_DECODE_LONG	(-3)
long	url_pct_decode(const char *s, size_t len, char *dst, size_t size,
	    int plus_space);

/* Frees u's strings and zeroes it; the password is wiped first. */
void	url_clear(struct oms_url *u);

/* Writes s with any password replaced by "***" into buf (truncating
 * safely). Returns buf. Use this to log a URL. */
char	*url_redact(const char *s, char *buf, size_t buflen);

#endif
