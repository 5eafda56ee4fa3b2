/*
 * mq.c — the RabbitMQ client (rabbitmq-c 0.11); with mq_async.c the only
 * files that include rabbitmq-c (they share struct mq through mq_impl.h).
 *
 * rabbitmq-c has no automatic recovery and its blocking calls can hang on a
 * dead peer (REFERENCES.md), so every socket operation runs under a
 * timeout, and on any error the connection is destroyed without the
 * graceful close and reopened on next use after a backoff (100 ms doubling
 * to 2 s). A connection that was idle may have been dropped by the broker
 * (missed heartbeats): an operation that fails on an old connection is
 * retried once on a fresh one. Library and broker errors meet here and
 * become OMS_EUNAVAIL plus a description in errstr (never the password).
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

#include "fault.h"
#include "log.h"
#include "mq.h"
#include "mq_impl.h"
#include "url.h"
#include "xmalloc.h"

static char	*mq_strdup_bytes(amqp_bytes_t b, int present);
static enum oms_err mq_consume_setup(struct mq *mq);

static int64_t
mq_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
	mq->host = ((size_t)getpid() ^ (size_t)mq_now_ms()) % mq->url.nhosts;
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

/* Records a failure, drops the connection and schedules the next try. */
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
	mq->retry_at_ms = mq_now_ms() + mq->backoff_ms;
	log_debug("amqp: %s", mq->errstr);
	return OMS_EUNAVAIL;
}

/* Turns an RPC reply into OMS_OK or a failure described in errstr. */
static enum oms_err
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

/* A declare argument: a long string or a signed 64-bit integer, the types
 * a definitions import gives JSON strings and numbers (equivalence checks
 * compare types too). */
static amqp_table_entry_t
mq_arg_str(const char *key, const char *value)
{
	amqp_table_entry_t e;

	e.key = amqp_cstring_bytes(key);
	e.value.kind = AMQP_FIELD_KIND_UTF8;
	e.value.value.bytes = amqp_cstring_bytes(value);
	return e;
}

static amqp_table_entry_t
mq_arg_long(const char *key, int64_t value)
{
	amqp_table_entry_t e;

	e.key = amqp_cstring_bytes(key);
	e.value.kind = AMQP_FIELD_KIND_I64;
	e.value.value.i64 = value;
	return e;
}

/* Declares oms.events, oms-notify-queue and their binding, as
 * rabbitmq/definitions.json.in does. */
static enum oms_err
mq_events_setup(struct mq *mq)
{
	amqp_table_entry_t args[1];
	amqp_table_t table;

	amqp_exchange_declare(mq->conn, MQ_CHANNEL,
	    amqp_cstring_bytes(OMS_MQ_EVENTS_EXCHANGE),
	    amqp_cstring_bytes("topic"), 0, 1, 0, 0, amqp_empty_table);
	if (mq_reply(mq, "declare " OMS_MQ_EVENTS_EXCHANGE,
	    amqp_get_rpc_reply(mq->conn)) != OMS_OK)
		return OMS_EUNAVAIL;
	args[0] = mq_arg_str("x-queue-type", "quorum");
	table.num_entries = 1;
	table.entries = args;
	amqp_queue_declare(mq->conn, MQ_CHANNEL,
	    amqp_cstring_bytes(OMS_MQ_EVENTS_QUEUE), 0, 1, 0, 0, table);
	if (mq_reply(mq, "declare " OMS_MQ_EVENTS_QUEUE,
	    amqp_get_rpc_reply(mq->conn)) != OMS_OK)
		return OMS_EUNAVAIL;
	amqp_queue_bind(mq->conn, MQ_CHANNEL,
	    amqp_cstring_bytes(OMS_MQ_EVENTS_QUEUE),
	    amqp_cstring_bytes(OMS_MQ_EVENTS_EXCHANGE),
	    amqp_cstring_bytes(OMS_MQ_EVENTS_BINDING), amqp_empty_table);
	return mq_reply(mq, "bind " OMS_MQ_EVENTS_QUEUE,
	    amqp_get_rpc_reply(mq->conn));
}

/* basic.qos prefetch, then a consumer of mq->consume_queue whose tag is
 * kept in mq->consumer_tag (RabbitMQ applies the qos to consumers started
 * after it). */
