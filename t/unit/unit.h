/*
 * unit.h — what the Check unit tests share: adding one test case (or a
 * loop test) with its fixtures to a suite, and the runner of main().
 */
#ifndef OMS_UNIT_H
#define OMS_UNIT_H

#include <check.h>

/* Adds a test case `name` running tf, with the checked fixtures setup and
 * teardown (either may be NULL), to s. */
void	unit_add(Suite *s, const char *name, const TTest *tf, SFun setup,
	    SFun teardown);

/* The same for a loop test over the indices 0 .. n - 1. */
void	unit_add_loop(Suite *s, const char *name, const TTest *tf, int n,
	    SFun setup, SFun teardown);

/* Runs every test of s (Check's CK_NORMAL output) and frees it; returns
 * the exit status for main(). */
int	unit_run(Suite *s);

#endif
