/*
 * loop.c — the one place a worker process waits (STYLE.md: one event loop,
 * owned by one file). A turn: compute how long it may sleep (the caller's
 * bound, shortened to the earliest timer), wait in curl_multi_poll on the
 * HTTP transfers plus the caller's descriptors (the two AMQP sockets), then
 * let curl move its transfers on (completion callbacks run here) and run
 * the timers that are due. Timers are few (one per delivery at most), so
 * a sorted list is enough.
 */
#include <time.h>

#include "clock.h"
#include "log.h"
#include "loop.h"


void
loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	struct loop_timer **pp;

	if (!t->armed)
		return;
	for (pp = &l->timers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	t->armed = 0;
	t->next = NULL;
}

void
loop_timer_set(struct loop *l, struct loop_timer *t, int ms,
    void (*fn)(void *), void *arg)
{
	struct loop_timer **pp;

	loop_timer_cancel(l, t);
	t->due_ms = clock_ms() + (ms < 0 ? 0 : ms);
	t->fn = fn;
	t->arg = arg;
	t->armed = 1;
	for (pp = &l->timers; *pp != NULL && (*pp)->due_ms <= t->due_ms;
	    pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
}

/* Runs the timers due now, earliest first; a callback may re-arm. */
static void
loop_run_timers(struct loop *l)
{
	int64_t now = clock_ms();
	struct loop_timer *t;

	while ((t = l->timers) != NULL && t->due_ms <= now) {
		l->timers = t->next;
		t->armed = 0;
		t->next = NULL;
		t->fn(t->arg);
	}
}

void
loop_wait(struct loop *l, struct pollfd *fds, size_t n, int max_ms)
{
	int timeout = max_ms;

	if (l->timers != NULL) {
		int64_t left = l->timers->due_ms - clock_ms();

		if (left < timeout)
			timeout = left < 0 ? 0 : (int)left;
	}
	if (http_wait(l->http, fds, n, timeout) == -1)
		log_warnx("curl_multi_poll failed");
	http_dispatch(l->http);
	loop_run_timers(l);
}
