/*
 * Money in integer minor units: the compiled-in table of active ISO 4217
 * currency codes with their exponents (JPY 0, EUR 2, KWD 3), and the
 * overflow-checked arithmetic of an order's totals. Pure: no I/O, no
 * floating point.
 *
 * Every amount oms accepts or computes lies in 0..MONEY_MAX, 2^53 - 1: the
 * largest integer that every JSON implementation (I-JSON, RFC 7493 section
 * 2.2; a JavaScript client; the Lua of the Redis Functions) holds exactly.
 */
#ifndef OMS_MONEY_H
#define OMS_MONEY_H

#include <stddef.h>
#include <stdint.h>

#define MONEY_MAX		INT64_C(9007199254740991)	/* 2^53 - 1 */
#define MONEY_UNIT_PRICE_MAX	INT64_C(1000000000000)		/* 10^12 */
#define MONEY_CODE_LEN		3
#define MONEY_FORMAT_SIZE	32	/* "-9007199254740991.0000" fits */

/* Returns the exponent (number of minor-unit digits, 0..4) of the active
 * ISO 4217 code in the len bytes at code, or -1 if it is not one. The
 * check is exact: "eur" is not a code. */
int	money_exponent(const char *code, size_t len);

/* Returns the number of codes in the table, and the i-th one (static,
 * NUL-terminated) in code order, or NULL past the end: for tests. */
size_t	money_ncodes(void);
const char *money_code(size_t i);

/*
 * The arithmetic. Each writes the result to *out and returns 0, or returns
 * -1 with *out untouched when an operand is negative, the operation
 * overflows int64_t (checked with __builtin_*_overflow), or the result is
 * above MONEY_MAX or below 0.
 */
int	money_mul(int64_t a, int64_t b, int64_t *out);
int	money_add(int64_t a, int64_t b, int64_t *out);
int	money_sub(int64_t a, int64_t b, int64_t *out);

/* Where money_total() failed. */
enum money_fail {
	MONEY_OK = 0,
	MONEY_FAIL_LINE,	/* a line's unitPrice x quantity */
	MONEY_FAIL_SUBTOTAL,	/* the sum of the lines */
	MONEY_FAIL_SHIPPING,	/* subtotal + shipping */
	MONEY_FAIL_TAX,		/* ... + tax */
	MONEY_FAIL_NEGATIVE	/* ... - discount is below zero */
};

/*
 * Computes the n line totals (unit[i] x qty[i]) into line[], their sum into
 * *subtotal and subtotal + shipping + tax - discount into *total. Returns
 * MONEY_OK, or where it failed (with *bad the index of the failing line for
 * MONEY_FAIL_LINE); the outputs are then partly written.
 */
enum money_fail money_total(size_t n, const int64_t unit[],
	    const long qty[], int64_t line[], int64_t shipping, int64_t tax,
	    int64_t discount, int64_t *subtotal, int64_t *total, size_t *bad);

/* Writes amount (minor units) in major units with exponent digits after
 * the point ("1234" with 2 -> "12.34", with 0 -> "1234") to buf. Returns 0,
 * or -1 if exponent is not 0..4 or size < MONEY_FORMAT_SIZE. */
int	money_format(int64_t amount, int exponent, char *buf, size_t size);

#endif
