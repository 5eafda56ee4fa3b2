/*
 * unit.c — the shared part of the Check unit tests (unit.h).
 */
#include <stdlib.h>

#include "unit.h"

static TCase *
unit_case(Suite *s, const char *name, SFun setup, SFun teardown)
{
	TCase *tc = tcase_create(name);

	if (setup != NULL || teardown != NULL)
		tcase_add_checked_fixture(tc, setup, teardown);
	suite_add_tcase(s, tc);
	return tc;
}

void
unit_add(Suite *s, const char *name, const TTest *tf, SFun setup,
    SFun teardown)
{
	tcase_add_test(unit_case(s, name, setup, teardown), tf);
}

void
unit_add_loop(Suite *s, const char *name, const TTest *tf, int n,
    SFun setup, SFun teardown)
{
	tcase_add_loop_test(unit_case(s, name, setup, teardown), tf, 0, n);
}

int
unit_run(Suite *s)
{
	SRunner	*sr = srunner_create(s);
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
