/*
 * One oms-worker process: its connections (a consuming and a publishing
 * AMQP connection, one Redis connection — opened after fork) and providers.
 */
#ifndef OMS_WORKER_H
#define OMS_WORKER_H

#include <json-c/json.h>

#include "cfg.h"
#include "command.h"
#include "mq.h"
#include "provider.h"
#include "store.h"

struct worker {
	const struct oms_config	*cfg;		/* borrowed, read-only */
	struct store		*store;		/* owned */
	struct mq		*consumer;	/* owned */
	struct mq		*publisher;	/* owned: follow-up commands */
	struct payment_provider	 payment;
	struct shipping_provider shipping;
	char			*functions;	/* oms.lua, read at start */
	size_t			 functions_len;
	int			 functions_loaded;
};

/* The child_main of the pre-fork pool (arg: a struct worker with cfg and
 * the library text set). Returns 0 after a stop request. */
int	worker_child_main(void *arg);

/* A delivery applied in Redis whose follow-ups are published but not yet
 * confirmed: worker_settle acks it once they are. */
struct worker_pending {
	const struct mq_delivery *d;		/* borrowed from the batch */
	struct oms_command	*cmd;		/* owned */
	struct json_object	*result;	/* owned: the Function's reply */
};

/* Applies delivery d and publishes its follow-ups without waiting for
 * their confirms. Returns 1 with *p filled when d awaits worker_settle, or
 * 0 when d was settled here: rejected to the dead-letter queue (malformed,
 * or refused by the Function) or requeued on a stop request. */
int	worker_apply(struct worker *w, const struct mq_delivery *d,
	    struct worker_pending *p);

/* Waits for the confirms of the follow-ups of p[0..n-1] (publishing them
 * all again after a failure, until confirmed), then acks the deliveries
 * with one ack up to the last tag; on a stop request first, requeues them.
 * Frees what p owns. */
void	worker_settle(struct worker *w, struct worker_pending *p, size_t n);

/* events.c. After the apply: builds the order event of result (borrowed;
 * oms_apply's reply) and adds it to result as member "event"; nothing when
 * the call is no event. Retries the Redis read until it works; OMS_EUNAVAIL
 * only on a stop request (then requeue the delivery). */
enum oms_err worker_event_attach(struct worker *w, struct json_object *result);

/* Publishes result's "event" (if any) to oms.events without waiting for
 * the confirm: it joins the window of the follow-ups (worker_settle). */
enum oms_err worker_event_publish(struct worker *w, struct json_object *result,
	    const char *correlation_id);

/* Loads the Function library into Redis (FUNCTION LOAD REPLACE). */
enum oms_err worker_load_functions(struct worker *w);

#endif
