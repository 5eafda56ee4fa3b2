/*
 * confirm.c — the confirm window of one oms-fcgi child (issue 17).
 *
 * A child runs several request threads (OMS_FCGI_THREADS) and one owner
 * thread, the only one that touches the child's RabbitMQ client (rabbitmq-c
 * connections are not thread-safe). A request thread that must publish
 * fills a struct confirm_req on its stack, queues it under the lock, wakes
 * the owner through an eventfd and sleeps on the request's condition
 * variable. The owner sends every queued message at once
 * (mq_publish_async, lib/mq_async.c), so the publishes of several requests
 * go out back to back on the one channel, then polls the queue's eventfd
 * and the connection's socket and reads confirms as they come
 * (mq_confirms). Each confirm wakes exactly the request it names: a basic.ack
 * answers OMS_OK (the 202), a nack OMS_EUNAVAIL (and the channel is
 * replaced once the others in flight on it are settled: mq_async.c;
 * a request sent meanwhile answers 503 at once), and a connection that
 * fails (or gives no confirm within the timeout, which the owner turns
 * into a dropped connection with mq_abandon) fails exactly the messages
 * sent on it and not yet confirmed. A message lost with a connection that
 * was open before it was sent is sent once more on a fresh one at once,
 * as mq_publish does (the broker may have dropped an idle connection; a
 * duplicate is harmless: same commandId). No request is ever answered
 * before its own confirm.
 *
 * The owner also runs synchronous calls for the request threads
 * (confirm_call: /readyz's mq_check, /metrics' mq_queue_info) between
 * publishes. It returns only once asked to quit and nothing is queued or
 * in flight, so a stopping child drains every request in hand.
 *
 * Tests: OMS_FAULT=fcgi-confirm-delay-ms=N makes the owner leave the
 * socket unread until the newest message in flight is N ms old, so that
 * many requests are in flight at once and no confirm is read (and no
 * request answered) sooner than N ms after its publish.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "confirm.h"
#include "fault.h"
#include "log.h"
#include "xmalloc.h"

#define CONFIRM_IDLE_MS	1000	/* poll at least this often (heartbeats) */

struct confirm_req {
	const struct mq_message	*msg;		/* NULL: a call */
	confirm_call_fn		 fn;
	void			*arg;
	int			 done;		/* under the lock */
	int			 retried;
	int			 fresh;	/* sent on a connection opened for it */
	uint64_t		 gen;	/* the connection it was sent on */
	int64_t			 sent_ms;
	enum oms_err		 rc;
	char			 err[128];
	pthread_cond_t		 cv;
	struct confirm_req	*next;
};

struct confirm {
	struct mq		*mq;		/* owned; the owner's only */
	int			 timeout_ms;
	long			 delay_ms;	/* fault injection */
	int			 efd;		/* eventfd: work was queued */
	pthread_mutex_t		 lock;
	struct confirm_req	*head, *tail;	/* queued (lock) */
	int			 quit;		/* (lock) */
	uint64_t		 redialed;	/* the last connection whose lost
						   messages made us reconnect */
	struct confirm_req	**flight;	/* owned array: sent, not yet
						   confirmed, in sending order */
	size_t			 nflight, flight_cap;
};


struct confirm *
confirm_new(struct mq *mq, int timeout_ms)
{
	struct confirm *c = xcalloc(1, sizeof(*c));

	if ((c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    pthread_mutex_init(&c->lock, NULL) != 0) {
		if (c->efd != -1)
			close(c->efd);
		free(c);
		return NULL;
	}
	c->mq = mq;
	c->timeout_ms = timeout_ms;
	c->delay_ms = fault_value("fcgi-confirm-delay-ms");
	return c;
}

void
confirm_free(struct confirm *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->lock);
	close(c->efd);
	free(c->flight);
	mq_free(c->mq);
	free(c);
}

static void
confirm_wake(struct confirm *c)
{
	uint64_t one = 1;

	/* EAGAIN: the counter is already non-zero, the owner will look */
	while (write(c->efd, &one, sizeof(one)) == -1 && errno == EINTR)
		;
}

void
confirm_quit(struct confirm *c)
{
	pthread_mutex_lock(&c->lock);
	c->quit = 1;
	pthread_mutex_unlock(&c->lock);
	confirm_wake(c);
}

/* Owner: answers r and wakes its thread; r is not touched afterwards. */
static void
confirm_done(struct confirm *c, struct confirm_req *r, enum oms_err rc,
    const char *err)
{
	pthread_mutex_lock(&c->lock);
	r->rc = rc;
	snprintf(r->err, sizeof(r->err), "%s", err);
	r->done = 1;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&c->lock);
}

static void
confirm_flight_remove(struct confirm *c, const struct confirm_req *r)
{
	for (size_t i = 0; i < c->nflight; i++)
		if (c->flight[i] == r) {
			memmove(c->flight + i, c->flight + i + 1,
			    (c->nflight - i - 1) * sizeof(*c->flight));
			c->nflight--;
			return;
		}
}

/* Owner: sends r's message (or runs r's call). */
static void
confirm_send(struct confirm *c, struct confirm_req *r)
{
	uint64_t gen = mq_generation(c->mq);
	int was_up = mq_fd(c->mq) >= 0;
	enum oms_err rc;

	if (r->msg == NULL) {
		rc = r->fn(c->mq, r->arg);
		confirm_done(c, r, rc, mq_errstr(c->mq));
		return;
	}
	if (mq_publish_async(c->mq, r->msg, r) != OMS_OK) {
		confirm_done(c, r, OMS_EUNAVAIL, mq_errstr(c->mq));
		return;
	}
	r->gen = mq_generation(c->mq);
	r->fresh = !was_up || r->gen != gen;
	r->sent_ms = clock_ms();
	if (c->nflight == c->flight_cap) {
		c->flight_cap = c->flight_cap == 0 ? 16 : c->flight_cap * 2;
		c->flight = xrealloc(c->flight, c->flight_cap,
		    sizeof(*c->flight));
	}
	c->flight[c->nflight++] = r;
}

