/*
 * prefork.c — the pre-fork master of oms-fcgi and oms-worker.
 *
 * The master forks pf->nprocs children and then only supervises: it waits
 * for signals with sigtimedwait(2) (all of them blocked, so none is lost
 * between checks), reaps children, respawns the dead, and carries out the
 * operator's requests. A child that exits 0 was a planned exit (recycled
 * after max requests, or replaced) and is respawned at once; a child that
 * dies otherwise is respawned at once the first time and with a doubling
 * delay (100 ms .. 5 s) while children keep dying within CRASH_WINDOW_MS
 * of their start. SIGHUP starts a new generation: old children are asked
 * to stop one at a time, each replaced before the next is asked. SIGTERM
 * and SIGINT stop the pool: children get SIGTERM, finish the work in hand
 * and exit; what is left after stop_timeout_ms is killed.
 *
 * Children die with the master (PR_SET_PDEATHSIG), so a master killed with
 * SIGKILL leaves no orphans serving an old configuration.
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "coverage.h"
#include "log.h"
#include "prefork.h"
#include "xmalloc.h"

#define CRASH_WINDOW_MS		2000
#define BACKOFF_MIN_MS		100
#define BACKOFF_MAX_MS		5000

struct slot {
	pid_t		pid;		/* 0: empty */
	int64_t		started_ms;
	unsigned	generation;
	int		retiring;	/* asked to stop by a SIGHUP roll */
};

struct master {
	const struct prefork *pf;
	struct slot	*slots;
	sigset_t	 sigs;		/* the signals the master handles */
	sigset_t	 oldmask;	/* restored in children */
	unsigned	 generation;
	int		 crashes;	/* consecutive quick abnormal exits */
	int64_t		 respawn_at_ms;	/* no respawn before this */
};

/* Set by the stop signal's handler, read by any thread of the child (an
 * oms-fcgi child has several): a lock-free atomic, which is also
 * async-signal-safe. */
static volatile sig_atomic_t child_stop;
static void (*child_on_stop)(void);


static void
prefork_child_signal(int sig)
{
	(void)sig;
	__atomic_store_n(&child_stop, 1, __ATOMIC_SEQ_CST);
	if (child_on_stop != NULL)
		child_on_stop();
}

int
prefork_stopping(void)
{
	return __atomic_load_n(&child_stop, __ATOMIC_SEQ_CST);
}

/* In the child: signals back to normal, then run child_main. Never returns. */
static void
prefork_child(struct master *m, pid_t master_pid)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = prefork_child_signal;	/* no SA_RESTART: wake accept() */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	child_on_stop = m->pf->on_stop;

	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		log_warn("prctl(PR_SET_PDEATHSIG)");
	if (getppid() != master_pid)	/* the master died before prctl */
		coverage_exit(0);
	sigprocmask(SIG_SETMASK, &m->oldmask, NULL);

	exit(m->pf->child_main(m->pf->arg));
}

/* Forks a child into slot i. Returns 0, or -1 if fork failed. */
static int
prefork_spawn(struct master *m, int i)
{
	pid_t pid, master_pid = getpid();

	fflush(NULL);
	pid = fork();
	if (pid == -1) {
		log_warn("%s: fork", m->pf->name);
		return -1;
	}
	if (pid == 0)
		prefork_child(m, master_pid);

	m->slots[i].pid = pid;
	m->slots[i].started_ms = clock_ms();
	m->slots[i].generation = m->generation;
	m->slots[i].retiring = 0;
	log_debug("%s: child %d started (slot %d)", m->pf->name, (int)pid, i);
	return 0;
}

static int
prefork_slot_of(const struct master *m, pid_t pid)
{
	for (int i = 0; i < m->pf->nprocs; i++)
		if (m->slots[i].pid == pid)
			return i;
	return -1;
}

/* Reaps every exited child, logs how it ended and updates the crash count. */
static void
prefork_reap(struct master *m)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		int i = prefork_slot_of(m, pid);

		if (i == -1)
			continue;
		int64_t lived = clock_ms() - m->slots[i].started_ms;
		int planned = WIFEXITED(status) && WEXITSTATUS(status) == 0;

		if (planned) {
			log_debug("%s: child %d exited", m->pf->name, (int)pid);
			m->crashes = 0;
		} else {
			if (WIFSIGNALED(status))
				log_warnx("%s: child %d killed by signal %d "
				    "after %lld ms", m->pf->name, (int)pid,
				    WTERMSIG(status), (long long)lived);
			else
				log_warnx("%s: child %d exited with status %d "
				    "after %lld ms", m->pf->name, (int)pid,
				    WEXITSTATUS(status), (long long)lived);
			m->crashes = lived < CRASH_WINDOW_MS ? m->crashes + 1 : 1;
			if (m->crashes > 1) {
				int64_t delay = BACKOFF_MIN_MS;
				for (int k = 2; k < m->crashes &&
				    delay < BACKOFF_MAX_MS; k++)
					delay *= 2;
				if (delay > BACKOFF_MAX_MS)
					delay = BACKOFF_MAX_MS;
				m->respawn_at_ms = clock_ms() + delay;
				log_warnx("%s: children are crashing; next "
				    "respawn in %lld ms", m->pf->name,
				    (long long)delay);
			}
		}
		m->slots[i].pid = 0;
	}
}

