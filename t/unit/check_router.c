/*
 * Unit tests of fcgi-app/router.c: literal and captured segments, HEAD,
 * 404 versus 405 with the Allow list, queries, and paths that must not
 * match.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "unit.h"

static int h_list, h_create, h_get, h_cancel, h_health;

static const struct route table[] = {
	{ "GET",	"/healthz",		&h_health },
	{ "GET",	"/orders",		&h_list },
	{ "POST",	"/orders",		&h_create },
	{ "GET",	"/orders/{id}",		&h_get },
	{ "DELETE",	"/orders/{id}",		&h_get },
	{ "PATCH",	"/orders/{id}/cancel",	&h_cancel },
};
#define NROUTES (sizeof(table) / sizeof(table[0]))

static enum route_result
match(const char *method, const char *path, struct route_match *m)
{
	return router_match(table, NROUTES, method, path, m);
}

static void
assert_capture(const struct route_match *m, int i, const char *want)
{
	ck_assert_int_gt(m->ncaptures, i);
	ck_assert_uint_eq(m->captures[i].len, strlen(want));
	ck_assert(memcmp(m->captures[i].ptr, want, strlen(want)) == 0);
}

START_TEST(literal_routes)
{
	struct route_match m;

	ck_assert_int_eq(match("GET", "/healthz", &m), ROUTE_FOUND);
	ck_assert_ptr_eq(m.route->data, &h_health);
	ck_assert_int_eq(m.ncaptures, 0);
	ck_assert_int_eq(match("GET", "/orders", &m), ROUTE_FOUND);
	ck_assert_ptr_eq(m.route->data, &h_list);
	ck_assert_int_eq(match("POST", "/orders", &m), ROUTE_FOUND);
	ck_assert_ptr_eq(m.route->data, &h_create);
}
END_TEST

START_TEST(captures)
{
	struct route_match m;

	ck_assert_int_eq(match("GET", "/orders/abc-123", &m), ROUTE_FOUND);
	ck_assert_ptr_eq(m.route->data, &h_get);
	assert_capture(&m, 0, "abc-123");
	ck_assert_int_eq(match("PATCH", "/orders/o1/cancel", &m), ROUTE_FOUND);
	ck_assert_ptr_eq(m.route->data, &h_cancel);
	assert_capture(&m, 0, "o1");
}
END_TEST

START_TEST(query_is_ignored)
{
	struct route_match m;

	ck_assert_int_eq(match("GET", "/orders?limit=5&cursor=x", &m),
	    ROUTE_FOUND);
	ck_assert_ptr_eq(m.route->data, &h_list);
	ck_assert_int_eq(match("GET", "/orders/o9?x=/cancel", &m), ROUTE_FOUND);
	assert_capture(&m, 0, "o9");
	ck_assert_int_eq(match("GET", "/healthz?", &m), ROUTE_FOUND);
}
END_TEST

START_TEST(head_matches_get)
{
	struct route_match m;

	ck_assert_int_eq(match("HEAD", "/orders/x", &m), ROUTE_FOUND);
	ck_assert_ptr_eq(m.route->data, &h_get);
}
END_TEST

START_TEST(not_found)
{
	struct route_match m;
	static const char *const paths[] = {
		"/", "", "/health", "/healthz/", "/healthzz", "/orders/",
		"/orders//cancel", "/orders/a/b", "/orders/a/cancel/x",
		"/ORDERS", "//orders", "/orders/a/cancel/", "orders",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		ck_assert_msg(match("GET", paths[i], &m) == ROUTE_NOT_FOUND,
		    "%s matched", paths[i]);
}
END_TEST

START_TEST(method_not_allowed_lists_allow)
{
	struct route_match m;

	ck_assert_int_eq(match("PUT", "/orders", &m), ROUTE_METHOD_NOT_ALLOWED);
	ck_assert_str_eq(m.allow, "GET, HEAD, POST");
	ck_assert_ptr_null(m.route);
	ck_assert_int_eq(match("POST", "/orders/x", &m),
	    ROUTE_METHOD_NOT_ALLOWED);
	ck_assert_str_eq(m.allow, "GET, HEAD, DELETE");
	ck_assert_int_eq(match("GET", "/orders/x/cancel", &m),
	    ROUTE_METHOD_NOT_ALLOWED);
	ck_assert_str_eq(m.allow, "PATCH");
	ck_assert_int_eq(match("DELETE", "/healthz", &m),
	    ROUTE_METHOD_NOT_ALLOWED);
	ck_assert_str_eq(m.allow, "GET, HEAD");
}
END_TEST

START_TEST(methods_are_case_sensitive)
{
	struct route_match m;

	/* RFC 9110 §9.1: method names are case-sensitive. */
	ck_assert_int_eq(match("get", "/healthz", &m),
	    ROUTE_METHOD_NOT_ALLOWED);
}
END_TEST

START_TEST(percent_encoded_slash_is_one_segment)
{
	struct route_match m;

	ck_assert_int_eq(match("GET", "/orders/a%2Fb", &m), ROUTE_FOUND);
	assert_capture(&m, 0, "a%2Fb");
	ck_assert_int_eq(match("GET", "/orders/a%2Fb/cancel", &m),
	    ROUTE_METHOD_NOT_ALLOWED);
}
END_TEST

static Suite *
router_suite(void)
{
	Suite *s = suite_create("router");
	struct { const char *name; const TTest *fn; } cases[] = {
		{ "literal", literal_routes },
		{ "captures", captures },
		{ "query", query_is_ignored },
		{ "head", head_matches_get },
		{ "not_found", not_found },
		{ "405", method_not_allowed_lists_allow },
		{ "method_case", methods_are_case_sensitive },
		{ "percent", percent_encoded_slash_is_one_segment },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		unit_add(s, cases[i].name, cases[i].fn, NULL, NULL);
	return s;
}

int
main(void)
{
	return unit_run(router_suite());
}