static enum oms_err
mq_consume_start(struct mq *mq, int prefetch)
{
	amqp_basic_consume_ok_t *ok;

	amqp_basic_qos(mq->conn, MQ_CHANNEL, 0, (uint16_t)(prefetch < 1 ? 1 :
	    prefetch > 65535 ? 65535 : prefetch), 0);
	if (mq_reply(mq, "basic.qos", amqp_get_rpc_reply(mq->conn)) != OMS_OK)
		return OMS_EUNAVAIL;
	ok = amqp_basic_consume(mq->conn, MQ_CHANNEL,
	    amqp_cstring_bytes(mq->consume_queue), amqp_empty_bytes, 0, 0, 0,
	    amqp_empty_table);
	if (mq_reply(mq, "basic.consume", amqp_get_rpc_reply(mq->conn)) !=
	    OMS_OK || ok == NULL)
		return OMS_EUNAVAIL;
	snprintf(mq->consumer_tag, sizeof(mq->consumer_tag), "%.*s",
	    (int)ok->consumer_tag.len, (const char *)ok->consumer_tag.bytes);
	return OMS_OK;
}

/*
 * Declares what the worker uses, exactly as rabbitmq/definitions.json.in
 * does (DESIGN §6), then sets the prefetch and starts consuming.
 */
static enum oms_err
mq_consume_setup(struct mq *mq)
{
	amqp_table_entry_t args[5];
	amqp_table_t table, dead_table;

	if (mq_events_setup(mq) != OMS_OK)
		return OMS_EUNAVAIL;
	if (strcmp(mq->consume_queue, OMS_MQ_EVENTS_QUEUE) == 0)
		goto consume;
	amqp_exchange_declare(mq->conn, MQ_CHANNEL,
	    amqp_cstring_bytes(OMS_MQ_EXCHANGE), amqp_cstring_bytes("topic"),
	    0, 1, 0, 0, amqp_empty_table);
	if (mq_reply(mq, "declare " OMS_MQ_EXCHANGE,
	    amqp_get_rpc_reply(mq->conn)) != OMS_OK)
		return OMS_EUNAVAIL;
	amqp_exchange_declare(mq->conn, MQ_CHANNEL,
	    amqp_cstring_bytes(OMS_MQ_DEAD_EXCHANGE),
	    amqp_cstring_bytes("fanout"), 0, 1, 0, 0, amqp_empty_table);
	if (mq_reply(mq, "declare " OMS_MQ_DEAD_EXCHANGE,
	    amqp_get_rpc_reply(mq->conn)) != OMS_OK)
		return OMS_EUNAVAIL;

	args[0] = mq_arg_str("x-queue-type", "quorum");
	dead_table.num_entries = 1;
	dead_table.entries = args;
	amqp_queue_declare(mq->conn, MQ_CHANNEL,
	    amqp_cstring_bytes(OMS_MQ_DEAD_QUEUE), 0, 1, 0, 0, dead_table);
	if (mq_reply(mq, "declare " OMS_MQ_DEAD_QUEUE,
	    amqp_get_rpc_reply(mq->conn)) != OMS_OK)
		return OMS_EUNAVAIL;
	amqp_queue_bind(mq->conn, MQ_CHANNEL,
	    amqp_cstring_bytes(OMS_MQ_DEAD_QUEUE),
	    amqp_cstring_bytes(OMS_MQ_DEAD_EXCHANGE), amqp_cstring_bytes(""),
	    amqp_empty_table);
	if (mq_reply(mq, "bind " OMS_MQ_DEAD_QUEUE,
	    amqp_get_rpc_reply(mq->conn)) != OMS_OK)
		return OMS_EUNAVAIL;

	args[0] = mq_arg_str("x-queue-type", "quorum");
	args[1] = mq_arg_long("x-delivery-limit", OMS_MQ_DELIVERY_LIMIT);
	args[2] = mq_arg_str("x-dead-letter-exchange", OMS_MQ_DEAD_EXCHANGE);
	args[3] = mq_arg_str("x-dead-letter-strategy", "at-least-once");
	args[4] = mq_arg_str("x-overflow", "reject-publish");
	table.num_entries = 5;
	table.entries = args;
	amqp_queue_declare(mq->conn, MQ_CHANNEL,
	    amqp_cstring_bytes(mq->consume_queue), 0, 1, 0, 0, table);
	if (mq_reply(mq, "declare queue", amqp_get_rpc_reply(mq->conn)) !=
	    OMS_OK)
		return OMS_EUNAVAIL;
	amqp_queue_bind(mq->conn, MQ_CHANNEL,
	    amqp_cstring_bytes(mq->consume_queue),
	    amqp_cstring_bytes(OMS_MQ_EXCHANGE), amqp_cstring_bytes("orders.#"),
	    amqp_empty_table);
	if (mq_reply(mq, "bind queue", amqp_get_rpc_reply(mq->conn)) != OMS_OK)
		return OMS_EUNAVAIL;

consume:
	return mq_consume_start(mq, mq->prefetch);
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
	if (mq->consume_queue != NULL && mq_consume_setup(mq) != OMS_OK)
		return OMS_EUNAVAIL;
	return OMS_OK;
}

