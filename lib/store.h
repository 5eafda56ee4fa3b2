/*
 * The Redis client of oms (the only module that includes hiredis). One
 * struct store per process, opened after fork; it reconnects lazily after
 * any error, since a hiredis context is unusable once it has failed.
 */
#ifndef OMS_STORE_H
#define OMS_STORE_H

#include "err.h"

struct store;

/* Creates an unconnected client for url (redis://, unix:// or
 * redis-sentinel://h1:port,h2:port/master?db=N). password
 * overrides the URL's (may be NULL); default_user is used when the URL
 * names none. Returns NULL with a reason in err if the URL is invalid.
 * The caller owns the result; free it with store_free(). */
struct store	*store_new(const char *url, const char *password,
		    const char *default_user, int timeout_ms,
		    char *err, size_t errlen);
void		 store_free(struct store *st);

/* Connects if needed and sends PING. OMS_OK or OMS_EUNAVAIL. */
enum oms_err	 store_ping(struct store *st);

/* A reply, copied out of hiredis so no other module depends on it. */
enum store_type {
	STORE_NIL = 0,
	STORE_STRING,
	STORE_INTEGER,
	STORE_ARRAY,
	STORE_STATUS,		/* +OK */
	STORE_ERROR		/* an error reply of Redis, e.g. NOPERM */
};

struct store_reply {
	enum store_type		 type;
	long long		 integer;	/* STORE_INTEGER */
	char			*str;		/* STRING, STATUS, ERROR; NUL-terminated */
	size_t			 len;		/* of str, which may hold NULs */
	struct store_reply	**elem;		/* STORE_ARRAY */
	size_t			 nelem;
	int			 block;		/* how store.c allocated it; 0:
						   node, elem and str each apart */
};

/* Runs one command given as argc strings of argvlen bytes. On OMS_OK *out
 * is a reply the caller owns (free it with store_reply_free), possibly a
 * STORE_ERROR that Redis answered. Returns OMS_EUNAVAIL when there was no
 * answer (not connected, I/O error, timeout: the command may or may not
 * have run); the connection is then dropped and reopened on next use. */
enum oms_err	 store_cmdv(struct store *st, struct store_reply **out,
		    int argc, const char *const *argv, const size_t *argvlen);

/* Like store_cmdv, with a hiredis format string (%s a C string, %b a
 * pointer and a size_t length, %d, %lld); arguments are never split. */
enum oms_err	 store_cmd(struct store *st, struct store_reply **out,
		    const char *fmt, ...);

/* Like store_cmd, but an error reply of Redis is a failure too: returns
 * OMS_EUNAVAIL with *out NULL and the error in store_errstr() (for callers
 * that answer 503 to it, never treat it as "not found" or "done"). */
enum oms_err	 store_cmd_strict(struct store *st, struct store_reply **out,
		    const char *fmt, ...);

/* Pipelines n commands, each fmt (hiredis format with one %s) applied to
 * args[i], in one round trip. On OMS_OK out[i] is the owned reply of
 * command i; on OMS_EUNAVAIL out holds nothing. */
enum oms_err	 store_pipeline(struct store *st, const char *fmt,
		    const char *const *args, size_t n, struct store_reply **out);

/* Sets the socket timeout for the following commands (e.g. longer for a
 * blocking BLPOP); store_new's timeout_ms is the default. */
void		 store_set_timeout(struct store *st, int timeout_ms);

/* Waits, with Redis's WAIT, until n replicas have acknowledged every
 * write sent so far on this connection, for at most timeout_ms. n <= 0
 * returns OMS_OK at once without a command (a single node). Returns
 * OMS_EUNAVAIL when fewer replicas acknowledged in time (the write stays
 * on the master and may still be lost in a failover; the connection is
 * kept), when the connection was lost since the write (never waits on a
 * new one), or on an error. Call it right after the write, before telling
 * anyone the write happened. */
enum oms_err	 store_wait_replicas(struct store *st, int n, int timeout_ms);

/* Frees r and everything under it; NULL is a no-op. Only the replies the
 * functions above hand out may be freed, never an element of one; a reply
 * built elsewhere (block 0) is freed node by node with free(). */
void		 store_reply_free(struct store_reply *r);

/* The last error, for logs; never contains the password. */
const char	*store_errstr(const struct store *st);

#endif
