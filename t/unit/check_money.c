/*
 * Unit tests for lib/money.c: the ISO 4217 table (sorted, unique, exact
 * lookups, the exponents that differ from 2, withdrawn and non-money codes
 * absent), the overflow-checked arithmetic at the 2^53 and int64_t edges,
 * money_total() and where it fails, and money_format().
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "money.h"
#include "unit.h"

static int
exp_of(const char *code)
{
	return money_exponent(code, strlen(code));
}

START_TEST(test_table_sorted_unique)
{
	size_t n = money_ncodes(), i;

	ck_assert_uint_ge(n, 150);
	for (i = 0; i < n; i++) {
		const char *c = money_code(i);

		ck_assert_uint_eq(strlen(c), 3);
		ck_assert_msg(c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' &&
		    c[1] <= 'Z' && c[2] >= 'A' && c[2] <= 'Z', "%s", c);
		if (i > 0)
			ck_assert_msg(strcmp(money_code(i - 1), c) < 0,
			    "%s before %s", money_code(i - 1), c);
		/* every code is found: the binary search sees the whole table */
		ck_assert_int_ge(exp_of(c), 0);
		ck_assert_int_le(exp_of(c), 4);
	}
	ck_assert_ptr_null(money_code(n));
}
END_TEST

START_TEST(test_exponents)
{
	ck_assert_int_eq(exp_of("EUR"), 2);
	ck_assert_int_eq(exp_of("USD"), 2);
	ck_assert_int_eq(exp_of("GBP"), 2);
	ck_assert_int_eq(exp_of("JPY"), 0);
	ck_assert_int_eq(exp_of("KRW"), 0);
	ck_assert_int_eq(exp_of("CLP"), 0);
	ck_assert_int_eq(exp_of("ISK"), 0);
	ck_assert_int_eq(exp_of("XOF"), 0);
	ck_assert_int_eq(exp_of("KWD"), 3);
	ck_assert_int_eq(exp_of("BHD"), 3);
	ck_assert_int_eq(exp_of("TND"), 3);
	ck_assert_int_eq(exp_of("CLF"), 4);
	ck_assert_int_eq(exp_of("UYW"), 4);
	/* the first and the last entries */
	ck_assert_int_eq(exp_of("AED"), 2);
	ck_assert_int_eq(exp_of("ZWG"), 2);
}
END_TEST