/* Opens connection and channel unless open. *fresh says whether it did.
 * With several nodes: one round, from the node after the one whose
 * connection dropped; the backoff only after the round failed. */
static enum oms_err
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
	if (mq_now_ms() < mq->retry_at_ms)
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
	if (n > 1)
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

/* Time left until deadline_ms, as a timeval; 0 when past. */
static int
mq_time_left(int64_t deadline_ms, struct timeval *tv)
{
	int64_t left = deadline_ms - mq_now_ms();

	if (left <= 0)
		return 0;
	tv->tv_sec = left / 1000;
	tv->tv_usec = (left % 1000) * 1000;
	return 1;
}

/* Records that the broker confirmed tag (and every earlier one when
 * multiple): they leave the unconfirmed list. */
static void
mq_settle(struct mq *mq, uint64_t tag, int multiple)
{
	size_t i = 0, n = mq->nunconfirmed;

	if (multiple) {
		while (i < n && mq->unconfirmed[i] <= tag)
			i++;
		memmove(mq->unconfirmed, mq->unconfirmed + i,
		    (n - i) * sizeof(*mq->unconfirmed));
		mq->nunconfirmed = n - i;
		return;
	}
	while (i < n && mq->unconfirmed[i] != tag)
		i++;
	if (i == n)
		return;		/* not ours (an earlier window's) */
	memmove(mq->unconfirmed + i, mq->unconfirmed + i + 1,
	    (n - i - 1) * sizeof(*mq->unconfirmed));
	mq->nunconfirmed = n - 1;
}

/*
 * Waits until the broker confirmed every unconfirmed tag. It may first
 * send a basic.return (a message was unroutable; its content frames follow
 * and are drained: the wait then fails), acks that cover several tags
 * (`multiple`), or a channel/connection close. A nack of any of ours
 * fails the wait. On failure the connection is dropped (mq_fail).
 */
static enum oms_err
mq_wait_confirms(struct mq *mq)
{
	int64_t deadline = mq_now_ms() + mq->timeout_ms;
	int returned = 0;
	struct timeval tv;
	amqp_frame_t frame;
	amqp_message_t msg;
	int status;

	while (mq->nunconfirmed > 0) {
		if (!mq_time_left(deadline, &tv))
			return mq_fail(mq, "publish", "no confirm in time");
		status = amqp_simple_wait_frame_noblock(mq->conn, &frame, &tv);
		if (status == AMQP_STATUS_TIMEOUT)
			return mq_fail(mq, "publish", "no confirm in time");
		if (status != AMQP_STATUS_OK)
			return mq_fail(mq, "publish", amqp_error_string2(status));
		if (frame.frame_type != AMQP_FRAME_METHOD)
			continue;

		switch (frame.payload.method.id) {
		case AMQP_BASIC_ACK_METHOD: {
			amqp_basic_ack_t *ack = frame.payload.method.decoded;

			mq_settle(mq, ack->delivery_tag, ack->multiple);
			continue;
		}
		case AMQP_BASIC_NACK_METHOD: {
			amqp_basic_nack_t *nack = frame.payload.method.decoded;

			/* single or multiple: below our first tag, it is
			 * an earlier window's */
			if (nack->delivery_tag < mq->unconfirmed[0])
				continue;
			return mq_fail(mq, "publish", "the broker refused the "
			    "message (nack)");
		}
		case AMQP_BASIC_RETURN_METHOD:
			returned = 1;
			if (amqp_read_message(mq->conn, frame.channel, &msg,
			    0).reply_type != AMQP_RESPONSE_NORMAL)
				return mq_fail(mq, "publish", "cannot read a "
				    "returned message");
			amqp_destroy_message(&msg);
			continue;
		case AMQP_CHANNEL_CLOSE_METHOD: {
			amqp_channel_close_t *c = frame.payload.method.decoded;
			char why[96];

			snprintf(why, sizeof(why), "channel closed: %u %.*s",
			    c->reply_code, (int)c->reply_text.len,
			    (const char *)c->reply_text.bytes);
			return mq_fail(mq, "publish", why);
		}
		case AMQP_CONNECTION_CLOSE_METHOD:
			return mq_fail(mq, "publish", "connection closed by "
			    "the broker");
		default:
			continue;
		}
	}
	if (returned)
		return mq_fail(mq, "publish", "unroutable: no queue is bound "
		    "for this routing key");
	return OMS_OK;
}

