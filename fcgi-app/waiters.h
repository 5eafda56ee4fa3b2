/*
 * The bound on oms-fcgi children waiting for a worker's outcome
 * (`Prefer: wait`) at once, shared by all children: slots in one shared
 * anonymous mapping the master creates before it forks (as lib/metrics.c
 * does), claimed with atomic compare-and-swap.
 */
#ifndef OMS_WAITERS_H
#define OMS_WAITERS_H

#include <stddef.h>

#define WAITERS_MAX	1024	/* FCGI_MAX_WAITING's upper bound */

/* Creates max slots (1..WAITERS_MAX). Call once, before forking. Returns
 * 0, or -1 if mmap failed or max is out of range (then nobody waits). */
int	waiters_init(int max);

/* Claims a slot for this process. Returns its index, or -1 when every
 * slot is held (answer without waiting). A slot whose holder died without
 * leaving it (killed mid-wait) is taken over. */
int	waiters_enter(void);

/* Leaves slot (an index waiters_enter returned; -1 is a no-op). */
void	waiters_leave(int slot);

/* The number of slots and how many are held now (a gauge). */
int	waiters_max(void);
int	waiters_held(void);

#endif
