/*
 * Unit tests for lib/webhook.c: event types and subscription event lists,
 * the URL rules, secrets, and the signature header against values computed
 * independently with `openssl dgst -sha256 -hmac`.
 */
#include <check.h>
#include <string.h>
#include <json-c/json.h>

#include "unit.h"
#include "webhook.h"

#define SIG_NEW	"38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
#define SIG_OLD	"b9d801502bb535e960ee9aeee7a294b082bda5089d79c7db610b85116ce6faa6"
#define BODY	"{\"a\":1}"

START_TEST(test_event_types)
{
	ck_assert(webhook_event_type_valid("order.created"));
	ck_assert(webhook_event_type_valid("order.updated"));
	ck_assert(!webhook_event_type_valid("order.exploded"));
	ck_assert(!webhook_event_type_valid("*"));
	ck_assert(!webhook_event_type_valid(""));
}
END_TEST

static int
events_ok(const char *json)
{
	struct json_object *o = json_tokener_parse(json);
	char err[256];
	int rc = webhook_events_check(o, err, sizeof(err));

	json_object_put(o);
	return rc == 0;
}

START_TEST(test_events_check)
{
	ck_assert(events_ok("[\"*\"]"));
	ck_assert(events_ok("[\"order.created\",\"order.shipped\"]"));
	ck_assert(!events_ok("[]"));
	ck_assert(!events_ok("[\"order.created\",\"order.created\"]"));
	ck_assert(!events_ok("[\"order.nope\"]"));
	ck_assert(!events_ok("[1]"));
	ck_assert(!events_ok("\"order.created\""));
	ck_assert(!events_ok("null"));
}
END_TEST

START_TEST(test_events_match)
{
	struct json_object *all = json_tokener_parse("[\"*\"]");
	struct json_object *two = json_tokener_parse(
	    "[\"order.created\",\"order.shipped\"]");

	ck_assert(webhook_events_match(all, "order.refunded"));
	ck_assert(webhook_events_match(two, "order.shipped"));
	ck_assert(!webhook_events_match(two, "order.canceled"));
	ck_assert(!webhook_events_match(NULL, "order.created"));
	json_object_put(all);
	json_object_put(two);
}
END_TEST

START_TEST(test_url)
{
	char err[256];

	ck_assert_int_eq(webhook_url_check("https://h.example/x?y=1", 0, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(webhook_url_check("https://h.example:8443", 0, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(webhook_url_check("HTTPS://[::1]:9/", 0, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(webhook_url_check("http://h.example/", 0, err,
	    sizeof(err)), -1);
	ck_assert(strstr(err, "OMS_WEBHOOK_ALLOW_HTTP") != NULL);
	ck_assert_int_eq(webhook_url_check("http://127.0.0.1:80/", 1, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(webhook_url_check("ftp://h.example/", 1, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(webhook_url_check("https://u@h.example/", 0, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(webhook_url_check("https://h.example/#f", 0, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(webhook_url_check("https://h.example/a b", 0, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(webhook_url_check("https:///x", 0, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(webhook_url_check("https://h.example:0/", 0, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(webhook_url_check("https://h.example:65536/", 0, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(webhook_url_check("https://h.example:/", 0, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(webhook_url_check("https://h_x.example/", 0, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(webhook_url_check("https://[::1/", 0, err,
	    sizeof(err)), -1);
}
END_TEST

START_TEST(test_secret)
{
	char a[WEBHOOK_SECRET_SIZE], b[WEBHOOK_SECRET_SIZE];

	ck_assert_int_eq(webhook_secret_generate(a), OMS_OK);
	ck_assert_int_eq(webhook_secret_generate(b), OMS_OK);
	ck_assert_uint_eq(strlen(a), 49);
	ck_assert(strncmp(a, "whsec_", 6) == 0);
	ck_assert_uint_eq(strspn(a + 6, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
	ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(test_sign)
{
	char h[WEBHOOK_SIGNATURE_MAX];

	ck_assert_int_eq(webhook_sign(h, sizeof(h), 1700000000, "whsec_test",
	    NULL, BODY, strlen(BODY)), 0);
	ck_assert_str_eq(h, "t=1700000000,v1=" SIG_NEW);
	ck_assert_int_eq(webhook_sign(h, sizeof(h), 1700000000, "whsec_test",
	    "whsec_old", BODY, strlen(BODY)), 0);
	ck_assert_str_eq(h, "t=1700000000,v1=" SIG_NEW ",v1=" SIG_OLD);
	ck_assert_int_eq(webhook_sign(h, 20, 1700000000, "whsec_test", NULL,
	    BODY, strlen(BODY)), -1);
}
END_TEST

START_TEST(test_verify)
{
	const char *both = "t=1700000000,v1=" SIG_NEW ",v1=" SIG_OLD;

	ck_assert(webhook_verify(both, "whsec_test", BODY, strlen(BODY), 0, 0));
	ck_assert(webhook_verify(both, "whsec_old", BODY, strlen(BODY), 0, 0));
	ck_assert(!webhook_verify(both, "whsec_other", BODY, strlen(BODY), 0,
	    0));
	ck_assert(!webhook_verify(both, "whsec_test", "{\"a\":2}", 7, 0, 0));
	ck_assert(webhook_verify(both, "whsec_test", BODY, strlen(BODY),
	    1700000100, 300));
	ck_assert(!webhook_verify(both, "whsec_test", BODY, strlen(BODY),
	    1700001000, 300));
	ck_assert(!webhook_verify("v1=" SIG_NEW, "whsec_test", BODY,
	    strlen(BODY), 0, 0));
	ck_assert(!webhook_verify("t=1700000001,v1=" SIG_NEW, "whsec_test",
	    BODY, strlen(BODY), 0, 0));
}
END_TEST

static Suite *
webhook_suite(void)
{
	Suite *s = suite_create("webhook");

#define ADD(name, fn) unit_add(s, name, fn, NULL, NULL)
	ADD("event_types", test_event_types);
	ADD("events_check", test_events_check);
	ADD("events_match", test_events_match);
	ADD("url", test_url);
	ADD("secret", test_secret);
	ADD("sign", test_sign);
	ADD("verify", test_verify);
#undef ADD
	return s;
}

int
main(void)
{
	return unit_run(webhook_suite());
}