/* Sends m on the current connection and adds its tag to the unconfirmed
 * list; does not wait. */
static enum oms_err
mq_send(struct mq *mq, const struct mq_message *m)
{
	amqp_basic_properties_t props;
	amqp_bytes_t body;
	int status;

	memset(&props, 0, sizeof(props));
	props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG |
	    AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG |
	    AMQP_BASIC_TYPE_FLAG | AMQP_BASIC_TIMESTAMP_FLAG |
	    AMQP_BASIC_APP_ID_FLAG;
	props.content_type = amqp_cstring_bytes("application/json");
	props.delivery_mode = 2;	/* persistent */
	props.message_id = amqp_cstring_bytes(m->message_id);
	props.type = amqp_cstring_bytes(m->routing_key);
	props.timestamp = (uint64_t)time(NULL);
	props.app_id = amqp_cstring_bytes(m->app_id);
	/* The broker checks user_id against the connection's user and
	 * refuses any other value (PRECONDITION_FAILED), so a consumer can
	 * trust it to name the publisher (issue 14). */
	props._flags |= AMQP_BASIC_USER_ID_FLAG;
	props.user_id = amqp_cstring_bytes(m->user_id != NULL ? m->user_id :
	    mq->user);
	if (m->correlation_id != NULL) {
		props._flags |= AMQP_BASIC_CORRELATION_ID_FLAG;
		props.correlation_id = amqp_cstring_bytes(m->correlation_id);
	}
	body.bytes = (void *)(uintptr_t)m->body;
	body.len = m->len;

	status = amqp_basic_publish(mq->conn, MQ_CHANNEL,
	    amqp_cstring_bytes(m->exchange != NULL ? m->exchange :
	    OMS_MQ_EXCHANGE),
	    amqp_cstring_bytes(m->routing_key), 1, 0, &props, body);
	if (status != AMQP_STATUS_OK)
		return mq_fail(mq, "publish", amqp_error_string2(status));
	if (mq->nunconfirmed == mq->unconfirmed_cap) {
		mq->unconfirmed_cap = mq->unconfirmed_cap == 0 ? 16 :
		    mq->unconfirmed_cap * 2;
		mq->unconfirmed = xrealloc(mq->unconfirmed,
		    mq->unconfirmed_cap, sizeof(*mq->unconfirmed));
	}
	mq->unconfirmed[mq->nunconfirmed++] = mq->next_tag++;
	return OMS_OK;
}

/* Connects if needed and sends m. A send that fails on an old connection
 * (the broker may have dropped it while idle) is tried once more on a
 * fresh one, unless messages sent on the old one await their confirms.
 * *fresh says whether the send went on a new connection. */
enum oms_err
mq_connect_send(struct mq *mq, const struct mq_message *m, int *fresh)
{
	size_t pending;

	for (;;) {
		if (mq_connect(mq, fresh) != OMS_OK)
			return OMS_EUNAVAIL;
		pending = mq->nunconfirmed;
		if (mq_send(mq, m) == OMS_OK)
			return OMS_OK;
		if (*fresh || pending > 0)
			return OMS_EUNAVAIL;
		mq->retry_at_ms = 0;
	}
}

