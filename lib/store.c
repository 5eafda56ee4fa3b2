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
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <hiredis/hiredis.h>

#include "log.h"
#include "store.h"
#include "url.h"
#include "xmalloc.h"

#define STORE_BACKOFF_MIN_MS	100
#define STORE_BACKOFF_MAX_MS	2000

struct store {
	struct oms_url	 url;		/* owned */
	char		*user;		/* owned */
	char		*password;	/* owned, wiped on free; may be NULL */
	int		 timeout_ms;	/* for connecting, and the default */
	int		 cmd_timeout_ms; /* for commands now */
	redisContext	*ctx;		/* NULL: not connected */
	int64_t		 retry_at_ms;
	int		 backoff_ms;
	char		 errstr[128];
};

static int64_t
store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct store *
store_new(const char *url, const char *password, const char *default_user,
    int timeout_ms, char *err, size_t errlen)
{
	struct store *st = xcalloc(1, sizeof(*st));

	if (url_parse(url, &st->url, err, errlen) != OMS_OK) {
		free(st);
		return NULL;
	}
	if (strcmp(st->url.scheme, "redis") != 0 &&
	    strcmp(st->url.scheme, "unix") != 0) {
		snprintf(err, errlen, "REDIS_URL: scheme must be redis:// or "
		    "unix://");
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
	st->retry_at_ms = store_now_ms() + st->backoff_ms;
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

/* Connects, authenticates and selects the database, unless connected. */
static enum oms_err
store_connect(struct store *st)
{
	struct timeval tv;

	if (st->ctx != NULL)
		return OMS_OK;
	if (store_now_ms() < st->retry_at_ms)
		return OMS_EUNAVAIL;	/* errstr still says why */

	tv.tv_sec = st->timeout_ms / 1000;
	tv.tv_usec = (st->timeout_ms % 1000) * 1000;
	if (strcmp(st->url.scheme, "unix") == 0)
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
	if (st->url.db != 0 && store_expect_ok(st, "select",
	    redisCommand(st->ctx, "SELECT %d", st->url.db)) != OMS_OK)
		return OMS_EUNAVAIL;
	st->backoff_ms = 0;
	snprintf(st->errstr, sizeof(st->errstr), "connected");
	return OMS_OK;
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

void
store_reply_free(struct store_reply *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nelem; i++)
		store_reply_free(r->elem[i]);
	free(r->elem);
	free(r->str);
	free(r);
}

/* Deep-copies a hiredis reply into ours. */
static struct store_reply *
store_copy(const redisReply *hr)
{
	struct store_reply *r = xcalloc(1, sizeof(*r));

	switch (hr->type) {
	case REDIS_REPLY_STRING:
		r->type = STORE_STRING;
		break;
	case REDIS_REPLY_STATUS:
		r->type = STORE_STATUS;
		break;
	case REDIS_REPLY_ERROR:
		r->type = STORE_ERROR;
		break;
	case REDIS_REPLY_INTEGER:
		r->type = STORE_INTEGER;
		r->integer = hr->integer;
		return r;
	case REDIS_REPLY_ARRAY:
		r->type = STORE_ARRAY;
		r->nelem = hr->elements;
		r->elem = xcalloc(hr->elements > 0 ? hr->elements : 1,
		    sizeof(*r->elem));
		for (size_t i = 0; i < hr->elements; i++)
			r->elem[i] = store_copy(hr->element[i]);
		return r;
	default:
		r->type = STORE_NIL;
		return r;
	}
	r->len = hr->len;
	r->str = xmalloc(hr->len + 1);
	memcpy(r->str, hr->str, hr->len);
	r->str[hr->len] = '\0';
	return r;
}

/* Takes a hiredis reply (NULL: no answer) and hands out our copy. */
static enum oms_err
store_finish(struct store *st, redisReply *hr, struct store_reply **out)
{
	*out = NULL;
	if (hr == NULL)
		return store_fail(st, "command", st->ctx->errstr);
	*out = store_copy(hr);
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
	size_t i;

	if (store_connect(st) != OMS_OK)
		return OMS_EUNAVAIL;
	for (i = 0; i < n; i++)
		if (redisAppendCommand(st->ctx, fmt, args[i]) != REDIS_OK)
			return store_fail(st, "pipeline", st->ctx->errstr);
	for (i = 0; i < n; i++) {
		void *hr = NULL;

		if (redisGetReply(st->ctx, &hr) != REDIS_OK || hr == NULL) {
			while (i > 0)
				store_reply_free(out[--i]);
			return store_fail(st, "pipeline", st->ctx->errstr);
		}
		out[i] = store_copy(hr);
		freeReplyObject(hr);
	}
	return OMS_OK;
}
