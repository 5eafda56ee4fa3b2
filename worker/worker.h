/*
 * One oms-worker process: its connections (a consuming and a publishing
 * AMQP connection, one Redis connection — opened after fork) and providers.
 */
#ifndef OMS_WORKER_H
#define OMS_WORKER_H

#include "cfg.h"
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

/* Handles one delivery: apply, publish follow-ups, then ack — or reject
 * to the dead-letter queue when it is malformed. */
void	worker_handle(struct worker *w, const struct mq_delivery *d);

/* Loads the Function library into Redis (FUNCTION LOAD REPLACE). */
enum oms_err worker_load_functions(struct worker *w);

#endif