enum oms_err
mq_publish(struct mq *mq, const struct mq_message *m)
{
	int fresh;

	for (;;) {
		if (mq_connect_send(mq, m, &fresh) != OMS_OK)
			return OMS_EUNAVAIL;
		if (mq_confirm_all(mq) == OMS_OK)
			return OMS_OK;
		if (fresh)
			return OMS_EUNAVAIL;
		/* No confirm on an old connection: once more, on a fresh one
		 * (a duplicate is harmless). */
		mq->retry_at_ms = 0;
	}
}

/* Tests (OMS_FAULT=mq-unsent-every=N): every Nth mq_publish_nowait of the
 * process fails before sending, as when the broker cannot be reached. */
int
mq_fault_unsent(struct mq *mq)
{
	static long calls;
	long every = fault_value("mq-unsent-every");

	if (every <= 0 || ++calls % every != 0)
		return 0;
	snprintf(mq->errstr, sizeof(mq->errstr), "publish: not sent (fault "
	    "injection)");
	return 1;
}

enum oms_err
mq_publish_nowait(struct mq *mq, const struct mq_message *m)
{
	int fresh;

	if (mq->window_lost)
		return OMS_EUNAVAIL;	/* until mq_confirm_all reports it */
	if (!mq_fault_unsent(mq) && mq_connect_send(mq, m, &fresh) == OMS_OK)
		return OMS_OK;
	/* Not sent: the window fails as a whole, so that mq_confirm_all
	 * never reports success for a message that never left. */
	mq->window_lost = 1;
	return OMS_EUNAVAIL;
}

enum oms_err
mq_confirm_all(struct mq *mq)
{
	enum oms_err rc = OMS_OK;

	if (mq->window_lost)
		rc = OMS_EUNAVAIL;
	else if (mq->nunconfirmed > 0)
		rc = mq_wait_confirms(mq);
	mq->window_lost = 0;
	mq->nunconfirmed = 0;
	if (mq->conn != NULL)
		amqp_maybe_release_buffers(mq->conn);
	return rc;
}

/* An owned copy of bytes b as a C string ("" for none): for properties,
 * which are short strings; a NUL in one cuts it there. */
static char *
mq_strdup_bytes(amqp_bytes_t b, int present)
{
	/* an empty field or body may come with bytes == NULL */
	return present && b.len > 0 ? xstrndup(b.bytes, b.len) : xstrdup("");
}

/* An owned copy of all b.len bytes of a body, NULs included, with a NUL
 * after them (for parsers that want one); *len = b.len. Bodies are bytes:
 * their length is the one the broker sent, never strlen (issue 14). */
static char *
mq_body_copy(amqp_bytes_t b, size_t *len)
{
	char	*p = xmalloc(b.len + 1);

	if (b.len > 0)
		memcpy(p, b.bytes, b.len);
	p[b.len] = '\0';
	*len = b.len;
	return p;
}

void
mq_received_clear(struct mq_received *m)
{
	free(m->routing_key);
	free(m->message_id);
	free(m->correlation_id);
	free(m->type);
	free(m->app_id);
	free(m->user_id);
	free(m->content_type);
	free(m->body);
	memset(m, 0, sizeof(*m));
}

/* basic.get, acknowledged on receipt (no_ack) or not (*tag set). */
static enum oms_err
mq_get_one(struct mq *mq, const char *queue, int no_ack,
    struct mq_received *out, uint64_t *tag)
{
	amqp_rpc_reply_t r;
	amqp_message_t msg;
	amqp_basic_get_ok_t *ok;
	amqp_basic_properties_t *p;
	int fresh;