/* Owner, from mq_confirms: the outcome of one message. */
static void
confirm_report(void *arg, void *cookie, int ok)
{
	struct confirm *c = arg;
	struct confirm_req *r = cookie;
	int lost = ok == MQ_LOST;	/* else acked or nacked */

	confirm_flight_remove(c, r);
	if (ok == MQ_CONFIRMED) {
		confirm_done(c, r, OMS_OK, "");
		return;
	}
	if (lost && !r->fresh && !r->retried) {
		log_debug("amqp: %s; publishing once more on a new connection",
		    mq_errstr(c->mq));
		r->retried = 1;
		/* One try to reconnect at once per lost connection: its
		 * other messages go on the new one, or fail at once. */
		if (c->redialed != r->gen) {
			c->redialed = r->gen;
			mq_reconnect_now(c->mq);
		}
		confirm_send(c, r);
		return;
	}
	confirm_done(c, r, OMS_EUNAVAIL, lost ? mq_errstr(c->mq) :
	    "publish: the broker refused the message (nack)");
}

/* Owner: milliseconds until the confirms may be read (fault injection:
 * once the newest message in flight is delay_ms old), 0 when they may. */
static int64_t
confirm_held_ms(const struct confirm *c, int64_t now)
{
	int64_t left;

	if (c->delay_ms <= 0 || c->nflight == 0)
		return 0;
	left = c->flight[c->nflight - 1]->sent_ms + c->delay_ms - now;
	return left > 0 ? left : 0;
}

/* Owner: reads confirms, then drops a connection whose oldest message
 * waited past the timeout (its messages are reported lost at once). */
static void
confirm_read(struct confirm *c)
{
	int64_t now = clock_ms();

	if (confirm_held_ms(c, now) == 0)
		mq_confirms(c->mq, confirm_report, c);
	if (c->nflight > 0 && now - c->flight[0]->sent_ms >= c->timeout_ms) {
		mq_abandon(c->mq, "publish: no confirm in time");
		mq_confirms(c->mq, confirm_report, c);
	}
}

/* Owner: waits for queued work, frames or the next deadline. */
static void
confirm_wait(struct confirm *c)
{
	struct pollfd pfd[2];
	int64_t now = clock_ms(), wait = CONFIRM_IDLE_MS, held;
	uint64_t n;
	nfds_t nfd = 1;

	held = confirm_held_ms(c, now);
	if (c->nflight > 0) {
		int64_t left = c->flight[0]->sent_ms + c->timeout_ms - now;

		wait = left < wait ? left : wait;
	}
	if (held > 0)
		wait = held < wait ? held : wait;
	else if (mq_buffered(c->mq))
		wait = 0;
	pfd[0].fd = c->efd;
	pfd[0].events = POLLIN;
	if (held == 0 && mq_fd(c->mq) >= 0) {
		pfd[1].fd = mq_fd(c->mq);
		pfd[1].events = POLLIN;
		nfd = 2;
	}
	if (poll(pfd, nfd, wait < 0 ? 0 : (int)wait) > 0 &&
	    (pfd[0].revents & POLLIN))
		(void)read(c->efd, &n, sizeof(n));
}

void *
confirm_main(void *arg)
{
	struct confirm *c = arg;
	struct confirm_req *r, *next;
	int quit;

	for (;;) {
		pthread_mutex_lock(&c->lock);
		r = c->head;
		c->head = c->tail = NULL;
		quit = c->quit;
		pthread_mutex_unlock(&c->lock);
		for (; r != NULL; r = next) {
			next = r->next;		/* r may be answered below */
			confirm_send(c, r);
		}
		confirm_read(c);
		if (quit && c->nflight == 0) {
			pthread_mutex_lock(&c->lock);
			quit = c->head == NULL;
			pthread_mutex_unlock(&c->lock);
			if (quit)
				return NULL;
		}
		confirm_wait(c);
	}
}

/* Request thread: queues r and sleeps until the owner answered it. */
static enum oms_err
confirm_submit(struct confirm *c, struct confirm_req *r, char *err,
    size_t errlen)
{
	pthread_cond_init(&r->cv, NULL);
	pthread_mutex_lock(&c->lock);
	if (c->tail != NULL)
		c->tail->next = r;
	else
		c->head = r;
	c->tail = r;
	pthread_mutex_unlock(&c->lock);
	confirm_wake(c);
	pthread_mutex_lock(&c->lock);
	while (!r->done)
		pthread_cond_wait(&r->cv, &c->lock);
	pthread_mutex_unlock(&c->lock);
	pthread_cond_destroy(&r->cv);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", r->err);
	return r->rc;
}

enum oms_err
confirm_publish(struct confirm *c, const struct mq_message *m, char *err,
    size_t errlen)
{
	struct confirm_req r;

	memset(&r, 0, sizeof(r));
	r.msg = m;
	return confirm_submit(c, &r, err, errlen);
}

enum oms_err
confirm_call(struct confirm *c, confirm_call_fn fn, void *arg, char *err,
    size_t errlen)
{
	struct confirm_req r;

	memset(&r, 0, sizeof(r));
	r.fn = fn;
	r.arg = arg;
	return confirm_submit(c, &r, err, errlen);
}
