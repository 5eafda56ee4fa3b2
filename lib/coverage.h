/*
 * Leaving a process at once without losing its coverage counts.
 */
#ifndef OMS_COVERAGE_H
#define OMS_COVERAGE_H

/* _exit(status), after writing the gcov counts in --enable-coverage builds
 * (gcov writes them from an atexit handler, which _exit skips). */
void	coverage_exit(int status) __attribute__((noreturn));

#endif
