/*
 * The event loop of one worker process (loop.c): it alone waits — on the
 * HTTP transfers, the AMQP sockets and the timers — and dispatches what
 * became ready.
 */
#ifndef OMS_LOOP_H
#define OMS_LOOP_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"

/* A one-shot timer, embedded in its owner; fn(arg) runs from loop_wait. */
struct loop_timer {
	int64_t			 due_ms;
	void			(*fn)(void *arg);
	void			*arg;
	int			 armed;
	struct loop_timer	*next;		/* the armed ones, by due_ms */
};

struct loop {
	struct http		*http;		/* borrowed */
	struct loop_timer	*timers;	/* armed, earliest first */
};


/* (Re)arms t to call fn(arg) in ms milliseconds. */
void	loop_timer_set(struct loop *l, struct loop_timer *t, int ms,
	    void (*fn)(void *), void *arg);
/* Disarms t (no-op when not armed). */
void	loop_timer_cancel(struct loop *l, struct loop_timer *t);

/* Waits until one of fds[0..n-1] (revents filled) or a transfer is ready,
 * a timer is due, or max_ms passed (0: do not wait); then moves the
 * transfers on (their callbacks run) and runs the due timers. */
void	loop_wait(struct loop *l, struct pollfd *fds, size_t n, int max_ms);

#endif
