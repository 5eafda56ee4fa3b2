/*
 * The RabbitMQ client of oms (the only module that includes rabbitmq-c).
 * One struct mq per process, opened after fork: one connection, one
 * channel. On any library or broker error the connection is destroyed and
 * reopened on next use, no sooner than a backoff delay.
 */
#ifndef OMS_MQ_H
#define OMS_MQ_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define OMS_MQ_EXCHANGE		"oms.commands"
#define OMS_MQ_QUEUE		"order-worker-queue"
#define OMS_MQ_DEAD_EXCHANGE	"oms.dead"
#define OMS_MQ_DEAD_QUEUE	"order-worker-queue.dead"
#define OMS_MQ_DELIVERY_LIMIT	5	/* as in rabbitmq/definitions.json.in */
#define OMS_MQ_EVENTS_EXCHANGE	"oms.events"	/* order events (topic) */
#define OMS_MQ_EVENTS_QUEUE	"oms-notify-queue"	/* oms-notify's */
#define OMS_MQ_EVENTS_BINDING	"order.#"

struct mq;

/* Creates an unconnected client for url (amqp://). password overrides the
 * URL's (may be NULL); default_user is used when the URL names none.
 * Returns NULL with a reason in err if the URL is invalid. The caller owns
 * the result; free it with mq_free(). */
struct mq	*mq_new(const char *url, const char *password,
		    const char *default_user, int timeout_ms,
		    char *err, size_t errlen);
void		 mq_free(struct mq *mq);

/* Connects if needed and checks that the broker answers and the command
 * exchange exists (a passive declare). OMS_OK or OMS_EUNAVAIL. */
enum oms_err	 mq_check(struct mq *mq);

/* A command to publish; every string is borrowed. */
struct mq_message {
	const char	*exchange;	/* NULL: OMS_MQ_EXCHANGE */
	const char	*routing_key;	/* also the AMQP type, e.g. orders.create */
	const char	*message_id;	/* the commandId */
	const char	*correlation_id; /* the request id; may be NULL */
	const char	*app_id;	/* the publishing program */
	const char	*user_id;	/* NULL: the connection's user (the
					   broker refuses any other value) */
	const char	*body;		/* the JSON envelope */
	size_t		 len;
};

/* Publishes msg to OMS_MQ_EXCHANGE as a persistent JSON message with the
 * mandatory flag, and waits (up to the client's timeout) for the broker's
 * confirm. Returns OMS_OK only when the broker acked the message and did
 * not return it as unroutable; otherwise OMS_EUNAVAIL (nack, return,
 * timeout, broker or network error), in which case the message may or may
 * not have been enqueued: a retry is a duplicate the consumer ignores. */
enum oms_err	 mq_publish(struct mq *mq, const struct mq_message *msg);

/*
 * A window of publishes confirmed together: mq_publish_nowait sends msg as
 * mq_publish does but does not wait; mq_confirm_all then waits for the
 * confirms of everything sent since the last mq_confirm_all (or
 * mq_publish). mq_confirm_all returns OMS_OK only when the broker acked
 * every one and returned none; otherwise OMS_EUNAVAIL, and each message of
 * the window may or may not have been enqueued: publish them all again.
 * A failed mq_publish_nowait (nothing sent) fails the window too; after
 * any failure mq_publish_nowait refuses (OMS_EUNAVAIL) until
 * mq_confirm_all has reported it. Do not mix with mq_publish mid-window.
 */
enum oms_err	 mq_publish_nowait(struct mq *mq, const struct mq_message *msg);
enum oms_err	 mq_confirm_all(struct mq *mq);

/* A message taken from a queue; every string is owned and NUL-terminated
 * ("" when the property was absent); the body is bytes: use len. */
struct mq_received {
	char		*routing_key;
	char		*message_id;
	char		*correlation_id;
	char		*type;
	char		*app_id;
	char		*user_id;	/* validated by the broker */
	char		*content_type;
	int		 delivery_mode;		/* 2: persistent */
	uint64_t	 timestamp;
	char		*body;		/* all len bytes (NULs included), then a NUL */
	size_t		 len;
};

/* Takes one message from queue (basic.get, acknowledged on receipt: for
 * tools and tests, not for consumers). Returns OMS_OK with *out filled
 * (free it with mq_received_clear), OMS_ENOTFOUND when the queue is
 * empty, or OMS_EUNAVAIL. */
enum oms_err	 mq_get(struct mq *mq, const char *queue,
		    struct mq_received *out);

/* Like mq_get, but the message stays unacknowledged: settle it with
 * mq_ack(tag) or mq_reject(tag, requeue); if the connection closes first
 * the broker puts it back. */
enum oms_err	 mq_get_unacked(struct mq *mq, const char *queue,
		    struct mq_received *out, uint64_t *tag);
void		 mq_received_clear(struct mq_received *m);

/*
 * Consuming. After mq_set_consumer, every (re)connect declares the
 * topology of rabbitmq/definitions.json.in (idempotent; same arguments, or
 * the broker refuses with 406), sets the prefetch and starts consuming
 * `queue` with manual acknowledgements. The events queue
 * (OMS_MQ_EVENTS_QUEUE, oms-notify) declares only the events exchange, its
 * queue and binding; any other queue (the worker's) declares the command
 * topology and those too, so that events published before oms-notify ever
 * ran are kept. Deliveries not acked when a
 * connection drops are redelivered by the broker.
 */
