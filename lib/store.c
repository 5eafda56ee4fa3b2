/*
 * store.c — the Redis client (hiredis 0.14), the only file that includes
 * hiredis.
 *
 * A hiredis context is unusable after any error (REFERENCES.md), so every
 * failure frees the context and the next call reconnects — but not before
 * a backoff delay (100 ms doubling to 2 s) so a child does not hammer a
 * Redis that is down. Every connection authenticates as an ACL user
 * (AUTH user password) and selects the URL's database. Library errors are
 * turned into enum oms_err here and described in errstr, which never holds
 * the password.
 *
 * With a redis-sentinel:// URL the master is found as the Sentinel client
 * rules say (redis.io, "Sentinel client spec"): ask each Sentinel in turn,
 * with a short timeout, SENTINEL get-master-addr-by-name; the first that
 * answers is asked first next time; connect to the address, authenticate,
 * and check with ROLE that it is a master (a Sentinel may be behind). A
 * Sentinel that answers NOAUTH gets the same AUTH user password as the
 * data nodes (docs/reliability.md). A lost connection, or a -READONLY,
 * -LOADING or -MASTERDOWN reply (the node is no longer, or not yet, a
 * usable master), drops the connection: the next call resolves again.
 * store_wait_replicas() is Redis's WAIT on the connection of the write.
 */
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <hiredis/hiredis.h>

#include "clock.h"
#include "log.h"
#include "store_impl.h"
#include "url.h"
#include "xmalloc.h"

#define STORE_BACKOFF_MIN_MS	100
#define STORE_BACKOFF_MAX_MS	2000
#define STORE_SENTINEL_MS	300	/* at most, to ask one Sentinel */

struct store {
	struct oms_url	 url;		/* owned */
	char		*user;		/* owned */
	char		*password;	/* owned, wiped on free; may be NULL */
	int		 timeout_ms;	/* for connecting, and the default */
	int		 cmd_timeout_ms; /* for commands now */
	redisContext	*ctx;		/* NULL: not connected */
	int64_t		 retry_at_ms;
	int		 backoff_ms;
	int		 sentinel;	/* url is redis-sentinel:// */
	size_t		 sentinel_first; /* the one to ask first */
	char		 errstr[128];
};


struct store *
store_new(const char *url, const char *password, const char *default_user,
    int timeout_ms, char *err, size_t errlen)
{
	struct store *st = xcalloc(1, sizeof(*st));

	if (url_parse(url, &st->url, err, errlen) != OMS_OK) {
		free(st);
		return NULL;
	}
	st->sentinel = strcmp(st->url.scheme, "redis-sentinel") == 0;
	if (strcmp(st->url.scheme, "redis") != 0 &&
	    strcmp(st->url.scheme, "unix") != 0 && !st->sentinel) {
		snprintf(err, errlen, "REDIS_URL: scheme must be redis://, "
		    "unix:// or redis-sentinel://");
		url_clear(&st->url);
		free(st);
		return NULL;
	}
	st->user = xstrdup(st->url.user != NULL ? st->url.user : default_user);
	if (password != NULL)
		st->password = xstrdup(password);
	else if (st->url.password != NULL)
		st->password = xstrdup(st->url.password);
	st->timeout_ms = timeout_ms;
	st->cmd_timeout_ms = timeout_ms;
	snprintf(st->errstr, sizeof(st->errstr), "not connected");
	return st;
}

static void
store_disconnect(struct store *st)
{
	if (st->ctx != NULL) {
		redisFree(st->ctx);
		st->ctx = NULL;
	}
}

void
store_free(struct store *st)
{
	if (st == NULL)
		return;
	store_disconnect(st);
	if (st->password != NULL) {
		explicit_bzero(st->password, strlen(st->password));
		free(st->password);
	}
	free(st->user);
	url_clear(&st->url);
	free(st);
}

const char *
store_errstr(const struct store *st)
{
	return st->errstr;
}

/* Records a failure, drops the connection and schedules the next try. */
static enum oms_err
store_fail(struct store *st, const char *what, const char *why)
{
	snprintf(st->errstr, sizeof(st->errstr), "%s: %s", what, why);
	store_disconnect(st);
	st->backoff_ms = st->backoff_ms == 0 ? STORE_BACKOFF_MIN_MS :
	    st->backoff_ms * 2;
	if (st->backoff_ms > STORE_BACKOFF_MAX_MS)
		st->backoff_ms = STORE_BACKOFF_MAX_MS;
	st->retry_at_ms = clock_ms() + st->backoff_ms;
	log_debug("redis: %s", st->errstr);
	return OMS_EUNAVAIL;
}