	memset(out, 0, sizeof(*out));
	if (mq_connect(mq, &fresh) != OMS_OK)
		return OMS_EUNAVAIL;
	r = amqp_basic_get(mq->conn, MQ_CHANNEL, amqp_cstring_bytes(queue),
	    no_ack);
	if (mq_reply(mq, "basic.get", r) != OMS_OK)
		return OMS_EUNAVAIL;
	if (r.reply.id == AMQP_BASIC_GET_EMPTY_METHOD)
		return OMS_ENOTFOUND;
	ok = r.reply.decoded;
	if (tag != NULL)
		*tag = ok->delivery_tag;
	out->routing_key = mq_strdup_bytes(ok->routing_key, 1);
	if (mq_reply(mq, "read message", amqp_read_message(mq->conn,
	    MQ_CHANNEL, &msg, 0)) != OMS_OK) {
		mq_received_clear(out);
		return OMS_EUNAVAIL;
	}
	p = &msg.properties;
	out->message_id = mq_strdup_bytes(p->message_id,
	    p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG);
	out->correlation_id = mq_strdup_bytes(p->correlation_id,
	    p->_flags & AMQP_BASIC_CORRELATION_ID_FLAG);
	out->type = mq_strdup_bytes(p->type, p->_flags & AMQP_BASIC_TYPE_FLAG);
	out->app_id = mq_strdup_bytes(p->app_id,
	    p->_flags & AMQP_BASIC_APP_ID_FLAG);
	out->user_id = mq_strdup_bytes(p->user_id,
	    p->_flags & AMQP_BASIC_USER_ID_FLAG);
	out->content_type = mq_strdup_bytes(p->content_type,
	    p->_flags & AMQP_BASIC_CONTENT_TYPE_FLAG);
	out->delivery_mode = (p->_flags & AMQP_BASIC_DELIVERY_MODE_FLAG) != 0 ?
	    p->delivery_mode : 0;
	out->timestamp = (p->_flags & AMQP_BASIC_TIMESTAMP_FLAG) != 0 ?
	    p->timestamp : 0;
	out->body = mq_body_copy(msg.body, &out->len);
	amqp_destroy_message(&msg);
	amqp_maybe_release_buffers(mq->conn);
	return OMS_OK;
}

enum oms_err
mq_get(struct mq *mq, const char *queue, struct mq_received *out)
{
	return mq_get_one(mq, queue, 1, out, NULL);
}

enum oms_err
mq_get_unacked(struct mq *mq, const char *queue, struct mq_received *out,
    uint64_t *tag)
{
	return mq_get_one(mq, queue, 0, out, tag);
}

void
mq_set_consumer(struct mq *mq, const char *queue, int prefetch)
{
	free(mq->consume_queue);
	mq->consume_queue = xstrdup(queue);
	mq->prefetch = prefetch < 1 ? 1 : prefetch > 65535 ? 65535 : prefetch;
}

enum oms_err
mq_consume_more(struct mq *mq, int prefetch)
{
	char old[sizeof(mq->consumer_tag)];

	if (mq->conn == NULL || mq->consume_queue == NULL) {
		snprintf(mq->errstr, sizeof(mq->errstr), "consume: not connected");
		return OMS_EUNAVAIL;
	}
	/* Deliveries that arrive before the replies are queued by the
	 * library and read as usual (mq_buffered). */
	memcpy(old, mq->consumer_tag, sizeof(old));
	if (mq_consume_start(mq, prefetch) != OMS_OK)
		return OMS_EUNAVAIL;
	/* The first consumer stops; what it delivered and is not acked yet
	 * stays ours on the channel, acked as usual. */
	amqp_basic_cancel(mq->conn, MQ_CHANNEL, amqp_cstring_bytes(old));
	return mq_reply(mq, "basic.cancel", amqp_get_rpc_reply(mq->conn));
}

void
mq_delivery_clear(struct mq_delivery *d)
{
	free(d->routing_key);
	free(d->message_id);
	free(d->correlation_id);
	free(d->user_id);
	free(d->body);
	memset(d, 0, sizeof(*d));
}

/* After AMQP_STATUS_UNEXPECTED_STATE: reads the frame that is not a
 * delivery. Returns OMS_OK to go on waiting, or a failure. */
static enum oms_err
mq_next_other_frame(struct mq *mq)
{
	amqp_frame_t frame;
	struct timeval tv = { 0, 0 };
	int status = amqp_simple_wait_frame_noblock(mq->conn, &frame, &tv);

	if (status == AMQP_STATUS_TIMEOUT)
		return OMS_OK;
	if (status != AMQP_STATUS_OK)
		return mq_fail(mq, "consume", amqp_error_string2(status));
	if (frame.frame_type != AMQP_FRAME_METHOD)
		return OMS_OK;
	switch (frame.payload.method.id) {
	case AMQP_BASIC_ACK_METHOD:
	case AMQP_BASIC_NACK_METHOD:
		return OMS_OK;		/* confirms: nothing published here */
	case AMQP_CHANNEL_CLOSE_METHOD:
		return mq_fail(mq, "consume", "channel closed by the broker");
	case AMQP_CONNECTION_CLOSE_METHOD:
		return mq_fail(mq, "consume", "connection closed by the broker");
	case AMQP_BASIC_CANCEL_METHOD:
		return mq_fail(mq, "consume", "the broker cancelled the consumer");
	default:
		return OMS_OK;
	}
}

