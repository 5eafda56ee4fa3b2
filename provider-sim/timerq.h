/*
 * The timer of oms-provider-sim: one thread that hands each waiting item
 * back (calls fire) when its due time comes, earliest first. The HTTP
 * loop parks a held answer here instead of holding a thread for it, so
 * thousands wait at once for the price of a heap entry each.
 */
#ifndef OMS_SIM_TIMERQ_H
#define OMS_SIM_TIMERQ_H

#include <stddef.h>
#include <stdint.h>

struct timerq;

/* Called from the timer thread (or from timerq_add() once draining),
 * without any lock held, once per item. */
typedef void (*timerq_fire_fn)(void *item, void *arg);

/* Starts the timer thread. Returns the queue, or NULL (errno set) when
 * the thread cannot start. */
struct timerq	*timerq_start(timerq_fire_fn fire, void *arg);

/* Queues item (borrowed until fired) for due_ms (clock_ms() clock).
 * Once timerq_drain() has begun, fires it at once in the caller. */
void	timerq_add(struct timerq *q, int64_t due_ms, void *item);

/* Items waiting now, and the most that ever waited at once. */
size_t	timerq_waiting(struct timerq *q);
size_t	timerq_peak(struct timerq *q);

/* Fires every waiting item now and stops the thread; later adds fire at
 * once. Then timerq_free() releases the queue (NULL is a no-op). */
void	timerq_drain(struct timerq *q);
void	timerq_free(struct timerq *q);

#endif
