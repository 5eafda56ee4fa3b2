/*
 * consume.c — the life of one oms-worker process.
 *
 * After fork it opens its own connections (never shared across fork), then
 * loops until SIGTERM: wait for a delivery, take the others already
 * received (up to the prefetch count) without waiting, apply them one
 * after the other (worker_apply), then wait once for all their follow-ups'
 * confirms and ack them together (worker_settle). A stop lets the batch in
 * hand finish; deliveries prefetched but not started are returned to the
 * queue by the broker when the connection closes.
 * Connection failures are retried with the clients' own backoff.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "prefork.h"
#include "worker.h"
#include "xmalloc.h"

#define WORKER_TIMEOUT_MS	3000
#define WORKER_POLL_MS		500

int
worker_child_main(void *arg)
{
	struct worker *w = arg;
	const struct oms_config *cfg = w->cfg;
	size_t batch = cfg->worker_prefetch < 1 ? 1 :
	    (size_t)cfg->worker_prefetch;
	struct mq_delivery *d = xcalloc(batch, sizeof(*d));
	struct worker_pending *pend = xcalloc(batch, sizeof(*pend));
	size_t n, np, i;
	char err[256];
	enum oms_err rc;
	int down = 0;

	w->store = store_new(cfg->redis_url, cfg->redis_password,
	    "oms-worker", WORKER_TIMEOUT_MS, err, sizeof(err));
	w->consumer = mq_new(cfg->amqp_url, cfg->amqp_password, "oms-worker",
	    WORKER_TIMEOUT_MS, err, sizeof(err));
	w->publisher = mq_new(cfg->amqp_url, cfg->amqp_password, "oms-worker",
	    WORKER_TIMEOUT_MS, err, sizeof(err));
	if (w->store == NULL || w->consumer == NULL || w->publisher == NULL) {
		log_warnx("%s", err);
		free(pend);
		free(d);
		return 1;
	}
	mq_set_consumer(w->consumer, OMS_MQ_QUEUE, cfg->worker_prefetch);
	provider_sim_payment(&w->payment, cfg->payment_delay_ms);
	provider_sim_shipping(&w->shipping, cfg->shipping_delay_ms);

	while (!prefork_stopping()) {
		rc = mq_next(w->consumer, WORKER_POLL_MS, &d[0]);
		if (rc == OMS_ETIMEOUT)
			continue;
		if (rc != OMS_OK) {
			if (!down)
				log_warnx("RabbitMQ: %s; retrying",
				    mq_errstr(w->consumer));
			down = 1;
			nanosleep(&(struct timespec){ 0, 200000000 }, NULL);
			continue;
		}
		if (down)
			log_info("RabbitMQ: consuming again");
		down = 0;
		for (n = 1; n < batch; n++)
			if (mq_next(w->consumer, 0, &d[n]) != OMS_OK)
				break;
		if (n > 1)
			log_debug("a batch of %zu deliveries", n);
		for (i = np = 0; i < n; i++) {
			if (prefork_stopping())
				mq_reject(w->consumer, d[i].tag, 1);
			else if (worker_apply(w, &d[i], &pend[np]))
				np++;
			log_clear_fields();
		}
		worker_settle(w, pend, np);
		for (i = 0; i < n; i++)
			mq_delivery_clear(&d[i]);
	}

	free(pend);
	free(d);
	mq_free(w->publisher);
	mq_free(w->consumer);
	store_free(w->store);
	return 0;
}
