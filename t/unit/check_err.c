/*
 * Unit tests for lib/err.c: every enum oms_err has a distinct description
 * and a stable machine name, and out-of-range codes are handled.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "unit.h"

START_TEST(test_ok)
{
	ck_assert_str_eq(oms_errname(OMS_OK), "OK");
	ck_assert_str_eq(oms_strerror(OMS_OK), "success");
}
END_TEST

START_TEST(test_names_stable)
{
	ck_assert_str_eq(oms_errname(OMS_EINVAL), "EINVAL");
	ck_assert_str_eq(oms_errname(OMS_ENOMEM), "ENOMEM");
	ck_assert_str_eq(oms_errname(OMS_EIO), "EIO");
	ck_assert_str_eq(oms_errname(OMS_EAUTH), "EAUTH");
	ck_assert_str_eq(oms_errname(OMS_EFORBIDDEN), "EFORBIDDEN");
	ck_assert_str_eq(oms_errname(OMS_ENOTFOUND), "ENOTFOUND");
	ck_assert_str_eq(oms_errname(OMS_ECONFLICT), "ECONFLICT");
	ck_assert_str_eq(oms_errname(OMS_EUNAVAIL), "EUNAVAIL");
	ck_assert_str_eq(oms_errname(OMS_ETOOBIG), "ETOOBIG");
	ck_assert_str_eq(oms_errname(OMS_ETIMEOUT), "ETIMEOUT");
	ck_assert_str_eq(oms_errname(OMS_EINTERNAL), "EINTERNAL");
}
END_TEST

/* Looped over every code with tcase_add_loop_test. */
START_TEST(test_every_code_described)
{
	enum oms_err e = (enum oms_err)_i;

	ck_assert_ptr_nonnull(oms_strerror(e));
	ck_assert_uint_gt(strlen(oms_strerror(e)), 0);
	ck_assert_str_ne(oms_strerror(e), "unknown error");
	ck_assert_str_ne(oms_errname(e), "EUNKNOWN");
}
END_TEST

START_TEST(test_descriptions_distinct)
{
	int i, j;

	for (i = 0; i < OMS_ERR_MAX; i++)
		for (j = i + 1; j < OMS_ERR_MAX; j++)
			ck_assert_msg(strcmp(oms_strerror((enum oms_err)i),
			    oms_strerror((enum oms_err)j)) != 0,
			    "codes %d and %d share a description", i, j);
}
END_TEST

START_TEST(test_names_distinct)
{
	int i, j;

	for (i = 0; i < OMS_ERR_MAX; i++)
		for (j = i + 1; j < OMS_ERR_MAX; j++)
			ck_assert_msg(strcmp(oms_errname((enum oms_err)i),
			    oms_errname((enum oms_err)j)) != 0,
			    "codes %d and %d share a name", i, j);
}
END_TEST

START_TEST(test_names_shape)
{
	int i;
	const char *n, *p;

	for (i = 1; i < OMS_ERR_MAX; i++) {
		n = oms_errname((enum oms_err)i);
		ck_assert_msg(n[0] == 'E', "%s does not start with E", n);
		for (p = n; *p != '\0'; p++)
			ck_assert_msg(*p >= 'A' && *p <= 'Z',
			    "%s is not upper case", n);
	}
}
END_TEST

START_TEST(test_out_of_range)
{
	ck_assert_str_eq(oms_strerror(OMS_ERR_MAX), "unknown error");
	ck_assert_str_eq(oms_errname(OMS_ERR_MAX), "EUNKNOWN");
	ck_assert_str_eq(oms_strerror((enum oms_err)(OMS_ERR_MAX + 100)),
	    "unknown error");
}
END_TEST

START_TEST(test_negative)
{
	ck_assert_str_eq(oms_strerror((enum oms_err)-1), "unknown error");
	ck_assert_str_eq(oms_errname((enum oms_err)-1), "EUNKNOWN");
}
END_TEST

START_TEST(test_static_strings)
{
	ck_assert_ptr_eq(oms_strerror(OMS_EINVAL), oms_strerror(OMS_EINVAL));
	ck_assert_ptr_eq(oms_errname(OMS_ETIMEOUT), oms_errname(OMS_ETIMEOUT));
}
END_TEST

START_TEST(test_selected_descriptions)
{
	ck_assert_str_eq(oms_strerror(OMS_ENOTFOUND), "not found");
	ck_assert_str_eq(oms_strerror(OMS_EINVAL), "invalid input");
	ck_assert_str_eq(oms_strerror(OMS_ETIMEOUT), "timed out");
}
END_TEST

START_TEST(test_ok_is_zero)
{
	ck_assert_int_eq(OMS_OK, 0);
	ck_assert_int_eq(OMS_ERR_MAX, OMS_EINTERNAL + 1);
}
END_TEST

static Suite *
err_suite(void)
{
	Suite *s = suite_create("err");

#define ADD(name, fn) unit_add(s, name, fn, NULL, NULL)
	ADD("ok", test_ok);
	ADD("names_stable", test_names_stable);
	unit_add_loop(s, "every_code_described", test_every_code_described,
	    OMS_ERR_MAX, NULL, NULL);
	ADD("descriptions_distinct", test_descriptions_distinct);
	ADD("names_distinct", test_names_distinct);
	ADD("names_shape", test_names_shape);
	ADD("out_of_range", test_out_of_range);
	ADD("negative", test_negative);
	ADD("static_strings", test_static_strings);
	ADD("selected_descriptions", test_selected_descriptions);
	ADD("ok_is_zero", test_ok_is_zero);
#undef ADD
	return s;
}

int
main(void)
{
	return unit_run(err_suite());
}
