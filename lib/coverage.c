/*
 * coverage.c — _exit that keeps a process's coverage counts.
 *
 * gcov writes the counts of a process from an atexit handler, which
 * _exit(2) skips: a child leaving by _exit (a fault-injection point, a
 * child whose master died before it started) would show as never having
 * run. In --enable-coverage builds (OMS_COVERAGE) coverage_exit flushes
 * them first; otherwise it is _exit. scripts/coverage collects the files.
 */
#include "config.h"

#include <unistd.h>

#include "coverage.h"

#ifdef OMS_COVERAGE
void	__gcov_dump(void);	/* libgcov, linked by --coverage */
#endif

void
coverage_exit(int status)
{
#ifdef OMS_COVERAGE
	__gcov_dump();
#endif
	_exit(status);
}
