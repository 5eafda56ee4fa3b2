/*
 * timerq.c — a binary min-heap of (due time, sequence, item) under one
 * mutex, and a thread that sleeps on a CLOCK_MONOTONIC condition variable
 * until the earliest is due (see timerq.h). The sequence keeps items
 * with equal due times in the order they came.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "sim.h"
#include "timerq.h"
#include "xmalloc.h"

struct timerq_item {
	int64_t	 due_ms;
	uint64_t seq;
	void	*item;
};

struct timerq {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	pthread_t		 thread;
	struct timerq_item	*heap;
	size_t			 n, cap, peak;
	uint64_t		 seq;
	int			 draining;
	int			 joined;
	timerq_fire_fn		 fire;
	void			*arg;
};

static int
timerq_less(const struct timerq_item *a, const struct timerq_item *b)
{
	return a->due_ms < b->due_ms ||
	    (a->due_ms == b->due_ms && a->seq < b->seq);
}

static void
timerq_swap(struct timerq_item *a, struct timerq_item *b)
{
	struct timerq_item t = *a;

	*a = *b;
	*b = t;
}

/* Removes the earliest item; the heap must not be empty. */
static struct timerq_item
timerq_pop(struct timerq *q)
{
	struct timerq_item top = q->heap[0];
	size_t i = 0;

	q->heap[0] = q->heap[--q->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < q->n && timerq_less(&q->heap[l], &q->heap[m]))
			m = l;
		if (r < q->n && timerq_less(&q->heap[r], &q->heap[m]))
			m = r;
		if (m == i)
			break;
		timerq_swap(&q->heap[i], &q->heap[m]);
		i = m;
	}
	return top;
}

static void *
timerq_main(void *p)
{
	struct timerq *q = p;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		if (q->n > 0 && (q->draining ||
		    q->heap[0].due_ms <= clock_ms())) {
			struct timerq_item it = timerq_pop(q);

			pthread_mutex_unlock(&q->mu);
			q->fire(it.item, q->arg);
			pthread_mutex_lock(&q->mu);
		} else if (q->draining) {
			break;
		} else if (q->n == 0) {
			pthread_cond_wait(&q->cv, &q->mu);
		} else {
			struct timespec ts;
			int64_t due = q->heap[0].due_ms;

			ts.tv_sec = (time_t)(due / 1000);
			ts.tv_nsec = (long)(due % 1000) * 1000000;
			pthread_cond_timedwait(&q->cv, &q->mu, &ts);
		}
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct timerq *
timerq_start(timerq_fire_fn fire, void *arg)
{
	struct timerq *q = xcalloc(1, sizeof(*q));
	pthread_condattr_t ca;
	int rc;

	q->fire = fire;
	q->arg = arg;
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((rc = pthread_create(&q->thread, NULL, timerq_main, q)) != 0) {
		q->joined = 1;
		timerq_free(q);
		errno = rc;
		return NULL;
	}
	return q;
}

void
timerq_add(struct timerq *q, int64_t due_ms, void *item)
{
	size_t i;

	pthread_mutex_lock(&q->mu);
	if (q->draining) {
		pthread_mutex_unlock(&q->mu);
		q->fire(item, q->arg);
		return;
	}
	if (q->n == q->cap) {
		q->cap = q->cap == 0 ? 256 : q->cap * 2;
		q->heap = xrealloc(q->heap, q->cap, sizeof(*q->heap));
	}
	i = q->n++;
	q->heap[i] = (struct timerq_item){ due_ms, q->seq++, item };
	while (i > 0 && timerq_less(&q->heap[i], &q->heap[(i - 1) / 2])) {
		timerq_swap(&q->heap[i], &q->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	if (q->n > q->peak)
		q->peak = q->n;
	/* a new earliest item: the thread must wake up sooner */
	if (i == 0)
		pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

size_t
timerq_waiting(struct timerq *q)
{
	size_t n;

	pthread_mutex_lock(&q->mu);
	n = q->n;
	pthread_mutex_unlock(&q->mu);
	return n;
}

size_t
timerq_peak(struct timerq *q)
{
	size_t n;

	pthread_mutex_lock(&q->mu);
	n = q->peak;
	pthread_mutex_unlock(&q->mu);
	return n;
}

void
timerq_drain(struct timerq *q)
{
	if (q == NULL || q->joined)
		return;
	pthread_mutex_lock(&q->mu);
	q->draining = 1;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	q->joined = 1;
}

void
timerq_free(struct timerq *q)
{
	if (q == NULL)
		return;
	timerq_drain(q);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q->heap);
	free(q);
}
