/*
 * mq_consume.c — taking messages from queues (see mq.h): a consumer with
 * manual acknowledgements and a prefetch (mq_set_consumer, mq_next,
 * mq_ack, mq_reject, mq_consume_more), and basic.get for tools and tests
 * (mq_get, mq_get_unacked). Part of the mq module (mq.c holds the
 * connection and starts the consumer on every connect, after
 * mq_topology.c's declares).
 *
 * What the broker sends is copied out of the library's buffers before
 * they are released: properties as C strings ("" when absent), bodies as
 * bytes with their length (NULs included; never strlen, issue 14). A frame
 * that is not a delivery while consuming (a confirm, a channel or
 * connection close, a basic.cancel) is read and either ignored or fails
 * the connection; deliveries not acked when a connection drops are
 * redelivered by the broker.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <amqp.h>
#include <amqp_framing.h>

#include "mq.h"
#include "mq_impl.h"
#include "xmalloc.h"

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
/* The x-delivery-count header a quorum queue sets on a message that came
 * back (0 when absent). */
static unsigned
mq_delivery_count(const amqp_basic_properties_t *p)
{
	if (!(p->_flags & AMQP_BASIC_HEADERS_FLAG))
		return 0;
	for (int i = 0; i < p->headers.num_entries; i++) {
		const amqp_table_entry_t *e = &p->headers.entries[i];
		const amqp_field_value_t *v = &e->value;
		int64_t n;

		if (e->key.len != 16 || memcmp(e->key.bytes,
		    "x-delivery-count", 16) != 0)
			continue;
		switch (v->kind) {
		case AMQP_FIELD_KIND_I8:	n = v->value.i8; break;
		case AMQP_FIELD_KIND_U8:	n = v->value.u8; break;
		case AMQP_FIELD_KIND_I16:	n = v->value.i16; break;
		case AMQP_FIELD_KIND_U16:	n = v->value.u16; break;
		case AMQP_FIELD_KIND_I32:	n = v->value.i32; break;
		case AMQP_FIELD_KIND_U32:	n = v->value.u32; break;
		case AMQP_FIELD_KIND_I64:	n = v->value.i64; break;
		case AMQP_FIELD_KIND_U64:
			n = v->value.u64 > INT64_MAX ? INT64_MAX :
			    (int64_t)v->value.u64;
			break;
		default:			n = 0; break;
		}
		return n < 0 ? 0 : n > UINT_MAX ? UINT_MAX : (unsigned)n;
	}
	return 0;
}

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
	d->delivery_count = mq_delivery_count(&env.message.properties);
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