enum oms_err
mq_next(struct mq *mq, int timeout_ms, struct mq_delivery *d)
{
	amqp_envelope_t env;
	amqp_rpc_reply_t r;
	struct timeval tv;
	int fresh;

	memset(d, 0, sizeof(*d));
	if (mq_connect(mq, &fresh) != OMS_OK)
		return OMS_EUNAVAIL;
	amqp_maybe_release_buffers(mq->conn);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	r = amqp_consume_message(mq->conn, &env, &tv, 0);
	if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
		if (r.library_error == AMQP_STATUS_TIMEOUT)
			return OMS_ETIMEOUT;
		if (r.library_error == AMQP_STATUS_UNEXPECTED_STATE)
			return mq_next_other_frame(mq) == OMS_OK ?
			    OMS_ETIMEOUT : OMS_EUNAVAIL;
	}
	if (mq_reply(mq, "consume", r) != OMS_OK)
		return OMS_EUNAVAIL;

	d->tag = env.delivery_tag;
	d->redelivered = env.redelivered;
	d->routing_key = mq_strdup_bytes(env.routing_key, 1);
	d->message_id = mq_strdup_bytes(env.message.properties.message_id,
	    env.message.properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG);
	d->correlation_id = mq_strdup_bytes(
	    env.message.properties.correlation_id,
	    env.message.properties._flags & AMQP_BASIC_CORRELATION_ID_FLAG);
	d->user_id = mq_strdup_bytes(env.message.properties.user_id,
	    env.message.properties._flags & AMQP_BASIC_USER_ID_FLAG);
	d->body = mq_body_copy(env.message.body, &d->len);
	amqp_destroy_envelope(&env);
	return OMS_OK;
}

static enum oms_err
mq_ack_tag(struct mq *mq, uint64_t tag, int multiple)
{
	int status;

	if (mq->conn == NULL)
		return OMS_EUNAVAIL;
	status = amqp_basic_ack(mq->conn, MQ_CHANNEL, tag, multiple);
	if (status != AMQP_STATUS_OK)
		return mq_fail(mq, "ack", amqp_error_string2(status));
	return OMS_OK;
}

enum oms_err
mq_ack(struct mq *mq, uint64_t tag)
{
	return mq_ack_tag(mq, tag, 0);
}

enum oms_err
mq_ack_upto(struct mq *mq, uint64_t tag)
{
	return mq_ack_tag(mq, tag, 1);
}

enum oms_err
mq_reject(struct mq *mq, uint64_t tag, int requeue)
{
	int status;

	if (mq->conn == NULL)
		return OMS_EUNAVAIL;
	status = amqp_basic_reject(mq->conn, MQ_CHANNEL, tag, requeue);
	if (status != AMQP_STATUS_OK)
		return mq_fail(mq, "reject", amqp_error_string2(status));
	return OMS_OK;
}

enum oms_err
mq_queue_info(struct mq *mq, const char *queue, uint32_t *messages,
    uint32_t *consumers)
{
	amqp_queue_declare_ok_t *ok;
	amqp_rpc_reply_t r;
	int fresh;

	if (mq_connect(mq, &fresh) != OMS_OK)
		return OMS_EUNAVAIL;
	ok = amqp_queue_declare(mq->conn, MQ_CHANNEL, amqp_cstring_bytes(queue),
	    1, 0, 0, 0, amqp_empty_table);
	r = amqp_get_rpc_reply(mq->conn);
	if (ok == NULL || r.reply_type != AMQP_RESPONSE_NORMAL) {
		int missing = r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
		    r.reply.id == AMQP_CHANNEL_CLOSE_METHOD &&
		    ((amqp_channel_close_t *)r.reply.decoded)->reply_code == 404;

		mq_reply(mq, "queue.declare(passive)", r);
		return missing ? OMS_ENOTFOUND : OMS_EUNAVAIL;
	}
	*messages = ok->message_count;
	*consumers = ok->consumer_count;
	return OMS_OK;
}