/* Sends one command whose reply must be the status "OK". */
static enum oms_err
store_expect_ok(struct store *st, const char *what, redisReply *r)
{
	enum oms_err rc = OMS_OK;

	if (r == NULL)
		return store_fail(st, what, st->ctx->errstr);
	if (r->type != REDIS_REPLY_STATUS || strcmp(r->str, "OK") != 0)
		rc = store_fail(st, what, r->type == REDIS_REPLY_ERROR ?
		    r->str : "unexpected reply");
	freeReplyObject(r);
	return rc;
}

static struct timeval
store_tv(int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

/* Asks one Sentinel, at hosts[i], for the master's address. Returns 0 and
 * fills host and *port, or -1 with the reason in why. */
static int
store_ask_sentinel(struct store *st, size_t i, char *host, size_t hostlen,
    int *port, char *why, size_t whylen)
{
	const struct url_host *h = &st->url.hosts[i];
	int ms = st->timeout_ms < STORE_SENTINEL_MS ? st->timeout_ms :
	    STORE_SENTINEL_MS;
	redisContext *c = redisConnectWithTimeout(h->host, h->port,
	    store_tv(ms));
	redisReply *r = NULL;
	int rc = -1;

	if (c == NULL || c->err || redisSetTimeout(c, store_tv(ms)) !=
	    REDIS_OK) {
		snprintf(why, whylen, "sentinel %s:%d: %s", h->host, h->port,
		    c != NULL ? c->errstr : "out of memory");
		goto done;
	}
	r = redisCommand(c, "SENTINEL get-master-addr-by-name %s",
	    st->url.path);
	if (r != NULL && r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "NOAUTH", 6) == 0 && st->password != NULL) {
		freeReplyObject(r);
		r = redisCommand(c, "AUTH %s %s", st->user, st->password);
		if (r != NULL && r->type == REDIS_REPLY_STATUS) {
			freeReplyObject(r);
			r = redisCommand(c, "SENTINEL get-master-addr-by-name "
			    "%s", st->url.path);
		}
	}
	if (r == NULL)
		snprintf(why, whylen, "sentinel %s:%d: %s", h->host, h->port,
		    c->errstr);
	else if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    r->element[1]->type == REDIS_REPLY_STRING &&
	    r->element[0]->len < hostlen &&
	    (*port = atoi(r->element[1]->str)) > 0 && *port < 65536) {
		memcpy(host, r->element[0]->str, r->element[0]->len + 1);
		rc = 0;
	} else
		snprintf(why, whylen, "sentinel %s:%d: %s", h->host, h->port,
		    r->type == REDIS_REPLY_ERROR ? r->str :
		    r->type == REDIS_REPLY_NIL ? "no such master" :
		    "unexpected reply");
done:
	if (r != NULL)
		freeReplyObject(r);
	if (c != NULL)
		redisFree(c);
	return rc;
}

/* Finds the master through the Sentinels, in order from the last one that
 * answered. Returns 0 with host and *port filled, or -1 (errstr set). */
static int
store_resolve(struct store *st, char *host, size_t hostlen, int *port)
{
	char why[160] = "no sentinel";

	for (size_t k = 0; k < st->url.nhosts; k++) {
		size_t i = (st->sentinel_first + k) % st->url.nhosts;

		if (store_ask_sentinel(st, i, host, hostlen, port, why,
		    sizeof(why)) == 0) {
			st->sentinel_first = i;
			return 0;
		}
		log_debug("redis: %s", why);
	}
	store_fail(st, "resolve", why);
	return -1;
}

/* Checks with ROLE that the connected node is a master. */
static enum oms_err
store_check_master(struct store *st)
{
	redisReply *r = redisCommand(st->ctx, "ROLE");
	enum oms_err rc = OMS_OK;

	if (r == NULL)
		return store_fail(st, "role", st->ctx->errstr);
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    strcmp(r->element[0]->str, "master") != 0)
		rc = store_fail(st, "role", r->type == REDIS_REPLY_ERROR ?
		    r->str : "the node the sentinels named is not a master");
	freeReplyObject(r);
	return rc;
}

/* True when the server closed an idle connection (a restart, a failover,
 * its timeout): between commands Redis sends nothing, so anything to
 * read, or a hang-up, means the socket is dead. */
static int
store_closed(const struct store *st)
{
	struct pollfd pfd;

	pfd.fd = st->ctx->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) > 0;
}

