/*
 * loop.c — the life of one oms-notify process.
 *
 * After fork it opens its own Redis, RabbitMQ and HTTP clients (none is
 * shared across fork), then loops until SIGTERM:
 *   take the events already received (up to the prefetch, without
 *   waiting) and record their deliveries (intake.c);
 *   claim the deliveries now due and start their POSTs (deliver.c);
 *   wait up to NOTIFY_TICK_MS for the transfers (http_wait) and move
 *   them on, which settles the finished ones.
 * The broker's socket is not in the poll set (lib/mq.c keeps it), so an
 * idle process looks at the queue every tick: an event waits at most that
 * long. On a stop it takes nothing new and lets the transfers in flight
 * finish for up to the delivery timeout; what is still in flight then is
 * retried by whichever process claims it after its lease.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "notify.h"
#include "prefork.h"
#include "webhook_store.h"

#define NOTIFY_TIMEOUT_MS	3000
#define NOTIFY_TICK_MS		50

/* Takes up to prefetch events already delivered. */
static void
notify_take_events(struct notify *n)
{
	struct mq_delivery d;
	enum oms_err rc;

	for (int i = 0; i < n->nc->prefetch; i++) {
		rc = mq_next(n->mq, 0, &d);
		if (rc != OMS_OK) {
			if (rc == OMS_EUNAVAIL)
				log_debug("RabbitMQ: %s", mq_errstr(n->mq));
			return;
		}
		notify_intake(n, &d);
		mq_delivery_clear(&d);
	}
}

int
notify_child_main(void *arg)
{
	struct notify *n = arg;
	const struct oms_config *cfg = n->cfg;
	long long deadline;
	char err[256];

	n->store = store_new(cfg->redis_url, cfg->redis_password, "oms-notify",
	    NOTIFY_TIMEOUT_MS, err, sizeof(err));
	if (n->store == NULL) {
		log_warnx("redis: %s", err);
		return 1;
	}
	n->mq = mq_new(cfg->amqp_url, cfg->amqp_password, "oms-notify",
	    NOTIFY_TIMEOUT_MS, err, sizeof(err));
	if (n->mq == NULL || (n->http = http_new(n->nc->ca_file)) == NULL) {
		log_warnx("%s", n->mq == NULL ? err : "curl_multi_init failed");
		mq_free(n->mq);
		store_free(n->store);
		return 1;
	}
	mq_set_consumer(n->mq, OMS_MQ_EVENTS_QUEUE, n->nc->prefetch);

	while (!prefork_stopping()) {
		notify_take_events(n);
		notify_claim(n);
		if (http_wait(n->http, NULL, 0, NOTIFY_TICK_MS) == -1) {
			struct timespec ts = { 0, NOTIFY_TICK_MS * 1000000L };

			nanosleep(&ts, NULL);
		}
		http_dispatch(n->http);
	}
	deadline = webhook_store_now_ms() + n->nc->timeout_ms;
	while (http_active(n->http) > 0 && webhook_store_now_ms() < deadline) {
		(void)http_wait(n->http, NULL, 0, NOTIFY_TICK_MS);
		http_dispatch(n->http);
	}
	http_free(n->http);
	notify_abandon(n);
	json_object_put(n->subs);
	mq_free(n->mq);
	store_free(n->store);
	return 0;
}
