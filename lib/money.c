/*
 * ISO 4217 codes and the totals of an order (money.h). The table holds the
 * codes in active use (ISO 4217 list one, as of 2026) that have a minor
 * unit: the fund codes (BOV, CHE, CLF, ...) are there, the precious metals,
 * the SDR and the testing codes (XAU, XDR, XTS, XXX), which have none, are
 * not; withdrawn codes are not either (HRK 2023, SLL 2024, ZWL 2024 for
 * ZWG, ANG 2025 for XCG, BGN 2026 for EUR). It is sorted, so a lookup is a
 * binary search over 3-byte keys. The arithmetic rejects negative
 * operands, int64_t overflow and results beyond MONEY_MAX, so a caller
 * never sees a wrapped or an inexact sum.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"

struct money_currency {
	char		 code[MONEY_CODE_LEN + 1];
	unsigned char	 exponent;
};

/* Sorted by code: money_exponent() searches it. */
static const struct money_currency money_table[] = {
	{ "AED", 2 }, { "AFN", 2 }, { "ALL", 2 }, { "AMD", 2 }, { "AOA", 2 },
	{ "ARS", 2 }, { "AUD", 2 }, { "AWG", 2 }, { "AZN", 2 }, { "BAM", 2 },
	{ "BBD", 2 }, { "BDT", 2 }, { "BHD", 3 }, { "BIF", 0 }, { "BMD", 2 },
	{ "BND", 2 }, { "BOB", 2 }, { "BOV", 2 }, { "BRL", 2 }, { "BSD", 2 },
	{ "BTN", 2 }, { "BWP", 2 }, { "BYN", 2 }, { "BZD", 2 }, { "CAD", 2 },
	{ "CDF", 2 }, { "CHE", 2 }, { "CHF", 2 }, { "CHW", 2 }, { "CLF", 4 },
	{ "CLP", 0 }, { "CNY", 2 }, { "COP", 2 }, { "COU", 2 }, { "CRC", 2 },
	{ "CUP", 2 }, { "CVE", 2 }, { "CZK", 2 }, { "DJF", 0 }, { "DKK", 2 },
	{ "DOP", 2 }, { "DZD", 2 }, { "EGP", 2 }, { "ERN", 2 }, { "ETB", 2 },
	{ "EUR", 2 }, { "FJD", 2 }, { "FKP", 2 }, { "GBP", 2 }, { "GEL", 2 },
	{ "GHS", 2 }, { "GIP", 2 }, { "GMD", 2 }, { "GNF", 0 }, { "GTQ", 2 },
	{ "GYD", 2 }, { "HKD", 2 }, { "HNL", 2 }, { "HTG", 2 }, { "HUF", 2 },
	{ "IDR", 2 }, { "ILS", 2 }, { "INR", 2 }, { "IQD", 3 }, { "IRR", 2 },
	{ "ISK", 0 }, { "JMD", 2 }, { "JOD", 3 }, { "JPY", 0 }, { "KES", 2 },
	{ "KGS", 2 }, { "KHR", 2 }, { "KMF", 0 }, { "KPW", 2 }, { "KRW", 0 },
	{ "KWD", 3 }, { "KYD", 2 }, { "KZT", 2 }, { "LAK", 2 }, { "LBP", 2 },
	{ "LKR", 2 }, { "LRD", 2 }, { "LSL", 2 }, { "LYD", 3 }, { "MAD", 2 },
	{ "MDL", 2 }, { "MGA", 2 }, { "MKD", 2 }, { "MMK", 2 }, { "MNT", 2 },
	{ "MOP", 2 }, { "MRU", 2 }, { "MUR", 2 }, { "MVR", 2 }, { "MWK", 2 },
	{ "MXN", 2 }, { "MXV", 2 }, { "MYR", 2 }, { "MZN", 2 }, { "NAD", 2 },
	{ "NGN", 2 }, { "NIO", 2 }, { "NOK", 2 }, { "NPR", 2 }, { "NZD", 2 },
	{ "OMR", 3 }, { "PAB", 2 }, { "PEN", 2 }, { "PGK", 2 }, { "PHP", 2 },
	{ "PKR", 2 }, { "PLN", 2 }, { "PYG", 0 }, { "QAR", 2 }, { "RON", 2 },
	{ "RSD", 2 }, { "RUB", 2 }, { "RWF", 0 }, { "SAR", 2 }, { "SBD", 2 },
	{ "SCR", 2 }, { "SDG", 2 }, { "SEK", 2 }, { "SGD", 2 }, { "SHP", 2 },
	{ "SLE", 2 }, { "SOS", 2 }, { "SRD", 2 }, { "SSP", 2 }, { "STN", 2 },
	{ "SVC", 2 }, { "SYP", 2 }, { "SZL", 2 }, { "THB", 2 }, { "TJS", 2 },
	{ "TMT", 2 }, { "TND", 3 }, { "TOP", 2 }, { "TRY", 2 }, { "TTD", 2 },
	{ "TWD", 2 }, { "TZS", 2 }, { "UAH", 2 }, { "UGX", 0 }, { "USD", 2 },
	{ "USN", 2 }, { "UYI", 0 }, { "UYU", 2 }, { "UYW", 4 }, { "UZS", 2 },
	{ "VED", 2 }, { "VES", 2 }, { "VND", 0 }, { "VUV", 0 }, { "WST", 2 },
	{ "XAF", 0 }, { "XCD", 2 }, { "XCG", 2 }, { "XOF", 0 }, { "XPF", 0 },
	{ "YER", 2 }, { "ZAR", 2 }, { "ZMW", 2 }, { "ZWG", 2 },
};
#define MONEY_NCODES	(sizeof(money_table) / sizeof(money_table[0]))

