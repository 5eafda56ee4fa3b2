/*
 * mq_async.c — publishing without waiting, confirms reported as they come
 * (see mq.h), and what a caller's poll needs of a connection. Part of the
 * mq module (mq.c and its other files share struct mq through mq_impl.h;
 * only they include rabbitmq-c).
 *
 * Each message sent by mq_publish_async is an entry (delivery tag, the
 * connection's generation, the caller's cookie) in ascending tag order.
 * mq_confirms drains the frames the library already has or can read
 * without blocking (amqp_simple_wait_frame_noblock with a zero timeout,
 * which also sends and checks heartbeats), settles entries on basic.ack
 * and basic.nack (honouring `multiple`), and reports entries of a
 * connection that failed as not confirmed. Reports are collected first and
 * made after the frames are read, so a callback may publish again.
 *
 * A nack retires the channel: nothing more is sent on it, and once the
 * confirms of what it carries are in (so that what it did confirm is not
 * published again), the connection is dropped and the next publish opens
 * a new one. The same channel is never tried again: a channel of RabbitMQ
 * 3.10 that published to a quorum queue while the queue elected a new
 * leader kept refusing every message for that queue (t6001, t4002).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <amqp.h>
#include <amqp_framing.h>

#include "mq.h"
#include "mq_impl.h"
#include "xmalloc.h"

struct mq_report {
	struct mq_async_entry	*e;	/* owned */
	int			*ok;	/* owned */
	size_t			 n, cap;
};

static void
mq_report_add(struct mq_report *r, const struct mq_async_entry *e, int ok)
{
	if (r->n == r->cap) {
		r->cap = r->cap == 0 ? 16 : r->cap * 2;
		r->e = xrealloc(r->e, r->cap, sizeof(*r->e));
		r->ok = xrealloc(r->ok, r->cap, sizeof(*r->ok));
	}
	r->e[r->n] = *e;
	r->ok[r->n++] = ok;
}

/* Moves entries matching (every one, or tag [and below when multiple])
 * of the current connection to the report. */
static void
mq_async_settle(struct mq *mq, struct mq_report *r, uint64_t tag,
    int multiple, int ok)
{
	size_t i, j = 0;

	for (i = 0; i < mq->nasync; i++) {
		struct mq_async_entry *e = &mq->async[i];
		int hit = e->generation == mq->generation &&
		    (multiple ? e->tag <= tag : e->tag == tag);

		if (hit)
			mq_report_add(r, e, ok);
		else
			mq->async[j++] = *e;
	}
	mq->nasync = j;
}

/* Every entry not of the current, open connection is lost. */
static void
mq_async_lost(struct mq *mq, struct mq_report *r)
{
	size_t i, j = 0;

	for (i = 0; i < mq->nasync; i++) {
		if (mq->conn == NULL || mq->async[i].generation !=
		    mq->generation)
			mq_report_add(r, &mq->async[i], MQ_LOST);
		else
			mq->async[j++] = mq->async[i];
	}
	mq->nasync = j;
}

enum oms_err
mq_publish_async(struct mq *mq, const struct mq_message *m, void *cookie)
{
	struct mq_async_entry *e;
	int fresh;

	if (mq->refused && mq->conn != NULL)
		return OMS_EUNAVAIL;	/* errstr: the nack */
	if (mq_fault_unsent(mq) || mq_connect_send(mq, m, &fresh) != OMS_OK)
		return OMS_EUNAVAIL;
	/* mq_send listed the tag for mq_confirm_all: it is ours instead. */
	mq->nunconfirmed--;
	if (mq->nasync == mq->async_cap) {
		mq->async_cap = mq->async_cap == 0 ? 64 : mq->async_cap * 2;
		mq->async = xrealloc(mq->async, mq->async_cap,
		    sizeof(*mq->async));
	}
	e = &mq->async[mq->nasync++];
	e->tag = mq->next_tag - 1;
	e->generation = mq->generation;
	e->cookie = cookie;
	return OMS_OK;
}

/* Reads the frames available now. 0, or -1 after the connection failed
 * (mq_fail called). */
static int
mq_async_read(struct mq *mq, struct mq_report *r)
{
	struct timeval zero = { 0, 0 };
	amqp_frame_t frame;
	amqp_message_t msg;
	int status;

	for (;;) {
		status = amqp_simple_wait_frame_noblock(mq->conn, &frame,
		    &zero);
		if (status == AMQP_STATUS_TIMEOUT)
			return 0;
		if (status != AMQP_STATUS_OK) {
			mq_fail(mq, "publish", amqp_error_string2(status));
			return -1;
		}
		if (frame.frame_type != AMQP_FRAME_METHOD)
			continue;
		switch (frame.payload.method.id) {
		case AMQP_BASIC_ACK_METHOD: {
			amqp_basic_ack_t *a = frame.payload.method.decoded;

			mq_async_settle(mq, r, a->delivery_tag, a->multiple,
			    MQ_CONFIRMED);
			break;
		}
		case AMQP_BASIC_NACK_METHOD: {
			amqp_basic_nack_t *n = frame.payload.method.decoded;

			mq_async_settle(mq, r, n->delivery_tag, n->multiple,
			    MQ_NACKED);
			mq->refused = 1;
			snprintf(mq->errstr, sizeof(mq->errstr), "publish: the "
			    "broker refused a message (nack); a new channel "
			    "once this one's confirms are in");
			break;
		}
		case AMQP_BASIC_RETURN_METHOD:
			/* No delivery tag comes with a return: the message
			 * cannot be told apart, so the connection fails and
			 * everything unconfirmed is published again. */
			if (amqp_read_message(mq->conn, frame.channel, &msg,
			    0).reply_type == AMQP_RESPONSE_NORMAL)
				amqp_destroy_message(&msg);
			mq_fail(mq, "publish", "unroutable: no queue is bound "
			    "for this routing key");
			return -1;
		case AMQP_CHANNEL_CLOSE_METHOD:
			mq_fail(mq, "publish", "channel closed by the broker");
			return -1;
		case AMQP_CONNECTION_CLOSE_METHOD:
			mq_fail(mq, "publish", "connection closed by the "
			    "broker");
			return -1;
		default:
			break;
		}
	}
}

void
mq_confirms(struct mq *mq, mq_confirm_fn fn, void *arg)
{
	struct mq_report r;
	size_t i;

	memset(&r, 0, sizeof(r));
	if (mq->conn != NULL && mq_async_read(mq, &r) == 0)
		amqp_maybe_release_buffers(mq->conn);
	mq_async_lost(mq, &r);
	if (mq->conn != NULL && mq->refused && mq->nasync == 0) {
		(void)mq_fail(mq, "publish", "the broker refused a message "
		    "(nack)");
		mq->retry_at_ms = 0;	/* the new channel at once */
	}
	for (i = 0; i < r.n; i++)
		fn(arg, r.e[i].cookie, r.ok[i]);
	free(r.e);
	free(r.ok);
}

size_t
mq_unconfirmed(const struct mq *mq)
{
	return mq->nasync;
}

void
mq_async_free(struct mq *mq)
{
	free(mq->async);
	mq->async = NULL;
	mq->nasync = mq->async_cap = 0;
}

int
mq_fd(const struct mq *mq)
{
	return mq->conn != NULL ? amqp_get_sockfd(mq->conn) : -1;
}

int
mq_buffered(const struct mq *mq)
{
	return mq->conn != NULL && (amqp_frames_enqueued(mq->conn) ||
	    amqp_data_in_buffer(mq->conn));
}

uint64_t
mq_generation(const struct mq *mq)
{
	return mq->generation;
}
