/*
 * The pre-fork master shared by oms-fcgi and oms-worker: forks nprocs
 * children running child_main, respawns a child that dies (with backoff
 * when children crash in a loop), replaces children one by one on SIGHUP,
 * and on SIGTERM/SIGINT asks every child to stop, waits up to
 * stop_timeout_ms, then kills what is left.
 */
#ifndef OMS_PREFORK_H
#define OMS_PREFORK_H

struct prefork {
	const char	*name;		/* for log lines */
	int		 nprocs;	/* children to keep running, >= 1 */
	int		 stop_timeout_ms; /* grace period on SIGTERM */
	/* Runs in each child, after fork, with signals reset; returns the
	 * child's exit status (0: a planned exit, e.g. max requests). */
	int		(*child_main)(void *arg);
	void		*arg;
	/* Called from the child's SIGTERM/SIGINT handler: must be
	 * async-signal-safe. May be NULL. */
	void		(*on_stop)(void);
};

/* Runs the master loop until a graceful stop. Returns 0, or -1 if no child
 * could be forked at all. Only the master returns. */
int	prefork_run(const struct prefork *pf);

/* In a child: nonzero once SIGTERM or SIGINT has arrived. */
int	prefork_stopping(void);

#endif
