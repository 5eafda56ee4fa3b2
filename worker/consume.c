/*
 * consume.c — the life of one oms-worker process.
 *
 * After fork it opens its own connections (never shared across fork): the
 * consuming and the publishing AMQP connection, Redis, and the HTTP client
 * for the providers. Then one loop until SIGTERM, each turn:
 *   take every delivery the consumer has (without waiting) -> start the
 *   ones whose turn came -> read the publisher's confirms (their
 *   deliveries are acked) -> wait in loop.c for the next event: an AMQP
 *   socket readable, a provider call done, a retry timer due, at most
 *   WORKER_TICK_MS (so both connections' heartbeats are served well
 *   inside heartbeat/2).
 * The prefetch (basic.qos) grows to OMS_WORKER_PREFETCH, or
 * OMS_WORKER_INFLIGHT when that is 0: the broker never hands a process
 * more than it works on. But a new consumer connection starts at one
 * delivery at a time and doubles that every WORKER_WINDOW_MS it stays up
 * (worker_window; 256 after 4 s): a process that dies soon after it
 * starts — a crash loop, a poison message — held few deliveries, so the
 * others' delivery counts are not used up and good commands are not
 * dead-lettered by the queue's delivery limit for another's fault.
 * (Growing on acks instead would stall behind one slow provider call;
 * RabbitMQ applies a new basic.qos only to consumers started after it.)
 * A stop requeues what has not been applied, lets applied deliveries finish
 * their confirms and acks, and leaves; deliveries prefetched but not yet
 * read are returned by the broker when the connection closes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "log.h"
#include "prefork.h"
#include "worker.h"
#include "xmalloc.h"

#define WORKER_TIMEOUT_MS	3000
#define WORKER_TICK_MS		1000
#define WORKER_DOWN_MS		200	/* a turn while the consumer is down */
#define WORKER_TAKE_MAX		64	/* deliveries read per turn */
#define WORKER_WINDOW_MS	500	/* the prefetch doubles this often */

/* Slow start (see the top): a new consumer connection consumes with a
 * prefetch of 1, doubled every WORKER_WINDOW_MS it stays up (a new
 * consumer with the larger prefetch replaces the old one each time). */
static void
worker_window(struct worker *w)
{
	uint64_t gen = mq_generation(w->consumer);
	int64_t now = clock_ms(), steps;
	int next;

	if (mq_fd(w->consumer) < 0 || gen != w->window_gen) {
		w->window_gen = gen;
		w->window_since_ms = now;
		w->window = 1;
		return;
	}
	if (w->window >= w->window_max)
		return;
	steps = (now - w->window_since_ms) / WORKER_WINDOW_MS;
	next = steps >= 16 ? 65536 : 1 << steps;
	if (next > w->window_max)
		next = w->window_max;
	if (next > w->window && mq_consume_more(w->consumer, next) == OMS_OK) {
		log_debug("prefetch %d -> %d", w->window, next);
		w->window = next;
	}
}

/* Reads the deliveries available now. 0, or -1 when the consumer's
 * connection is down. */
static int
worker_take(struct worker *w, int *down)
{
	struct mq_delivery m;
	enum oms_err rc;
	int i;

	for (i = 0; i < WORKER_TAKE_MAX; i++) {
		rc = mq_next(w->consumer, 0, &m);
		if (rc == OMS_ETIMEOUT)
			break;
		if (rc != OMS_OK) {
			if (!*down)
				log_warnx("RabbitMQ: %s; retrying",
				    mq_errstr(w->consumer));
			*down = 1;
			return -1;
		}
		if (*down)
			log_info("RabbitMQ: consuming again");
		*down = 0;
		delivery_receive(w, &m);
	}
	return 0;
}

/* Whether only abandoned deliveries (requeued, their call in flight) are
 * left. */
static int
worker_drained(const struct worker *w)
{
	const struct delivery *d;

	for (d = w->head; d != NULL; d = d->next)
		if (!d->abandoned)
			return 0;
	return 1;
}

static void
worker_close(struct worker *w)
{
	/* the calls still in flight complete as abandoned first: their
	 * deliveries (requeued on the stop) are freed by the completion */
	http_free(w->http);
	delivery_free_all(w);
	provider_free(w->provider);
	mq_free(w->publisher);
	mq_free(w->consumer);
	store_free(w->store);
}

int
worker_child_main(void *arg)
{
	struct worker *w = arg;
	const struct oms_config *cfg = w->cfg;
	struct pollfd fds[2];
	char err[256];
	int down = 0, wait_ms;
	size_t n;

	w->store = store_new(cfg->redis_url, cfg->redis_password,
	    "oms-worker", WORKER_TIMEOUT_MS, err, sizeof(err));
	w->consumer = mq_new(cfg->amqp_url, cfg->amqp_password, "oms-worker",
	    WORKER_TIMEOUT_MS, err, sizeof(err));
	w->publisher = mq_new(cfg->amqp_url, cfg->amqp_password, "oms-worker",
	    WORKER_TIMEOUT_MS, err, sizeof(err));
	w->http = http_new(cfg->provider_ca_file);
	if (w->store == NULL || w->consumer == NULL || w->publisher == NULL ||
	    w->http == NULL || (w->provider = provider_new(cfg, w->http, err,
	    sizeof(err))) == NULL) {
		log_warnx("%s", w->http == NULL ? "cannot create the HTTP "
		    "client" : err);
		worker_close(w);
		return 1;
	}
	w->loop.http = w->http;
	w->inflight = (size_t)cfg->worker_inflight;
	w->window_max = cfg->worker_prefetch > 0 ? cfg->worker_prefetch :
	    cfg->worker_inflight;
	w->window = 1;
	mq_set_consumer(w->consumer, OMS_MQ_QUEUE, w->window);

	for (;;) {
		if (prefork_stopping()) {
			delivery_stop(w);
			if (worker_drained(w))
				break;
		} else {
			(void)worker_take(w, &down);
			worker_window(w);
		}
		if (w->dirty)
			delivery_start_ready(w);
		mq_confirms(w->publisher, delivery_confirmed, w);
		if (w->dirty)
			delivery_start_ready(w);

		n = 0;
		if (!prefork_stopping() && mq_fd(w->consumer) >= 0) {
			fds[n].fd = mq_fd(w->consumer);
			fds[n++].events = POLLIN;
		}
		if (mq_fd(w->publisher) >= 0) {
			fds[n].fd = mq_fd(w->publisher);
			fds[n++].events = POLLIN;
		}
		wait_ms = down ? WORKER_DOWN_MS : WORKER_TICK_MS;
		if (w->dirty || mq_buffered(w->consumer) ||
		    mq_buffered(w->publisher))
			wait_ms = 0;
		loop_wait(&w->loop, fds, n, wait_ms);
	}

	worker_close(w);
	return 0;
}
