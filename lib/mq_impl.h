/*
 * The inside of the RabbitMQ client, shared by the files of the mq module
 * (mq.c: the client, connecting, errors; mq_publish.c: publishing with
 * confirms, one or a window; mq_async.c: confirms reported as they come;
 * mq_consume.c: consuming, basic.get, acks; mq_topology.c: the declares).
 * Only these files include rabbitmq-c; nothing else includes this header.
 */
#ifndef OMS_MQ_IMPL_H
#define OMS_MQ_IMPL_H

#include <stdint.h>
#include <amqp.h>

#include "mq.h"
#include "url.h"

#define MQ_CHANNEL		1
#define MQ_HEARTBEAT_S		30
#define MQ_BACKOFF_MIN_MS	100
#define MQ_BACKOFF_MAX_MS	2000

/* A message of mq_publish_async awaiting its confirm. */
struct mq_async_entry {
	uint64_t	 tag;		/* its delivery tag on that connection */
	uint64_t	 generation;	/* the connection it went out on */
	void		*cookie;	/* the caller's, reported back */
};

struct mq {
	struct oms_url		 url;		/* owned */
	char			*user;		/* owned */
	char			*password;	/* owned, wiped on free */
	int			 timeout_ms;
	amqp_connection_state_t	 conn;		/* NULL: not connected */
	uint64_t		 generation;	/* connections opened so far */
	uint64_t		 next_tag;	/* delivery tag of the next publish */
	uint64_t		*unconfirmed;	/* owned: published tags awaiting
						   their confirm, ascending */
	size_t			 nunconfirmed, unconfirmed_cap;
	int			 window_lost;	/* the connection dropped while
						   some were unconfirmed */
	struct mq_async_entry	*async;		/* owned, ascending tags */
	int			 refused;	/* a nack came on this channel
						   (mq_async.c) */
	size_t			 nasync, async_cap;
	char			*consume_queue;	/* NULL: a publisher only */
	int			 prefetch;
	int64_t			 retry_at_ms;
	int			 backoff_ms;
	size_t			 host;		/* url.hosts[host]: the node
						   tried first, or connected */
	int			 was_up;	/* a connection was up on it */
	char			 consumer_tag[128]; /* the consumer now */
	char			 errstr[128];
};


/* mq.c: records a failure (errstr "what: why"), drops the connection and
 * schedules the next try. Returns OMS_EUNAVAIL. */
enum oms_err	mq_fail(struct mq *mq, const char *what, const char *why);

/* mq.c: turns an RPC reply into OMS_OK, or a failure (mq_fail) whose
 * errstr names what and the library's or the broker's reason. */
enum oms_err	mq_reply(struct mq *mq, const char *what, amqp_rpc_reply_t r);

/* mq.c: opens connection and channel (and, for a consumer, declares the
 * topology and starts consuming) unless open; *fresh says whether it
 * did. OMS_OK or OMS_EUNAVAIL (errstr says why; no try before the
 * backoff has passed). */
enum oms_err	mq_connect(struct mq *mq, int *fresh);

/* mq_topology.c: declares what mq->consume_queue's consumer uses, as
 * rabbitmq/definitions.json.in does. OMS_OK or OMS_EUNAVAIL. */
enum oms_err	mq_topology_declare(struct mq *mq);

/* mq_consume.c: basic.qos prefetch, then a consumer of mq->consume_queue
 * whose tag is kept in mq->consumer_tag (RabbitMQ applies the qos to
 * consumers started after it). OMS_OK or OMS_EUNAVAIL. */
enum oms_err	mq_consume_start(struct mq *mq, int prefetch);

/* mq_publish.c: connects if needed and sends m; its tag is the last entry
 * of mq->unconfirmed. */
enum oms_err	mq_connect_send(struct mq *mq, const struct mq_message *m,
		    int *fresh);

/* mq_publish.c, for tests (OMS_FAULT=mq-unsent-every=N): 1 when this publish is to fail
 * before sending, with errstr set. */
int		mq_fault_unsent(struct mq *mq);

/* mq_async.c: frees the asynchronous entries (mq_free). */
void		mq_async_free(struct mq *mq);

#endif
