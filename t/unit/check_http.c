/*
 * Unit tests for the pure parts of lib/http.c (Retry-After, URL joining,
 * path escaping) and lib/backoff.c (delays, jitter, Retry-After floor).
 * The transfers themselves are exercised by the worker's integration
 * tests against oms-provider-sim.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "backoff.h"
#include "http.h"
#include "unit.h"

START_TEST(test_retry_after_seconds)
{
	ck_assert_int_eq(http_retry_after("1", 0), 1);
	ck_assert_int_eq(http_retry_after(" 120 ", 0), 120);
	ck_assert_int_eq(http_retry_after("0", 0), 0);
	ck_assert_int_eq(http_retry_after("99999999999999", 0), 2147483647);
}
END_TEST

START_TEST(test_retry_after_date)
{
	/* Sun, 06 Nov 1994 08:49:37 GMT is 784111777 */
	ck_assert_int_eq(http_retry_after("Sun, 06 Nov 1994 08:49:37 GMT",
	    784111777 - 30), 30);
	/* a date in the past: retry now */
	ck_assert_int_eq(http_retry_after("Sun, 06 Nov 1994 08:49:37 GMT",
	    784111777 + 30), 0);
}
END_TEST

START_TEST(test_retry_after_junk)
{
	ck_assert_int_eq(http_retry_after("", 0), -1);
	ck_assert_int_eq(http_retry_after("soon", 0), -1);
	ck_assert_int_eq(http_retry_after("12s", 0), -1);
	ck_assert_int_eq(http_retry_after("-1", 0), -1);
}
END_TEST

START_TEST(test_url_join)
{
	char *s;

	s = http_url_join("http://pay.example", "/charges");
	ck_assert_str_eq(s, "http://pay.example/charges");
	free(s);
	s = http_url_join("http://pay.example/v1/", "/charges");
	ck_assert_str_eq(s, "http://pay.example/v1/charges");
	free(s);
	s = http_url_join("http://pay.example/v1//", "charges");
	ck_assert_str_eq(s, "http://pay.example/v1/charges");
	free(s);
}
END_TEST

START_TEST(test_escape)
{
	char *s;

	s = http_escape("sh_ABC-1.2~_");
	ck_assert_str_eq(s, "sh_ABC-1.2~_");
	free(s);
	s = http_escape("a/b?c d%");
	ck_assert_str_eq(s, "a%2Fb%3Fc%20d%25");
	free(s);
	s = http_escape("");
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(test_backoff_grows_within_bounds)
{
	unsigned r;
	int a;

	for (a = 0; a < 12; a++) {
		long long ceiling = 200LL << a;

		if (ceiling > 30000)
			ceiling = 30000;
		for (r = 0; r < 1000; r += 7) {
			int d = backoff_delay_ms(a, 200, 30000, -1, r * 2654435761u);

			ck_assert_int_ge(d, ceiling / 2);
			ck_assert_int_le(d, ceiling);
		}
	}
	/* the extremes of the jitter */
	ck_assert_int_eq(backoff_delay_ms(0, 200, 30000, -1, 0), 100);
	ck_assert_int_eq(backoff_delay_ms(0, 200, 30000, -1, 100), 200);
	/* a huge attempt number does not overflow */
	ck_assert_int_le(backoff_delay_ms(1000, 200, 30000, -1, 5), 30000);
}
END_TEST

START_TEST(test_backoff_jitter_spreads)
{
	int seen_low = 0, seen_high = 0, i;

	for (i = 0; i < 200; i++) {
		int d = backoff_delay_ms(3, 200, 30000, -1, backoff_random());

		seen_low |= d < 1200;
		seen_high |= d >= 1200;
	}
	ck_assert(seen_low && seen_high);
}
END_TEST

START_TEST(test_backoff_retry_after)
{
	ck_assert_int_eq(backoff_delay_ms(0, 200, 30000, 1, 0), 1000);
	ck_assert_int_eq(backoff_delay_ms(0, 200, 30000, 0, 0), 100);
	/* a smaller Retry-After than the backoff: the backoff stands */
	ck_assert_int_ge(backoff_delay_ms(10, 200, 30000, 1, 0), 15000);
	/* capped */
	ck_assert_int_eq(backoff_delay_ms(0, 200, 30000, 86400, 0),
	    BACKOFF_AFTER_MAX_S * 1000);
}
END_TEST

/* http_addr_private of an IPv4 or IPv6 literal. */
static int
addr_private(const char *text)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;

	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	if (inet_pton(AF_INET, text, &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		return http_addr_private((const struct sockaddr *)&s4);
	}
	ck_assert_int_eq(inet_pton(AF_INET6, text, &s6.sin6_addr), 1);
	s6.sin6_family = AF_INET6;
	return http_addr_private((const struct sockaddr *)&s6);
}

START_TEST(test_addr_private)
{
	static const char *const private[] = { "127.0.0.1", "127.9.9.9",
	    "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
	    "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1",
	    "255.255.255.255", "198.18.0.1", "192.0.0.8", "::1", "::",
	    "fe80::1", "fd00::1", "fc00::1", "ff02::1", "::ffff:127.0.0.1",
	    "::ffff:10.0.0.1", NULL };
	static const char *const public[] = { "93.184.216.34", "8.8.8.8",
	    "172.32.0.1", "172.15.255.255", "100.128.0.1", "192.169.0.1",
	    "2606:2800:220:1::1", "::ffff:8.8.8.8", "1.1.1.1", NULL };

	for (int i = 0; private[i] != NULL; i++)
		ck_assert_msg(addr_private(private[i]), "%s", private[i]);
	for (int i = 0; public[i] != NULL; i++)
		ck_assert_msg(!addr_private(public[i]), "%s", public[i]);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("http");

	unit_add(s, "retry_after_seconds", test_retry_after_seconds, NULL, NULL);
	unit_add(s, "retry_after_date", test_retry_after_date, NULL, NULL);
	unit_add(s, "retry_after_junk", test_retry_after_junk, NULL, NULL);
	unit_add(s, "url_join", test_url_join, NULL, NULL);
	unit_add(s, "escape", test_escape, NULL, NULL);
	unit_add(s, "backoff_bounds", test_backoff_grows_within_bounds, NULL,
	    NULL);
	unit_add(s, "backoff_jitter", test_backoff_jitter_spreads, NULL, NULL);
	unit_add(s, "backoff_retry_after", test_backoff_retry_after, NULL,
	    NULL);
	unit_add(s, "addr_private", test_addr_private, NULL, NULL);
	return unit_run(s);
}
