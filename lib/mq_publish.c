/*
 * mq_publish.c — publishing commands and events with publisher confirms
 * (see mq.h): mq_publish waits for the one message's confirm;
 * mq_publish_nowait and mq_confirm_all send a window back to back and wait
 * for all its confirms together. Part of the mq module (mq.c holds the
 * connection; mq_async.c reports confirms one by one as they come).
 *
 * Each message sent is persistent JSON with the mandatory flag and the
 * connection's user as user_id (the broker refuses another). Its delivery
 * tag (counting from 1 on each connection, after confirm.select) joins the
 * ascending list mq->unconfirmed; basic.ack and basic.nack (`multiple` or
 * not) settle it; a basic.return means the message was unroutable and
 * fails the wait after its content frames are drained. A connection lost
 * with messages unconfirmed fails the window: enqueued or not is unknown,
 * and the caller publishes again (a duplicate the consumer ignores).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <amqp.h>
#include <amqp_framing.h>

#include "clock.h"
#include "fault.h"
#include "mq.h"
#include "mq_impl.h"
#include "xmalloc.h"

/* Time left until deadline_ms, as a timeval; 0 when past. */
static int
mq_time_left(int64_t deadline_ms, struct timeval *tv)
{
	int64_t left = deadline_ms - clock_ms();

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
	int64_t deadline = clock_ms() + mq->timeout_ms;
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