/* Connects, authenticates and selects the database, unless connected. A
 * connection the server closed while it was idle is replaced at once,
 * without a backoff: its command was never sent (an oms-fcgi child holds
 * one per thread, most of them idle when Redis restarts). */
static enum oms_err
store_connect(struct store *st)
{
	struct timeval tv;
	char host[256] = "";
	int port = 0;

	if (st->ctx != NULL && !store_closed(st))
		return OMS_OK;
	if (st->ctx != NULL) {
		log_debug("redis: the server closed the connection; "
		    "reconnecting");
		store_disconnect(st);
	}
	if (clock_ms() < st->retry_at_ms)
		return OMS_EUNAVAIL;	/* errstr still says why */

	tv = store_tv(st->timeout_ms);
	if (st->sentinel) {
		if (store_resolve(st, host, sizeof(host), &port) == -1)
			return OMS_EUNAVAIL;
		st->ctx = redisConnectWithTimeout(host, port, tv);
	} else if (strcmp(st->url.scheme, "unix") == 0)
		st->ctx = redisConnectUnixWithTimeout(st->url.path, tv);
	else
		st->ctx = redisConnectWithTimeout(st->url.host, st->url.port,
		    tv);
	if (st->ctx == NULL)
		return store_fail(st, "connect", "out of memory");
	if (st->ctx->err)
		return store_fail(st, "connect", st->ctx->errstr);
	if (redisSetTimeout(st->ctx, tv) != REDIS_OK)
		return store_fail(st, "timeout", st->ctx->errstr);
	st->cmd_timeout_ms = st->timeout_ms;

	if (st->password != NULL && store_expect_ok(st, "auth",
	    redisCommand(st->ctx, "AUTH %s %s", st->user, st->password)) !=
	    OMS_OK)
		return OMS_EUNAVAIL;
	if (st->sentinel && store_check_master(st) != OMS_OK)
		return OMS_EUNAVAIL;
	if (st->url.db != 0 && store_expect_ok(st, "select",
	    redisCommand(st->ctx, "SELECT %d", st->url.db)) != OMS_OK)
		return OMS_EUNAVAIL;
	st->backoff_ms = 0;
	if (st->sentinel)
		log_info("redis: connected to master %s:%d (sentinel)", host,
		    port);
	snprintf(st->errstr, sizeof(st->errstr), "connected");
	return OMS_OK;
}

/* store_moved for the text err of an error reply. */
static int
store_moved_err(const struct store *st, const char *err)
{
	return st->sentinel && (strncmp(err, "READONLY", 8) == 0 ||
	    strncmp(err, "LOADING", 7) == 0 ||
	    strncmp(err, "MASTERDOWN", 10) == 0);
}

/* True for the error replies after which, behind Sentinels, the node is
 * not the master to talk to: the command did not run; resolve again. */
static int
store_moved(const struct store *st, const redisReply *hr)
{
	return hr->type == REDIS_REPLY_ERROR && store_moved_err(st, hr->str);
}

enum oms_err
store_ping(struct store *st)
{
	redisReply *r;
	enum oms_err rc = OMS_OK;

	if (store_connect(st) != OMS_OK)
		return OMS_EUNAVAIL;
	if ((r = redisCommand(st->ctx, "PING")) == NULL)
		return store_fail(st, "ping", st->ctx->errstr);
	if (r->type != REDIS_REPLY_STATUS || strcmp(r->str, "PONG") != 0)
		rc = store_fail(st, "ping", r->type == REDIS_REPLY_ERROR ?
		    r->str : "unexpected reply");
	freeReplyObject(r);
	return rc;
}

/* Takes a hiredis reply (NULL: no answer) and hands out our copy. */
static enum oms_err
store_finish(struct store *st, redisReply *hr, struct store_reply **out)
{
	*out = NULL;
	if (hr == NULL)
		return store_fail(st, "command", st->ctx->errstr);
	if (store_moved(st, hr)) {
		store_fail(st, "command", hr->str);
		freeReplyObject(hr);
		return OMS_EUNAVAIL;
	}
	*out = store_reply_copy(hr);
	freeReplyObject(hr);
	return OMS_OK;
}

enum oms_err
store_cmdv(struct store *st, struct store_reply **out, int argc,
    const char *const *argv, const size_t *argvlen)
{
	*out = NULL;
	if (store_connect(st) != OMS_OK)
		return OMS_EUNAVAIL;
	return store_finish(st, redisCommandArgv(st->ctx, argc,
	    (const char **)argv, argvlen), out);
}

