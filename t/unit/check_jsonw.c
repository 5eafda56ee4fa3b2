/*
 * Unit tests for lib/jsonw.c: the string writer against json-c's printer
 * (every byte value, control characters, quotes, backslash, UTF-8 kept,
 * invalid UTF-8 and NUL as json-c prints them, random strings), the
 * bound and growth of the buffer, integers, and jsonw_stored() against
 * json-c's parse-and-print, with what it hands back untouched.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jsonw.h"
#include "unit.h"

static struct jsonw	 w;

static void
setup(void)
{
	jsonw_init(&w, 1 << 20);
}

static void
teardown(void)
{
	jsonw_free(&w);
}

/* Asserts that w holds exactly the C string want. */
static void
holds(const char *want)
{
	ck_assert_msg(w.len == strlen(want) && memcmp(w.buf, want, w.len) == 0,
	    "got [%.*s], want [%s]", (int)w.len, w.buf, want);
}

/* Asserts jsonw_str(s, n) prints what json-c prints for that string. */
static void
same_as_jsonc(const char *s, size_t n)
{
	struct json_object *o = json_object_new_string_len(s, (int)n);
	size_t len;
	const char *want = json_dump(o, &len);

	w.len = 0;
	ck_assert_int_eq(jsonw_str(&w, s, n), 0);
	ck_assert_msg(w.len == len && memcmp(w.buf, want, len) == 0,
	    "got [%.*s], json-c [%s]", (int)w.len, w.buf, want);
	json_object_put(o);
}