/* Fills empty slots unless a crash backoff is running. */
static void
prefork_fill(struct master *m)
{
	if (clock_ms() < m->respawn_at_ms)
		return;
	for (int i = 0; i < m->pf->nprocs; i++)
		if (m->slots[i].pid == 0 && prefork_spawn(m, i) == -1) {
			m->respawn_at_ms = clock_ms() + BACKOFF_MAX_MS;
			return;
		}
}

/* Asks the next child of an old generation to stop, one at a time. */
static void
prefork_roll(struct master *m)
{
	int i;

	for (i = 0; i < m->pf->nprocs; i++)
		if (m->slots[i].pid != 0 && m->slots[i].retiring)
			return;		/* one is already on its way out */
	for (i = 0; i < m->pf->nprocs; i++) {
		struct slot *s = &m->slots[i];

		if (s->pid != 0 && s->generation != m->generation) {
			s->retiring = 1;
			log_info("%s: SIGHUP roll: asking child %d to stop",
			    m->pf->name, (int)s->pid);
			kill(s->pid, SIGTERM);
			return;
		}
	}
}

static int
prefork_alive(const struct master *m)
{
	int n = 0;

	for (int i = 0; i < m->pf->nprocs; i++)
		if (m->slots[i].pid != 0)
			n++;
	return n;
}

/* Stops every child: SIGTERM, a grace period, then SIGKILL. */
static void
prefork_stop(struct master *m)
{
	int64_t deadline = clock_ms() + m->pf->stop_timeout_ms;
	struct timespec ts;

	log_info("%s: stopping %d children", m->pf->name, prefork_alive(m));
	for (int i = 0; i < m->pf->nprocs; i++)
		if (m->slots[i].pid != 0)
			kill(m->slots[i].pid, SIGTERM);

	while (prefork_alive(m) > 0) {
		int64_t left = deadline - clock_ms();

		if (left <= 0)
			break;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		(void)sigtimedwait(&m->sigs, NULL, &ts);
		prefork_reap(m);
	}
	for (int i = 0; i < m->pf->nprocs; i++) {
		if (m->slots[i].pid == 0)
			continue;
		log_warnx("%s: child %d did not stop in %d ms; killing it",
		    m->pf->name, (int)m->slots[i].pid, m->pf->stop_timeout_ms);
		kill(m->slots[i].pid, SIGKILL);
		waitpid(m->slots[i].pid, NULL, 0);
		m->slots[i].pid = 0;
	}
}

int
prefork_run(const struct prefork *pf)
{
	struct master m;
	struct timespec ts;

	memset(&m, 0, sizeof(m));
	m.pf = pf;
	m.slots = xcalloc((size_t)pf->nprocs, sizeof(*m.slots));
	sigemptyset(&m.sigs);
	sigaddset(&m.sigs, SIGCHLD);
	sigaddset(&m.sigs, SIGTERM);
	sigaddset(&m.sigs, SIGINT);
	sigaddset(&m.sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &m.sigs, &m.oldmask);

	prefork_fill(&m);
	if (prefork_alive(&m) == 0) {
		log_warnx("%s: could not start any child", pf->name);
		free(m.slots);
		return -1;
	}
	log_info("%s: master %d running %d children", pf->name,
	    (int)getpid(), pf->nprocs);

	for (;;) {
		int64_t wait = 1000;
		int sig;

		if (prefork_alive(&m) < pf->nprocs) {
			wait = m.respawn_at_ms - clock_ms();
			if (wait < 1)
				wait = 1;
		}
		ts.tv_sec = wait / 1000;
		ts.tv_nsec = (wait % 1000) * 1000000;
		sig = sigtimedwait(&m.sigs, NULL, &ts);

		if (sig == SIGTERM || sig == SIGINT) {
			log_info("%s: signal %d: graceful stop", pf->name, sig);
			break;
		}
		if (sig == SIGHUP) {
			m.generation++;
			log_info("%s: SIGHUP: replacing children one by one",
			    pf->name);
		}
		prefork_reap(&m);
		prefork_fill(&m);
		prefork_roll(&m);
	}

	prefork_stop(&m);
	free(m.slots);
	sigprocmask(SIG_SETMASK, &m.oldmask, NULL);
	log_info("%s: stopped", pf->name);
	return 0;
}
