/*
 * waiters.c — how many oms-fcgi requests may wait on `Prefer: wait` at
 * once (issue 14). A request thread waiting for a worker's outcome serves
 * nobody else for up to 5 s; without a bound a handful of clients could
 * hold every thread of every child while the worker is slow, and reads
 * would queue behind them. Past the bound a write answers 202 at once, as
 * when the wait runs out.
 *
 * Each slot holds 0 or the holder's pid and kernel thread id (pid << 32 |
 * tid); a thread claims one with a compare-and-swap, so no lock is ever
 * held across a wait. A child killed while one of its threads waits
 * cannot leave the slot: the next thread that finds it full checks the
 * holder (tgkill(pid, tid, 0): ESRCH once that thread is gone) and takes
 * it over.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "waiters.h"

static int64_t *waiters_slots;
static int waiters_n;

int
waiters_init(int max)
{
	void *p;

	if (max < 1 || max > WAITERS_MAX)
		return -1;
	p = mmap(NULL, (size_t)max * sizeof(*waiters_slots),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	memset(p, 0, (size_t)max * sizeof(*waiters_slots));
	waiters_slots = p;
	waiters_n = max;
	return 0;
}

/* True if the holder of a slot is gone: no such thread, or our own id
 * (a holder that died and whose id the kernel gave to us: we hold no
 * slot while we look for one). */
static int
waiters_stale(int64_t holder, int64_t self)
{
	return holder == self || (syscall(SYS_tgkill, (pid_t)(holder >> 32),
	    (pid_t)(holder & 0xffffffff), 0) == -1 && errno == ESRCH);
}

int
waiters_enter(void)
{
	int64_t self = (int64_t)getpid() << 32 | (int64_t)syscall(SYS_gettid);
	int64_t v;
	int i;

	for (i = 0; i < waiters_n; i++) {
		v = __atomic_load_n(&waiters_slots[i], __ATOMIC_ACQUIRE);
		if (v != 0 && !waiters_stale(v, self))
			continue;
		if (__atomic_compare_exchange_n(&waiters_slots[i], &v, self, 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return i;
	}
	return -1;
}

void
waiters_leave(int slot)
{
	if (slot >= 0 && slot < waiters_n)
		__atomic_store_n(&waiters_slots[slot], 0, __ATOMIC_RELEASE);
}

int
waiters_max(void)
{
	return waiters_n;
}

int
waiters_held(void)
{
	int i, n = 0;

	for (i = 0; i < waiters_n; i++)
		if (__atomic_load_n(&waiters_slots[i], __ATOMIC_RELAXED) != 0)
			n++;
	return n;
}
