/*
 * Unit tests for lib/json.c: strict parsing (RFC 8259 grammar, UTF-8,
 * nesting limit, NUL bytes, trailing data, duplicate keys) with byte
 * offsets in errors, the typed getters, the adders and json_dump().
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "unit.h"

static struct json_object	*doc;
static char			 err[256];

static void
setup(void)
{
	doc = NULL;
	err[0] = '\0';
}

static void
teardown(void)
{
	json_object_put(doc);
}

static enum oms_err
parse_n(const char *s, size_t len)
{
	json_object_put(doc);
	doc = NULL;
	err[0] = '\0';
	return json_parse_strict(s, len, &doc, err, sizeof(err));
}

static enum oms_err
parse(const char *s)
{
	return parse_n(s, strlen(s));
}

/* Asserts that s (len bytes) is rejected with why at offset. */
static void
reject_n(const char *s, size_t len, const char *why, size_t offset)
{
	char want[64];

	ck_assert_msg(parse_n(s, len) == OMS_EINVAL, "accepted: %s", s);
	ck_assert_ptr_null(doc);
	if (why != NULL)
		ck_assert_msg(strstr(err, why) != NULL, "%s: err \"%s\", want %s",
		    s, err, why);
	snprintf(want, sizeof(want), "at byte offset %zu", offset);
	ck_assert_msg(strstr(err, want) != NULL, "%s: err \"%s\", want %s",
	    s, err, want);
}

static void
reject(const char *s, const char *why, size_t offset)
{
	reject_n(s, strlen(s), why, offset);
}

START_TEST(test_valid_object)
{
	struct json_object *items;

	ck_assert_int_eq(parse("{\"id\":\"o-1\",\"qty\":3,\"price\":-1.5e2,"
	    "\"ok\":true,\"no\":false,\"nil\":null,\"items\":[1,{\"a\":[]}],"
	    "\"e\":{}}"), OMS_OK);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(json_get_str(doc, "id"), "o-1");
	items = json_get_arr(doc, "items");
	ck_assert_ptr_nonnull(items);
	ck_assert_uint_eq(json_object_array_length(items), 2);
	ck_assert_ptr_nonnull(json_get_obj(doc, "e"));
}
END_TEST

START_TEST(test_valid_scalars)
{
	ck_assert_int_eq(parse("123"), OMS_OK);
	ck_assert_int_eq(json_object_get_int(doc), 123);
	ck_assert_int_eq(parse("-0.5E+3"), OMS_OK);
	ck_assert(json_object_get_double(doc) == -500.0);
	ck_assert_int_eq(parse("\"s\\n\\u00e9\\/\""), OMS_OK);
	ck_assert_str_eq(json_object_get_string(doc), "s\n\xc3\xa9/");
	ck_assert_int_eq(parse("true"), OMS_OK);
	ck_assert(json_object_get_boolean(doc));
	/* JSON null is json-c's NULL */
	ck_assert_int_eq(parse("null"), OMS_OK);
	ck_assert_ptr_null(doc);
}
END_TEST

START_TEST(test_whitespace)
{
	ck_assert_int_eq(parse(" \t\r\n[ 1 , 2 ]\n\r\t "), OMS_OK);
	ck_assert_uint_eq(json_object_array_length(doc), 2);
	ck_assert_int_eq(parse(" { \"a\" : 1 } "), OMS_OK);
	reject("\f1", "unexpected character", 0);
}
END_TEST

START_TEST(test_length_honoured)
{
	ck_assert_int_eq(parse_n("[1]garbage", 3), OMS_OK);
	ck_assert_uint_eq(json_object_array_length(doc), 1);
	ck_assert_int_eq(parse_n("12345", 2), OMS_OK);
	ck_assert_int_eq(json_object_get_int(doc), 12);
}
END_TEST

START_TEST(test_trailing_garbage)
{
	reject("{} x", "trailing", 3);
	reject("[1] [2]", "trailing", 4);
	reject("1 2", "trailing", 2);
	reject("{}}", "trailing", 2);
	reject("\"a\"\"b\"", "trailing", 3);
	reject("truex", "trailing", 4);
}
END_TEST

START_TEST(test_invalid_utf8)
{
	reject("\"\xff\"", "UTF-8", 1);
	reject("[\"ok\",\"\xc0\x80\"]", "UTF-8", 7);	/* overlong NUL */
	reject("\"\xed\xa0\x80\"", "UTF-8", 1);		/* surrogate */
	reject("\"\xf4\x90\x80\x80\"", "UTF-8", 1);	/* > U+10FFFF */
	reject("\"ab\xe2\x82\"", "UTF-8", 3);		/* cut short */
	reject("\"\x80\"", "UTF-8", 1);
	ck_assert_int_eq(parse("\"\xe2\x82\xac \xf0\x9f\x98\x80\""), OMS_OK);
}
END_TEST

