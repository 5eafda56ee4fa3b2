/*
 * The inside of the RabbitMQ client, shared by the files of the mq module
 * (mq.c: connections, topology, synchronous publishing, consuming;
 * mq_async.c: publishing with confirms reported as they come). Only these
 * files include rabbitmq-c; nothing else includes this header.
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

/* Records a failure (errstr "what: why"), drops the connection and
 * schedules the next try. Returns OMS_EUNAVAIL. */
enum oms_err	mq_fail(struct mq *mq, const char *what, const char *why);

/* Connects if needed and sends m (see mq.c); its tag is the last entry
 * of mq->unconfirmed. */
enum oms_err	mq_connect_send(struct mq *mq, const struct mq_message *m,
		    int *fresh);

/* Tests (OMS_FAULT=mq-unsent-every=N): 1 when this publish is to fail
 * before sending, with errstr set. */
int		mq_fault_unsent(struct mq *mq);

/* Frees the asynchronous entries (mq_free). */
void		mq_async_free(struct mq *mq);

#endif
