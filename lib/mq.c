/*
 * mq.c — the RabbitMQ client (rabbitmq-c 0.11): the client object, its
 * connection (TCP, login, channel, publisher confirms), reconnecting and the
 * nodes of a cluster, and the one place where library and broker errors
 * become ours. The other files of the module share struct mq through
 * mq_impl.h: mq_publish.c (publishing and waiting for confirms),
 * mq_async.c (confirms reported as they come), mq_consume.c (consuming,
 * basic.get, acks), mq_topology.c (the declares); only these five include
 * rabbitmq-c.
 *
 * rabbitmq-c has no automatic recovery and its blocking calls can hang on a
 * dead peer (REFERENCES.md), so every socket operation runs under a
 * timeout, and on any error the connection is destroyed without the
 * graceful close and reopened on next use after a backoff (100 ms doubling
 * to 2 s). A connection that was idle may have been dropped by the broker
 * (missed heartbeats): an operation that fails on an old connection is
 * retried once on a fresh one. Library and broker errors meet here
 * (mq_reply, mq_fail) and become OMS_EUNAVAIL plus a description in
 * errstr (never the password).
 *
 * A URL may list the nodes of a cluster (amqp://u@h1,h2,h3/oms): each
 * process starts at a random one, a connection that drops makes the next
 * one start at the next node, a node that fails is followed at once by the
 * next, and the backoff applies only after a whole round failed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>

#include "clock.h"
#include "log.h"
#include "mq.h"
#include "mq_impl.h"
#include "url.h"
#include "xmalloc.h"



struct mq *
mq_new(const char *url, const char *password, const char *default_user,
    int timeout_ms, char *err, size_t errlen)
{
	struct mq *mq = xcalloc(1, sizeof(*mq));

	if (url_parse(url, &mq->url, err, errlen) != OMS_OK) {
		free(mq);
		return NULL;
	}
	if (strcmp(mq->url.scheme, "amqp") != 0) {
		snprintf(err, errlen, "AMQP_URL: scheme must be amqp://");
		url_clear(&mq->url);
		free(mq);
		return NULL;
	}
	mq->user = xstrdup(mq->url.user != NULL ? mq->url.user : default_user);
	mq->password = xstrdup(password != NULL ? password :
	    mq->url.password != NULL ? mq->url.password : "");
	mq->timeout_ms = timeout_ms;
	/* Spread the processes over the nodes (not a secret: no need for
	 * good randomness). */
	mq->host = ((size_t)getpid() ^ (size_t)clock_ms()) % mq->url.nhosts;
	snprintf(mq->errstr, sizeof(mq->errstr), "not connected");
	return mq;
}

static void
mq_disconnect(struct mq *mq)
{
	if (mq->conn != NULL) {
		amqp_destroy_connection(mq->conn);
		mq->conn = NULL;
	}
}

void
mq_free(struct mq *mq)
{
	if (mq == NULL)
		return;
	mq_disconnect(mq);
	explicit_bzero(mq->password, strlen(mq->password));
	free(mq->password);
	free(mq->consume_queue);
	free(mq->unconfirmed);
	mq_async_free(mq);
	free(mq->user);
	url_clear(&mq->url);
	free(mq);
}

const char *
mq_errstr(const struct mq *mq)
{
	return mq->errstr;
}

const char *
mq_user(const struct mq *mq)
{
	return mq->user;
}

enum oms_err
mq_fail(struct mq *mq, const char *what, const char *why)
{
	snprintf(mq->errstr, sizeof(mq->errstr), "%s: %s", what, why);
	mq_disconnect(mq);
	/* Their confirms can no longer come: enqueued or not, unknown. */
	if (mq->nunconfirmed > 0)
		mq->window_lost = 1;
	mq->nunconfirmed = 0;
	mq->backoff_ms = mq->backoff_ms == 0 ? MQ_BACKOFF_MIN_MS :
	    mq->backoff_ms * 2;
	if (mq->backoff_ms > MQ_BACKOFF_MAX_MS)
		mq->backoff_ms = MQ_BACKOFF_MAX_MS;
	mq->retry_at_ms = clock_ms() + mq->backoff_ms;
	log_debug("amqp: %s", mq->errstr);
	return OMS_EUNAVAIL;
}

void
mq_abandon(struct mq *mq, const char *why)
{
	if (mq->conn != NULL)
		(void)mq_fail(mq, "abandoned", why);
}

void
mq_reconnect_now(struct mq *mq)
{
	mq->retry_at_ms = 0;
}