START_TEST(test_depth_limit)
{
	char buf[2 * (OMS_JSON_MAX_DEPTH + 1) + 1];
	int i, n = OMS_JSON_MAX_DEPTH;

	for (i = 0; i < n; i++) {
		buf[i] = '[';
		buf[n + i] = ']';
	}
	ck_assert_msg(parse_n(buf, 2 * (size_t)n) == OMS_OK, "%s", err);
	for (i = 0; i <= n; i++) {
		buf[i] = '[';
		buf[n + 1 + i] = ']';
	}
	reject_n(buf, 2 * (size_t)n + 2, "nesting too deep", (size_t)n);
}
END_TEST

START_TEST(test_depth_objects)
{
	char buf[512];
	size_t len = 0;
	int i;

	for (i = 0; i <= OMS_JSON_MAX_DEPTH; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    "{\"k\":");
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "1");
	for (i = 0; i <= OMS_JSON_MAX_DEPTH; i++)
		buf[len++] = '}';
	/* the 17th '{' is at 16 * strlen("{\"k\":") */
	reject_n(buf, len, "nesting too deep", 16 * 5);
}
END_TEST

START_TEST(test_nul_byte)
{
	reject_n("{\"a\":\"b\0c\"}", 11, "NUL", 7);
	reject_n("[1]\0", 4, "NUL", 3);
	reject_n("\0", 1, "NUL", 0);
}
END_TEST

START_TEST(test_truncated)
{
	reject("", "end of input", 0);
	reject("   ", "end of input", 3);
	reject("{\"a\":", "end of input", 5);
	reject("[1,2", "expected ','", 4);
	reject("\"abc", "unterminated string", 4);
	reject("{", "expected a string key", 1);
	reject("tru", "unexpected character", 0);
	reject("-", "invalid number", 1);
	reject("1e", "invalid number", 2);
}
END_TEST

START_TEST(test_not_rfc8259)
{
	/* all accepted by json-c's strict mode */
	reject("NaN", "unexpected character", 0);
	reject("[Infinity]", "unexpected character", 1);
	reject("-Infinity", "invalid number", 1);
	reject("1.", "invalid number", 2);
	reject("-01", "trailing", 2);
	reject("{'a':1}", "expected a string key", 1);
	reject("\"a\tb\"", "control character", 2);
	reject("\"a\nb\"", "control character", 2);
	/* and some it refuses too */
	reject("+1", "unexpected character", 0);
	reject(".5", "unexpected character", 0);
	reject("[1,]", "unexpected character", 3);
	reject("{\"a\":1,}", "expected a string key", 7);
	reject("/*c*/1", "unexpected character", 0);
	reject("[\"\\x41\"]", "invalid escape", 4);
	reject("{\"a\" 1}", "expected ':'", 5);
	reject("[1 2]", "expected ','", 3);
	reject("True", "unexpected character", 0);
}
END_TEST

START_TEST(test_escapes)
{
	reject("\"a\\u0000b\"", "\\u0000", 8);
	reject("\"\\ud800\"", "surrogate", 7);
	reject("\"\\udc00\"", "surrogate", 7);
	reject("\"\\ud800\\u0041\"", "surrogate", 13);
	reject("\"\\u12G4\"", "invalid escape", 3);
	ck_assert_int_eq(parse("\"\\uD83D\\uDE00\""), OMS_OK);
	ck_assert_str_eq(json_object_get_string(doc), "\xf0\x9f\x98\x80");
}
END_TEST

START_TEST(test_duplicate_keys)
{
	reject("{\"a\":1,\"a\":2}", "duplicate object key", 7);
	reject("{\"a\":{\"x\":1,\"y\":2},\"a\":3}", "duplicate object key",
	    19);
	reject("[0,{\"b\":1,\"c\":{\"d\":1,\"d\":1}}]", "duplicate object key",
	    21);
	/* the same key after unescaping */
	reject("{\"a\":1,\"\\u0061\":2}", "duplicate object key", 7);
	/* equal keys in different objects are fine */
	ck_assert_int_eq(parse("{\"a\":{\"a\":1},\"b\":[{\"a\":1},{\"a\":2}]}"),
	    OMS_OK);
}
END_TEST

START_TEST(test_no_err_buffer)
{
	struct json_object *o = (struct json_object *)&o;

	ck_assert_int_eq(json_parse_strict("[", 1, &o, NULL, 0), OMS_EINVAL);
	ck_assert_ptr_null(o);
	ck_assert_int_eq(json_parse_strict("[1]", 3, &o, NULL, 0), OMS_OK);
	ck_assert_ptr_nonnull(o);
	json_object_put(o);
}
END_TEST