static int
money_cmp(const void *key, const void *elem)
{
	return memcmp(key, ((const struct money_currency *)elem)->code,
	    MONEY_CODE_LEN);
}

int
money_exponent(const char *code, size_t len)
{
	const struct money_currency *c;

	if (code == NULL || len != MONEY_CODE_LEN)
		return -1;
	c = bsearch(code, money_table, MONEY_NCODES, sizeof(money_table[0]),
	    money_cmp);
	return c != NULL ? c->exponent : -1;
}

size_t
money_ncodes(void)
{
	return MONEY_NCODES;
}

const char *
money_code(size_t i)
{
	return i < MONEY_NCODES ? money_table[i].code : NULL;
}

/* Returns 0 if v is a valid amount. */
static int
money_ok(int64_t v)
{
	return v >= 0 && v <= MONEY_MAX ? 0 : -1;
}

int
money_mul(int64_t a, int64_t b, int64_t *out)
{
	int64_t	 r;

	if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r) ||
	    money_ok(r) == -1)
		return -1;
	*out = r;
	return 0;
}

int
money_add(int64_t a, int64_t b, int64_t *out)
{
	int64_t	 r;

	if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &r) ||
	    money_ok(r) == -1)
		return -1;
	*out = r;
	return 0;
}

int
money_sub(int64_t a, int64_t b, int64_t *out)
{
	int64_t	 r;

	if (a < 0 || b < 0 || __builtin_sub_overflow(a, b, &r) ||
	    money_ok(r) == -1)
		return -1;
	*out = r;
	return 0;
}

enum money_fail
money_total(size_t n, const int64_t unit[], const long qty[], int64_t line[],
    int64_t shipping, int64_t tax, int64_t discount, int64_t *subtotal,
    int64_t *total, size_t *bad)
{
	int64_t	 sum = 0, t;
	size_t	 i;

	*bad = 0;
	for (i = 0; i < n; i++) {
		if (money_mul(unit[i], (int64_t)qty[i], &line[i]) == -1) {
			*bad = i;
			return MONEY_FAIL_LINE;
		}
		if (money_add(sum, line[i], &sum) == -1)
			return MONEY_FAIL_SUBTOTAL;
	}
	*subtotal = sum;
	if (money_add(sum, shipping, &t) == -1)
		return MONEY_FAIL_SHIPPING;
	if (money_add(t, tax, &t) == -1)
		return MONEY_FAIL_TAX;
	if (money_sub(t, discount, &t) == -1)
		return MONEY_FAIL_NEGATIVE;
	*total = t;
	return MONEY_OK;
}

int
money_format(int64_t amount, int exponent, char *buf, size_t size)
{
	static const int64_t scale[] = { 1, 10, 100, 1000, 10000 };
	uint64_t mag, unit;
	const char *sign = amount < 0 ? "-" : "";

	if (exponent < 0 || exponent > 4 || size < MONEY_FORMAT_SIZE)
		return -1;
	/* the magnitude of INT64_MIN does not fit an int64_t */
	mag = amount < 0 ? (uint64_t)0 - (uint64_t)amount : (uint64_t)amount;
	unit = (uint64_t)scale[exponent];
	if (exponent == 0)
		snprintf(buf, size, "%s%llu", sign, (unsigned long long)mag);
	else
		snprintf(buf, size, "%s%llu.%0*llu", sign,
		    (unsigned long long)(mag / unit), exponent,
		    (unsigned long long)(mag % unit));
	return 0;
}