void		 mq_set_consumer(struct mq *mq, const char *queue, int prefetch);

/* Replaces the consumer of a connected consumer by one with another
 * prefetch (RabbitMQ applies basic.qos only to consumers started after it,
 * and a quorum queue has no channel-wide qos); unacked deliveries of the
 * old one are acked as usual. Reconnects start with mq_set_consumer's
 * prefetch again. OMS_OK,
 * or OMS_EUNAVAIL when not connected or the connection failed (it is
 * reopened on next use). */
enum oms_err	 mq_consume_more(struct mq *mq, int prefetch);

/* One delivery; the strings are owned ("" when absent). */
struct mq_delivery {
	uint64_t	 tag;
	int		 redelivered;
	unsigned	 delivery_count;	/* x-delivery-count: how often
					   it came back to a quorum queue */
	char		*routing_key;
	char		*message_id;
	char		*correlation_id;
	char		*user_id;	/* the publisher's AMQP user, as the
					   broker validated it; "" when the
					   publisher set none */
	char		*body;		/* all len bytes (NULs included), then a NUL */
	size_t		 len;
};

/* Waits up to timeout_ms for the next delivery (servicing heartbeats).
 * OMS_OK with *d filled (free with mq_delivery_clear); OMS_ETIMEOUT when
 * none came; OMS_EUNAVAIL when the connection failed (it is reopened on
 * the next call, after the backoff). */
enum oms_err	 mq_next(struct mq *mq, int timeout_ms, struct mq_delivery *d);
void		 mq_delivery_clear(struct mq_delivery *d);

/* Acknowledges, or rejects (requeue 0: to the dead-letter exchange),
 * delivery tag of the current connection. OMS_EUNAVAIL if the connection
 * failed meanwhile (the broker redelivers the message). */
enum oms_err	 mq_ack(struct mq *mq, uint64_t tag);
/* Acknowledges every unsettled delivery up to and including tag. */
enum oms_err	 mq_ack_upto(struct mq *mq, uint64_t tag);
enum oms_err	 mq_reject(struct mq *mq, uint64_t tag, int requeue);

/* The number of ready messages and of consumers of queue (a passive
 * declare). OMS_OK, OMS_ENOTFOUND (no such queue) or OMS_EUNAVAIL. */
enum oms_err	 mq_queue_info(struct mq *mq, const char *queue,
		    uint32_t *messages, uint32_t *consumers);

/*
 * Asynchronous publishing, for a loop with many commands in flight.
 * mq_publish_async sends m as mq_publish does without waiting: OMS_OK
 * means it went out and its outcome will be reported exactly once by a
 * later mq_confirms, with cookie; OMS_EUNAVAIL means it was not sent (no
 * report). mq_confirms reads, without blocking, whatever the broker has
 * sent (serving heartbeats) and calls fn(arg, cookie, ok) for each
 * message it confirmed (ok MQ_CONFIRMED) or refused (a nack, MQ_NACKED);
 * after the connection failed, for every message still unconfirmed
 * (MQ_LOST: it may or may not be enqueued, publish it again). A returned
 * (unroutable) message fails the connection. A nack retires the channel:
 * mq_publish_async refuses to send (OMS_EUNAVAIL) until the confirms of
 * what is in flight on it are in, then the next send opens a new
 * connection. Do not mix with mq_publish_nowait.
 */
enum { MQ_LOST = -1, MQ_NACKED = 0, MQ_CONFIRMED = 1 };
typedef void	(*mq_confirm_fn)(void *arg, void *cookie, int ok);
enum oms_err	 mq_publish_async(struct mq *mq, const struct mq_message *m,
		    void *cookie);
void		 mq_confirms(struct mq *mq, mq_confirm_fn fn, void *arg);
/* Messages of mq_publish_async not yet reported. */
size_t		 mq_unconfirmed(const struct mq *mq);

/* For a caller's poll: the connection's socket, -1 when not connected;
 * whether frames are already buffered inside the library (then do not
 * wait: read them first); the number of connections opened so far (a
 * delivery tag is only good for the connection it came on). */
int		 mq_fd(const struct mq *mq);
int		 mq_buffered(const struct mq *mq);
uint64_t	 mq_generation(const struct mq *mq);

/* Drops the connection at once (no graceful close), with why as the
 * error: for a caller that gave up waiting for confirms. The messages
 * still unconfirmed are reported lost by the next mq_confirms; the next
 * use reconnects, after the backoff. */
void		 mq_abandon(struct mq *mq, const char *why);

/* Lets the next use reconnect at once, without waiting for the backoff:
 * for one more try of what an old connection lost. */
void		 mq_reconnect_now(struct mq *mq);

/* The last error, for logs; never contains the password. */
const char	*mq_errstr(const struct mq *mq);

/* The AMQP user this client connects as (borrowed). */
const char	*mq_user(const struct mq *mq);

#endif