START_TEST(test_str_escapes)
{
	static const struct {
		const char	*in;
		size_t		 n;
		const char	*out;
	} cases[] = {
		{ "plain", 5, "\"plain\"" },
		{ "", 0, "\"\"" },
		{ "a\"b", 3, "\"a\\\"b\"" },
		{ "a\\b", 3, "\"a\\\\b\"" },
		{ "a/b", 3, "\"a/b\"" },
		{ "\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"" },
		{ "\x01\x1f", 2, "\"\\u0001\\u001f\"" },
		{ "x\0y", 3, "\"x\\u0000y\"" },
		{ "\x7f", 1, "\"\x7f\"" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
		    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
		/* not UTF-8: passed through, as json-c does */
		{ "\xff\xc3(\xed\xa0\x80", 6, "\"\xff\xc3(\xed\xa0\x80\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w.len = 0;
		ck_assert_int_eq(jsonw_str(&w, cases[i].in, cases[i].n), 0);
		holds(cases[i].out);
		same_as_jsonc(cases[i].in, cases[i].n);
	}
}
END_TEST

START_TEST(test_str_every_byte)
{
	char s[3];

	for (int c = 0; c < 256; c++) {
		s[0] = 'a';
		s[1] = (char)c;
		s[2] = 'z';
		same_as_jsonc(s, 3);
		same_as_jsonc(s + 1, 1);
	}
}
END_TEST

START_TEST(test_str_random)
{
	static const char pool[] = "ab/\"\\\n\t\x01\x1f\x7f\xc3\xa9\xff \0";
	char s[64];

	srandom(17);
	for (int i = 0; i < 5000; i++) {
		size_t n = (size_t)(random() % (long)sizeof(s));

		for (size_t j = 0; j < n; j++)
			s[j] = pool[random() % (long)(sizeof(pool) - 1)];
		same_as_jsonc(s, n);
	}
}
END_TEST

START_TEST(test_strz_int)
{
	ck_assert_int_eq(jsonw_strz(&w, NULL), 0);
	ck_assert_int_eq(jsonw_raw(&w, ",", 1), 0);
	ck_assert_int_eq(jsonw_strz(&w, "a\"b"), 0);
	ck_assert_int_eq(jsonw_lit(&w, ","), 0);
	ck_assert_int_eq(jsonw_int(&w, 0), 0);
	ck_assert_int_eq(jsonw_lit(&w, ","), 0);
	ck_assert_int_eq(jsonw_int(&w, -42), 0);
	ck_assert_int_eq(jsonw_lit(&w, ","), 0);
	ck_assert_int_eq(jsonw_int(&w, LLONG_MIN), 0);
	ck_assert_int_eq(jsonw_lit(&w, ","), 0);
	ck_assert_int_eq(jsonw_int(&w, LLONG_MAX), 0);
	holds("null,\"a\\\"b\",0,-42,-9223372036854775808,"
	    "9223372036854775807");
}
END_TEST

START_TEST(test_bound)
{
	struct jsonw small;

	jsonw_init(&small, 8);
	ck_assert_int_eq(jsonw_lit(&small, "1234"), 0);
	ck_assert_int_eq(jsonw_str(&small, "ab", 2), 0);	/* 8 bytes */
	ck_assert_uint_eq(small.len, 8);
	ck_assert_int_eq(small.err, 0);
	ck_assert_int_eq(jsonw_raw(&small, "x", 1), -1);
	ck_assert_int_eq(small.err, 1);
	ck_assert_uint_eq(small.len, 8);
	/* sticky: even what would fit is refused now */
	ck_assert_int_eq(jsonw_raw(&small, "", 0), -1);
	ck_assert_int_eq(jsonw_stored(&small, "[]", 2, 1), -1);
	ck_assert_uint_le(small.cap, 8);
	jsonw_free(&small);
	ck_assert_ptr_null(small.buf);

	/* an escape that does not fit whole is not written in part */
	jsonw_init(&small, 5);
	ck_assert_int_eq(jsonw_str(&small, "\x01", 1), -1);
	ck_assert_uint_le(small.len, 5);
	jsonw_free(&small);
}
END_TEST

START_TEST(test_growth)
{
	char chunk[1000];

	memset(chunk, 'q', sizeof(chunk));
	for (int i = 0; i < 300; i++)
		ck_assert_int_eq(jsonw_raw(&w, chunk, sizeof(chunk)), 0);
	ck_assert_uint_eq(w.len, 300000);
	ck_assert_uint_ge(w.cap, w.len);
	for (size_t i = 0; i < w.len; i++)
		ck_assert_int_eq(w.buf[i], 'q');
}
END_TEST

/* Stored texts jsonw_stored() prints, each checked against json-c. */
static const char *const stored_ok[] = {
	"[]", "{}", " [ ] ", "[1,2,3]", "[-7,0,123456789012345678]",
	"[-0]", "[true,false,null]", "[[[]],{}]",
	"{\"a\":\"b\"}", "{ \"a\" : \"b\" , \"c\" : [ 1 , 2 ] }\n",
	"{\"url\":\"https:\\/\\/x.example\\/p\"}",
	"{\"k\":\"caf\\u00e9 \\u20ac \\u00E9 \\u0041\"}",
	"{\"k\":\"\\u0001\\u001f\\u0022\\u005c\\u002f\"}",
	"{\"k\":\"\\\"\\\\\\b\\f\\n\\r\\t\"}",
	"{\"caf\xc3\xa9\":\"\xf0\x9f\x98\x80\"}",
	"{\"bad\":\"\xff\xc3(\"}",
	"{\"\\u0061\":1,\"a\\u0062\":2}",
	"[{\"productId\":\"p1\",\"variantId\":\"v1\",\"quantity\":2,"
	    "\"name\":\"T-shirt \\/ blue\",\"unitPrice\":1999,\"total\":3998}]",
	"{\"name\":\"A\",\"line1\":\"1 Main St\",\"city\":\"Paris\","
	    "\"country\":\"FR\"}",
	"{\"a\":{\"b\":{\"c\":{\"d\":[1,{\"e\":null}]}}}}",
	"{\"x\":1,\"y\":{\"x\":2}}",
};

/* Texts it hands back (json-c would print them otherwise or refuse them). */
static const char *const stored_back[] = {
	"", " ", "[", "{", "[1,]", "{\"a\"}", "{\"a\":}", "[1 2]", "[1]x",
	"[1.5]", "[1e3]", "[1E3]", "[01]", "[-]", "[1234567890123456789]",
	"[\"\\u0000\"]", "[\"\\ud83d\\ude00\"]", "[\"\\ud83d\"]", "[\"\\x\"]",
	"[\"a\nb\"]", "[\"\x01\"]", "[\"abc", "[\"\\u12\"]", "[nul]", "[True]",
	"{\"a\":1,\"a\":2}", "{\"\\u0061\":1,\"a\":2}", "{'a':1}",
	"[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]", "\"str\"", "1", "null",
};

START_TEST(test_stored_same)
{
	for (size_t i = 0; i < sizeof(stored_ok) / sizeof(stored_ok[0]); i++) {
		const char *t = stored_ok[i];
		struct json_object *o = json_tokener_parse(t);
		size_t len;
		const char *want = json_dump(o, &len);

		w.len = 0;
		ck_assert_int_eq(jsonw_lit(&w, "<"), 0);
		ck_assert_msg(jsonw_stored(&w, t, strlen(t), t[0] == '[' ||
		    t[1] == '[') == 0, "handed back: %s", t);
		ck_assert_msg(w.len == len + 1 && memcmp(w.buf + 1, want, len) ==
		    0, "%s: got [%.*s], json-c [%s]", t, (int)w.len - 1,
		    w.buf + 1, want);
		json_object_put(o);
	}
}
END_TEST

START_TEST(test_stored_back)
{
	for (size_t i = 0; i < sizeof(stored_back) / sizeof(stored_back[0]);
	    i++) {
		const char *t = stored_back[i];

		w.len = 0;
		ck_assert_int_eq(jsonw_lit(&w, "<"), 0);
		ck_assert_msg(jsonw_stored(&w, t, strlen(t), 1) == 1 &&
		    jsonw_stored(&w, t, strlen(t), 0) == 1, "printed: %s", t);
		holds("<");
	}
	/* the wrong top-level type */
	ck_assert_int_eq(jsonw_stored(&w, "{}", 2, 1), 1);
	ck_assert_int_eq(jsonw_stored(&w, "[]", 2, 0), 1);
	holds("<");
}
END_TEST

START_TEST(test_stored_keys_max)
{
	char t[1024];
	size_t n = 0;

	/* 32 members are printed, 33 handed back */
	for (int k = 0; k < 33; k++)
		n += (size_t)snprintf(t + n, sizeof(t) - n, "%s\"k%d\":%d",
		    k == 0 ? "{" : ",", k, k);
	t[n] = '}';
	t[n + 1] = '\0';
	ck_assert_int_eq(jsonw_stored(&w, t, n + 1, 0), 1);
	ck_assert_uint_eq(w.len, 0);
	n = (size_t)(strstr(t, ",\"k32\"") - t);
	t[n] = '}';
	ck_assert_int_eq(jsonw_stored(&w, t, n + 1, 0), 0);
	ck_assert_uint_eq(w.len, n + 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("jsonw");

	unit_add(s, "str_escapes", test_str_escapes, setup, teardown);
	unit_add(s, "str_every_byte", test_str_every_byte, setup, teardown);
	unit_add(s, "str_random", test_str_random, setup, teardown);
	unit_add(s, "strz_int", test_strz_int, setup, teardown);
	unit_add(s, "bound", test_bound, setup, teardown);
	unit_add(s, "growth", test_growth, setup, teardown);
	unit_add(s, "stored_same", test_stored_same, setup, teardown);
	unit_add(s, "stored_back", test_stored_back, setup, teardown);
	unit_add(s, "stored_keys_max", test_stored_keys_max, setup, teardown);
	return unit_run(s);
}