START_TEST(test_not_codes)
{
	static const char *const bad[] = {
		"eur", "Eur", "EU", "EURO", "", "XXX", "XTS", "XAU", "XDR",
		"HRK", "ZWL", "ANG", "BGN", "SLL", "ABC", "ZZZ", "AAA",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(exp_of(bad[i]) == -1, "%s accepted", bad[i]);
	ck_assert_int_eq(money_exponent(NULL, 3), -1);
	/* length counts: "EURX" with len 3 is EUR, with len 4 nothing */
	ck_assert_int_eq(money_exponent("EURX", 3), 2);
	ck_assert_int_eq(money_exponent("EURX", 4), -1);
	ck_assert_int_eq(money_exponent("EU\0", 3), -1);
}
END_TEST

START_TEST(test_mul)
{
	int64_t r = -7;

	ck_assert_int_eq(money_mul(1250, 2, &r), 0);
	ck_assert_int_eq(r, 2500);
	ck_assert_int_eq(money_mul(0, 10000, &r), 0);
	ck_assert_int_eq(r, 0);
	/* 10^12 x 9007 fits 2^53 - 1; x 9008 does not */
	ck_assert_int_eq(money_mul(MONEY_UNIT_PRICE_MAX, 9007, &r), 0);
	ck_assert_int_eq(r, INT64_C(9007000000000000));
	r = 5;
	ck_assert_int_eq(money_mul(MONEY_UNIT_PRICE_MAX, 9008, &r), -1);
	ck_assert_int_eq(r, 5);
	ck_assert_int_eq(money_mul(MONEY_MAX, 1, &r), 0);
	ck_assert_int_eq(r, MONEY_MAX);
	ck_assert_int_eq(money_mul(MONEY_MAX, 2, &r), -1);
	ck_assert_int_eq(r, MONEY_MAX);
	r = 5;
	/* the int64_t edge: these wrap without the overflow check */
	ck_assert_int_eq(money_mul(INT64_MAX, 2, &r), -1);
	ck_assert_int_eq(money_mul(INT64_C(4294967296), INT64_C(4294967296),
	    &r), -1);
	ck_assert_int_eq(money_mul(INT64_C(3037000500), INT64_C(3037000500),
	    &r), -1);
	ck_assert_int_eq(money_mul(-1, 5, &r), -1);
	ck_assert_int_eq(money_mul(5, -1, &r), -1);
	ck_assert_int_eq(money_mul(INT64_MIN, -1, &r), -1);
	ck_assert_int_eq(r, 5);
}
END_TEST

START_TEST(test_add_sub)
{
	int64_t r = 3;

	ck_assert_int_eq(money_add(MONEY_MAX - 1, 1, &r), 0);
	ck_assert_int_eq(r, MONEY_MAX);
	ck_assert_int_eq(money_add(MONEY_MAX, 1, &r), -1);
	ck_assert_int_eq(money_add(INT64_MAX, 1, &r), -1);
	ck_assert_int_eq(money_add(INT64_MAX, INT64_MAX, &r), -1);
	ck_assert_int_eq(money_add(-1, 1, &r), -1);
	ck_assert_int_eq(r, MONEY_MAX);
	ck_assert_int_eq(money_sub(10, 10, &r), 0);
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(money_sub(10, 11, &r), -1);
	ck_assert_int_eq(money_sub(0, INT64_MAX, &r), -1);
	ck_assert_int_eq(money_sub(INT64_MAX, 0, &r), -1);	/* > 2^53 */
	ck_assert_int_eq(money_sub(-5, -6, &r), -1);
	ck_assert_int_eq(r, 0);
}
END_TEST

START_TEST(test_total)
{
	int64_t unit[3] = { 1250, 99, 0 }, line[3], sub = -1, tot = -1;
	long qty[3] = { 2, 3, 10000 };
	size_t bad = 9;

	ck_assert_int_eq(money_total(3, unit, qty, line, 499, 100, 1000, &sub,
	    &tot, &bad), MONEY_OK);
	ck_assert_int_eq(line[0], 2500);
	ck_assert_int_eq(line[1], 297);
	ck_assert_int_eq(line[2], 0);
	ck_assert_int_eq(sub, 2797);
	ck_assert_int_eq(tot, 2797 + 499 + 100 - 1000);
	/* a discount of exactly everything: total 0 */
	ck_assert_int_eq(money_total(3, unit, qty, line, 499, 100, 3396, &sub,
	    &tot, &bad), MONEY_OK);
	ck_assert_int_eq(tot, 0);
	ck_assert_int_eq(money_total(3, unit, qty, line, 499, 100, 3397, &sub,
	    &tot, &bad), MONEY_FAIL_NEGATIVE);
}
END_TEST

START_TEST(test_total_failures)
{
	int64_t unit[2] = { 5, INT64_MAX }, line[2], sub, tot;
	long qty[2] = { 1, 2 };
	size_t bad = 9;

	ck_assert_int_eq(money_total(2, unit, qty, line, 0, 0, 0, &sub, &tot,
	    &bad), MONEY_FAIL_LINE);
	ck_assert_uint_eq(bad, 1);
	unit[1] = MONEY_MAX;
	qty[1] = 1;
	ck_assert_int_eq(money_total(2, unit, qty, line, 0, 0, 0, &sub, &tot,
	    &bad), MONEY_FAIL_SUBTOTAL);
	unit[1] = MONEY_MAX - 5;
	ck_assert_int_eq(money_total(2, unit, qty, line, 0, 0, 0, &sub, &tot,
	    &bad), MONEY_OK);
	ck_assert_int_eq(tot, MONEY_MAX);
	ck_assert_int_eq(money_total(2, unit, qty, line, 1, 0, 0, &sub, &tot,
	    &bad), MONEY_FAIL_SHIPPING);
	ck_assert_int_eq(money_total(2, unit, qty, line, 0, 1, 0, &sub, &tot,
	    &bad), MONEY_FAIL_TAX);
	ck_assert_int_eq(money_total(2, unit, qty, line, 0, INT64_MAX, 0, &sub,
	    &tot, &bad), MONEY_FAIL_TAX);
	ck_assert_int_eq(money_total(2, unit, qty, line, INT64_MAX, 0, 0, &sub,
	    &tot, &bad), MONEY_FAIL_SHIPPING);
	/* a discount above the total, and one at the int64_t edge */
	ck_assert_int_eq(money_total(2, unit, qty, line, 0, 0, INT64_MAX, &sub,
	    &tot, &bad), MONEY_FAIL_NEGATIVE);
	ck_assert_int_eq(money_total(2, unit, qty, line, 0, 0, -1, &sub,
	    &tot, &bad), MONEY_FAIL_NEGATIVE);
}
END_TEST

START_TEST(test_format)
{
	char buf[MONEY_FORMAT_SIZE];

	ck_assert_int_eq(money_format(1234, 2, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "12.34");
	ck_assert_int_eq(money_format(5, 2, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "0.05");
	ck_assert_int_eq(money_format(1234, 0, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "1234");
	ck_assert_int_eq(money_format(1234, 3, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "1.234");
	ck_assert_int_eq(money_format(1, 4, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "0.0001");
	ck_assert_int_eq(money_format(-250, 2, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "-2.50");
	ck_assert_int_eq(money_format(INT64_MIN, 2, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "-92233720368547758.08");
	ck_assert_int_eq(money_format(1, 5, buf, sizeof(buf)), -1);
	ck_assert_int_eq(money_format(1, -1, buf, sizeof(buf)), -1);
	ck_assert_int_eq(money_format(1, 2, buf, 8), -1);
}
END_TEST

static Suite *
money_suite(void)
{
	Suite *s = suite_create("money");

#define ADD(name, fn) unit_add(s, name, fn, NULL, NULL)
	ADD("table_sorted_unique", test_table_sorted_unique);
	ADD("exponents", test_exponents);
	ADD("not_codes", test_not_codes);
	ADD("mul", test_mul);
	ADD("add_sub", test_add_sub);
	ADD("total", test_total);
	ADD("total_failures", test_total_failures);
	ADD("format", test_format);
#undef ADD
	return s;
}

int
main(void)
{
	return unit_run(money_suite());
}