enum oms_err
store_cmd(struct store *st, struct store_reply **out, const char *fmt, ...)
{
	va_list ap;
	redisReply *hr;

	*out = NULL;
	if (store_connect(st) != OMS_OK)
		return OMS_EUNAVAIL;
	va_start(ap, fmt);
	hr = redisvCommand(st->ctx, fmt, ap);
	va_end(ap);
	return store_finish(st, hr, out);
}

enum oms_err
store_cmd_strict(struct store *st, struct store_reply **out,
    const char *fmt, ...)
{
	va_list ap;
	redisReply *hr;
	enum oms_err rc;

	*out = NULL;
	if (store_connect(st) != OMS_OK)
		return OMS_EUNAVAIL;
	va_start(ap, fmt);
	hr = redisvCommand(st->ctx, fmt, ap);
	va_end(ap);
	if ((rc = store_finish(st, hr, out)) != OMS_OK)
		return rc;
	if ((*out)->type == STORE_ERROR) {
		/* Redis answered but did not do it (LOADING, OOM, NOPERM,
		 * WRONGTYPE, ...): the connection stays usable. */
		snprintf(st->errstr, sizeof(st->errstr), "error reply: %.100s",
		    (*out)->str);
		store_reply_free(*out);
		*out = NULL;
		return OMS_EUNAVAIL;
	}
	return OMS_OK;
}

void
store_set_timeout(struct store *st, int timeout_ms)
{
	struct timeval tv;

	if (st->ctx == NULL || timeout_ms == st->cmd_timeout_ms)
		return;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if (redisSetTimeout(st->ctx, tv) == REDIS_OK)
		st->cmd_timeout_ms = timeout_ms;
}

enum oms_err
store_pipeline(struct store *st, const char *fmt, const char *const *args,
    size_t n, struct store_reply **out)
{
	redisReplyObjectFunctions *saved;
	size_t i;

	if (store_connect(st) != OMS_OK)
		return OMS_EUNAVAIL;
	for (i = 0; i < n; i++)
		if (redisAppendCommand(st->ctx, fmt, args[i]) != REDIS_OK)
			return store_fail(st, "pipeline", st->ctx->errstr);
	/* our reply objects straight from the reader (store_reply.c) */
	saved = st->ctx->reader->fn;
	st->ctx->reader->fn = &store_reply_functions;
	for (i = 0; i < n; i++) {
		void *v = NULL;

		if (redisGetReply(st->ctx, &v) != REDIS_OK || v == NULL) {
			while (i > 0)
				store_reply_free(out[--i]);
			return store_fail(st, "pipeline", st->ctx->errstr);
		}
		out[i] = v;
		if (out[i]->type == STORE_ERROR &&
		    store_moved_err(st, out[i]->str)) {
			store_fail(st, "pipeline", out[i]->str);
			i++;
			while (i > 0)
				store_reply_free(out[--i]);
			return OMS_EUNAVAIL;
		}
	}
	st->ctx->reader->fn = saved;
	return OMS_OK;
}

enum oms_err
store_wait_replicas(struct store *st, int n, int timeout_ms)
{
	redisReply *r;
	int before = st->cmd_timeout_ms;
	enum oms_err rc = OMS_OK;

	if (n <= 0)
		return OMS_OK;
	if (st->ctx == NULL) {
		/* Never WAIT on a new connection: it has written nothing. */
		snprintf(st->errstr, sizeof(st->errstr), "wait: the "
		    "connection of the write was lost");
		return OMS_EUNAVAIL;
	}
	if (timeout_ms < 1)
		timeout_ms = 1;		/* WAIT n 0 would block forever */
	store_set_timeout(st, timeout_ms + st->timeout_ms);
	if ((r = redisCommand(st->ctx, "WAIT %d %d", n, timeout_ms)) == NULL)
		return store_fail(st, "wait", st->ctx->errstr);
	if (r->type == REDIS_REPLY_INTEGER && r->integer >= n)
		store_set_timeout(st, before);
	else if (r->type == REDIS_REPLY_INTEGER) {
		store_set_timeout(st, before);
		snprintf(st->errstr, sizeof(st->errstr), "wait: %lld of %d "
		    "replicas acknowledged within %d ms", r->integer, n,
		    timeout_ms);
		log_debug("redis: %s", st->errstr);
		rc = OMS_EUNAVAIL;
	} else
		rc = store_fail(st, "wait", r->type == REDIS_REPLY_ERROR ?
		    r->str : "unexpected reply");
	freeReplyObject(r);
	return rc;
}