START_TEST(test_getters_wrong_type)
{
	ck_assert_int_eq(parse("{\"s\":\"x\",\"n\":1,\"o\":{},\"a\":[],"
	    "\"z\":null}"), OMS_OK);
	ck_assert_str_eq(json_get_str(doc, "s"), "x");
	ck_assert_ptr_null(json_get_str(doc, "n"));
	ck_assert_ptr_null(json_get_str(doc, "o"));
	ck_assert_ptr_null(json_get_str(doc, "z"));
	ck_assert_ptr_null(json_get_str(doc, "missing"));
	ck_assert_ptr_nonnull(json_get_obj(doc, "o"));
	ck_assert_ptr_null(json_get_obj(doc, "a"));
	ck_assert_ptr_null(json_get_obj(doc, "z"));
	ck_assert_ptr_nonnull(json_get_arr(doc, "a"));
	ck_assert_ptr_null(json_get_arr(doc, "o"));
	ck_assert_ptr_null(json_get_arr(doc, "s"));
}
END_TEST

START_TEST(test_getters_not_object)
{
	ck_assert_int_eq(parse("[\"s\"]"), OMS_OK);
	ck_assert_ptr_null(json_get_str(doc, "s"));
	ck_assert_ptr_null(json_get_obj(doc, "0"));
	ck_assert_ptr_null(json_get_arr(NULL, "a"));
	ck_assert_ptr_null(json_get_str(NULL, "a"));
}
END_TEST

START_TEST(test_adders)
{
	size_t len;
	const char *s;

	doc = json_object_new_object();
	json_add_str(doc, "s", "x\"y");
	json_add_str(doc, "n", NULL);
	json_add_int(doc, "i", -5);
	json_add_int(doc, "big", 9007199254740993LL);
	json_add_bool(doc, "t", 42);
	json_add_bool(doc, "f", 0);
	s = json_dump(doc, &len);
	ck_assert_str_eq(s, "{\"s\":\"x\\\"y\",\"n\":null,\"i\":-5,"
	    "\"big\":9007199254740993,\"t\":true,\"f\":false}");
	ck_assert_uint_eq(len, strlen(s));
}
END_TEST

START_TEST(test_adders_replace_and_non_object)
{
	struct json_object *arr = json_object_new_array();

	doc = json_object_new_object();
	json_add_int(doc, "k", 1);
	json_add_int(doc, "k", 2);
	ck_assert_str_eq(json_dump(doc, NULL), "{\"k\":2}");
	json_add_str(arr, "k", "v");	/* ignored, no leak */
	json_add_int(arr, "k", 1);
	json_add_bool(NULL, "k", 1);
	ck_assert_str_eq(json_dump(arr, NULL), "[]");
	json_object_put(arr);
}
END_TEST

START_TEST(test_dump_no_slash_escape)
{
	size_t len = 0;
	const char *s;

	ck_assert_int_eq(parse("{ \"href\" : \"/v1/orders/o-1\", "
	    "\"u\": \"http:\\/\\/x\" }"), OMS_OK);
	s = json_dump(doc, &len);
	ck_assert_str_eq(s, "{\"href\":\"/v1/orders/o-1\",\"u\":\"http://x\"}");
	ck_assert_ptr_null(strstr(s, "\\/"));
	ck_assert_uint_eq(len, strlen(s));
}
END_TEST

START_TEST(test_dump_null)
{
	size_t len = 99;

	ck_assert_str_eq(json_dump(NULL, &len), "null");
	ck_assert_uint_eq(len, 4);
}
END_TEST

START_TEST(test_roundtrip)
{
	const char *in = "{\"a\":[1,2.5,\"x\\u0001\"],\"b\":{\"c\":false}}";
	char copy[128];

	ck_assert_int_eq(parse(in), OMS_OK);
	snprintf(copy, sizeof(copy), "%s", json_dump(doc, NULL));
	ck_assert_int_eq(parse(copy), OMS_OK);
	ck_assert_str_eq(json_dump(doc, NULL), copy);
}
END_TEST

static Suite *
json_suite(void)
{
	Suite *s = suite_create("json");

#define ADD(name, fn) unit_add(s, name, fn, setup, teardown)
	ADD("valid_object", test_valid_object);
	ADD("valid_scalars", test_valid_scalars);
	ADD("whitespace", test_whitespace);
	ADD("length_honoured", test_length_honoured);
	ADD("trailing_garbage", test_trailing_garbage);
	ADD("invalid_utf8", test_invalid_utf8);
	ADD("depth_limit", test_depth_limit);
	ADD("depth_objects", test_depth_objects);
	ADD("nul_byte", test_nul_byte);
	ADD("truncated", test_truncated);
	ADD("not_rfc8259", test_not_rfc8259);
	ADD("escapes", test_escapes);
	ADD("duplicate_keys", test_duplicate_keys);
	ADD("no_err_buffer", test_no_err_buffer);
	ADD("getters_wrong_type", test_getters_wrong_type);
	ADD("getters_not_object", test_getters_not_object);
	ADD("adders", test_adders);
	ADD("adders_replace_and_non_object", test_adders_replace_and_non_object);
	ADD("dump_no_slash_escape", test_dump_no_slash_escape);
	ADD("dump_null", test_dump_null);
	ADD("roundtrip", test_roundtrip);
#undef ADD
	return s;
}

int
main(void)
{
	return unit_run(json_suite());
}