enum oms_err
mq_reply(struct mq *mq, const char *what, amqp_rpc_reply_t r)
{
	char why[96];

	switch (r.reply_type) {
	case AMQP_RESPONSE_NORMAL:
		return OMS_OK;
	case AMQP_RESPONSE_NONE:
		return mq_fail(mq, what, "no reply");
	case AMQP_RESPONSE_LIBRARY_EXCEPTION:
		return mq_fail(mq, what, amqp_error_string2(r.library_error));
	case AMQP_RESPONSE_SERVER_EXCEPTION:
		if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
			amqp_connection_close_t *c = r.reply.decoded;
			snprintf(why, sizeof(why), "connection closed: %u %.*s",
			    c->reply_code, (int)c->reply_text.len,
			    (const char *)c->reply_text.bytes);
		} else if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
			amqp_channel_close_t *c = r.reply.decoded;
			snprintf(why, sizeof(why), "channel closed: %u %.*s",
			    c->reply_code, (int)c->reply_text.len,
			    (const char *)c->reply_text.bytes);
		} else
			snprintf(why, sizeof(why), "broker method 0x%08x",
			    (unsigned)r.reply.id);
		return mq_fail(mq, what, why);
	}
	return mq_fail(mq, what, "unknown reply");
}


/* Opens connection and channel to url.hosts[mq->host]. */
static enum oms_err
mq_connect_one(struct mq *mq)
{
	const struct url_host *h = &mq->url.hosts[mq->host];
	amqp_socket_t *sock;
	struct timeval tv;

	tv.tv_sec = mq->timeout_ms / 1000;
	tv.tv_usec = (mq->timeout_ms % 1000) * 1000;
	if ((mq->conn = amqp_new_connection()) == NULL)
		return mq_fail(mq, "connect", "out of memory");
	if ((sock = amqp_tcp_socket_new(mq->conn)) == NULL)
		return mq_fail(mq, "connect", "cannot create a socket");
	amqp_set_handshake_timeout(mq->conn, &tv);
	amqp_set_rpc_timeout(mq->conn, &tv);
	int status = amqp_socket_open_noblock(sock, h->host, h->port, &tv);
	if (status != AMQP_STATUS_OK)
		return mq_fail(mq, "connect", amqp_error_string2(status));
	if (mq_reply(mq, "login", amqp_login(mq->conn, mq->url.path, 0,
	    AMQP_DEFAULT_FRAME_SIZE, MQ_HEARTBEAT_S, AMQP_SASL_METHOD_PLAIN,
	    mq->user, mq->password)) != OMS_OK)
		return OMS_EUNAVAIL;
	amqp_channel_open(mq->conn, MQ_CHANNEL);
	if (mq_reply(mq, "channel.open", amqp_get_rpc_reply(mq->conn)) !=
	    OMS_OK)
		return OMS_EUNAVAIL;
	/* Publisher confirms: delivery tags count from 1 on this channel. */
	amqp_confirm_select(mq->conn, MQ_CHANNEL);
	if (mq_reply(mq, "confirm.select", amqp_get_rpc_reply(mq->conn)) !=
	    OMS_OK)
		return OMS_EUNAVAIL;
	mq->next_tag = 1;
	mq->generation++;
	mq->refused = 0;
	if (mq->consume_queue != NULL && (mq_topology_declare(mq) != OMS_OK ||
	    mq_consume_start(mq, mq->prefetch) != OMS_OK))
		return OMS_EUNAVAIL;
	return OMS_OK;
}

/* With several nodes: one round, from the node after the one whose
 * connection dropped; the backoff only after the round failed. */
enum oms_err
mq_connect(struct mq *mq, int *fresh)
{
	size_t n = mq->url.nhosts;
	int backoff;

	*fresh = 0;
	if (mq->conn != NULL)
		return OMS_OK;
	if (mq->was_up && n > 1) {
		mq->host = (mq->host + 1) % n;
		mq->retry_at_ms = 0;	/* a new round, at once */
	}
	mq->was_up = 0;
	if (clock_ms() < mq->retry_at_ms)
		return OMS_EUNAVAIL;	/* errstr still says why */
	*fresh = 1;

	backoff = mq->backoff_ms;
	for (size_t k = 0; mq_connect_one(mq) != OMS_OK; k++) {
		if (k + 1 >= n)
			return OMS_EUNAVAIL;	/* mq_fail set the backoff */
		log_debug("amqp: %s:%d: %s", mq->url.hosts[mq->host].host,
		    mq->url.hosts[mq->host].port, mq->errstr);
		mq->host = (mq->host + 1) % n;
		mq->backoff_ms = backoff;
		mq->retry_at_ms = 0;
	}
	mq->backoff_ms = 0;
	mq->was_up = 1;
	log_info("amqp: connected to %s:%d", mq->url.hosts[mq->host].host,
	    mq->url.hosts[mq->host].port);
	snprintf(mq->errstr, sizeof(mq->errstr), "connected");
	return OMS_OK;
}

enum oms_err
mq_check(struct mq *mq)
{
	int fresh;

	for (;;) {
		if (mq_connect(mq, &fresh) != OMS_OK)
			return OMS_EUNAVAIL;
		amqp_exchange_declare(mq->conn, MQ_CHANNEL,
		    amqp_cstring_bytes(OMS_MQ_EXCHANGE),
		    amqp_cstring_bytes("topic"), 1, 0, 0, 0, amqp_empty_table);
		if (mq_reply(mq, "exchange.declare(passive)",
		    amqp_get_rpc_reply(mq->conn)) == OMS_OK)
			return OMS_OK;
		if (fresh)
			return OMS_EUNAVAIL;
		mq->retry_at_ms = 0;	/* an old connection: retry now */
	}
}
