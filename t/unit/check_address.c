/*
 * Unit tests for lib/text.c, lib/address.c and lib/metadata.c: the UTF-8
 * and control-character rule with character (not byte) limits, the
 * address members (required, optional, lengths, country table, phone,
 * unknown fields, exact pointers), e-mail addresses, and metadata (key
 * shape, value length, 20 keys, null only in a PATCH, the count after a
 * patch).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "json.h"
#include "metadata.h"
#include "order.h"
#include "text.h"
#include "unit.h"

#define ADDR	"\"name\":\"Ada\",\"line1\":\"1 Main St\",\"city\":\"London\"," \
		"\"postalCode\":\"N1 9GU\",\"country\":\"GB\""

static struct order_errors	 errs;
static struct oms_address	 addr;
static struct oms_metadata	 md;

static struct json_object *
parse(const char *s)
{
	struct json_object *o = NULL;
	char err[128];

	ck_assert_msg(json_parse_strict(s, strlen(s), &o, err, sizeof(err)) ==
	    OMS_OK, "%s: %s", s, err);
	return o;
}

/* Validates the address text s; returns the result. */
static int
address(const char *s)
{
	struct json_object *o = parse(s);
	int r;

	order_errors_init(&errs);
	r = address_validate(o, "/shippingAddress", &addr, &errs);
	json_object_put(o);
	return r;
}

/* Asserts the one error of the last validation. */
static void
one_error(const char *ptr, const char *detail)
{
	ck_assert_msg(errs.n == 1, "%zu errors, want 1 (first at %s: %s)",
	    errs.n, errs.n > 0 ? errs.e[0].pointer : "",
	    errs.n > 0 ? errs.e[0].detail : "");
	ck_assert_str_eq(errs.e[0].pointer, ptr);
	if (detail != NULL)
		ck_assert_str_eq(errs.e[0].detail, detail);
}

START_TEST(test_text_utf8)
{
	ck_assert_ptr_null(text_check("abc", 3, 1, 3));
	ck_assert_ptr_null(text_check("", 0, 0, 3));
	/* 3 characters, 7 bytes: the limit is in characters */
	ck_assert_ptr_null(text_check("\xc3\xa9t\xe2\x82\xac", 6, 3, 3));
	ck_assert_ptr_null(text_check("\xf0\x9f\x93\xa6", 4, 1, 1));
	ck_assert_uint_eq(text_chars("\xc3\xa9t\xe2\x82\xac", 6), 3);
	ck_assert_str_eq(text_check("abcd", 4, 1, 3), "has the wrong length");
	ck_assert_str_eq(text_check("", 0, 1, 3), "has the wrong length");
	/* ill-formed: a lone continuation, overlong, surrogate, > U+10FFFF,
	 * a truncated sequence */
	ck_assert_str_eq(text_check("\x80", 1, 0, 9), "must be valid UTF-8");
	ck_assert_str_eq(text_check("\xc0\xaf", 2, 0, 9),
	    "must be valid UTF-8");
	ck_assert_str_eq(text_check("\xe0\x80\xaf", 3, 0, 9),
	    "must be valid UTF-8");
	ck_assert_str_eq(text_check("\xed\xa0\x80", 3, 0, 9),
	    "must be valid UTF-8");
	ck_assert_str_eq(text_check("\xf4\x90\x80\x80", 4, 0, 9),
	    "must be valid UTF-8");
	ck_assert_str_eq(text_check("\xe2\x82", 2, 0, 9),
	    "must be valid UTF-8");
	ck_assert_str_eq(text_check("\xff", 1, 0, 9), "must be valid UTF-8");
}
END_TEST

START_TEST(test_text_controls)
{
	static const char *const bad[] = { "a\nb", "a\rb", "\t", "a\x7f",
	    "\xc2\x80", "\xc2\x9f", "\x1b[31m" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_str_eq(text_check(bad[i], strlen(bad[i]), 0, 9),
		    "must not contain control characters");
	ck_assert_str_eq(text_check("a\0b", 3, 0, 9),
	    "must not contain control characters");
	/* U+00A0 (no-break space) is text */
	ck_assert_ptr_null(text_check("\xc2\xa0", 2, 1, 1));
}
END_TEST

START_TEST(test_address_valid)
{
	ck_assert_int_eq(address("{" ADDR "}"), 0);
	ck_assert_int_eq(addr.present, 1);
	ck_assert_str_eq(addr.name, "Ada");
	ck_assert_str_eq(addr.country, "GB");
	ck_assert_str_eq(addr.line2, "");
	ck_assert_int_eq(address("{" ADDR ",\"line2\":\"Flat 2\",\"region\":"
	    "\"Greater London\",\"phone\":\"+44 (20) 7946-0958\"}"), 0);
	ck_assert_str_eq(addr.phone, "+44 (20) 7946-0958");
	ck_assert_str_eq(addr.region, "Greater London");
}
END_TEST

START_TEST(test_address_required)
{
	ck_assert_int_eq(address("{}"), -1);
	ck_assert_uint_eq(errs.n, 5);
	ck_assert_str_eq(errs.e[0].pointer, "/shippingAddress/name");
	ck_assert_str_eq(errs.e[0].detail, "is required");
	ck_assert_str_eq(errs.e[1].pointer, "/shippingAddress/line1");
	ck_assert_str_eq(errs.e[2].pointer, "/shippingAddress/city");
	ck_assert_str_eq(errs.e[3].pointer, "/shippingAddress/postalCode");
	ck_assert_str_eq(errs.e[4].pointer, "/shippingAddress/country");
	ck_assert_int_eq(addr.present, 0);
	ck_assert_int_eq(address("[]"), -1);
	one_error("/shippingAddress", "must be an object");
	ck_assert_int_eq(address("null"), -1);
	one_error("/shippingAddress", "must be an object");
}
END_TEST

START_TEST(test_address_fields)
{
	char body[1024];

	ck_assert_int_eq(address("{" ADDR ",\"line2\":null}"), -1);
	one_error("/shippingAddress/line2", "must be a string");
	ck_assert_int_eq(address("{" ADDR ",\"line2\":\"\"}"), -1);
	one_error("/shippingAddress/line2", "must be 1 to 200 characters long");
	ck_assert_int_eq(address("{" ADDR ",\"region\":\"a\\nb\"}"), -1);
	one_error("/shippingAddress/region",
	    "must not contain control characters");
	ck_assert_int_eq(address("{" ADDR ",\"phone\":\"call me\"}"), -1);
	one_error("/shippingAddress/phone",
	    "may contain only digits, spaces and + - ( ) .");
	ck_assert_int_eq(address("{" ADDR ",\"zip\":\"1\"}"), -1);
	one_error("/shippingAddress/zip", "is not a known field");
	/* 200 characters of two bytes each pass, 201 do not */
	{
		char *nm = malloc(402);

		for (int i = 0; i < 200; i++)
			memcpy(nm + 2 * i, "\xc3\xa9", 2);
		nm[400] = '\0';
		snprintf(body, sizeof(body), "{\"name\":\"%s\",\"line1\":\"1\","
		    "\"city\":\"c\",\"postalCode\":\"1\",\"country\":\"FR\"}",
		    nm);
		ck_assert_int_eq(address(body), 0);
		ck_assert_uint_eq(strlen(addr.name), 400);
		snprintf(body, sizeof(body), "{\"name\":\"%s\\u00e9\","
		    "\"line1\":\"1\",\"city\":\"c\",\"postalCode\":\"1\","
		    "\"country\":\"FR\"}", nm);
		free(nm);
	}
	ck_assert_int_eq(address(body), -1);
	one_error("/shippingAddress/name", "must be 1 to 200 characters long");
	ck_assert_int_eq(address("{\"name\":\"a\",\"line1\":\"1\",\"city\":"
	    "\"c\",\"postalCode\":\"123456789012345678901\",\"country\":"
	    "\"FR\"}"), -1);
	one_error("/shippingAddress/postalCode",
	    "must be 1 to 20 characters long");
}
END_TEST

START_TEST(test_address_country)
{
	static const char *const bad[] = { "gb", "UK", "XK", "GBR", "G", "ZZ",
	    "\xc3\x89\xc3\x89" };
	static const char *const good[] = { "AD", "DE", "US", "JP", "ZW",
	    "AX", "SS" };
	char body[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "{\"name\":\"a\",\"line1\":\"1\","
		    "\"city\":\"c\",\"postalCode\":\"1\",\"country\":\"%s\"}",
		    bad[i]);
		ck_assert_msg(address(body) == -1, "%s accepted", bad[i]);
		ck_assert_str_eq(errs.e[0].pointer,
		    "/shippingAddress/country");
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(address_country_valid(good[i], 2), "%s", good[i]);
	ck_assert_int_eq(address_country_valid("DE", 1), 0);
	ck_assert_int_eq(address_country_valid(NULL, 2), 0);
}
END_TEST

START_TEST(test_address_to_json)
{
	struct json_object *o;

	ck_assert_int_eq(address("{\"phone\":\"1\",\"country\":\"GB\","
	    "\"postalCode\":\"N1\",\"city\":\"L\",\"line1\":\"1\",\"name\":"
	    "\"A\"}"), 0);
	o = address_to_json(&addr);
	ck_assert_str_eq(json_dump(o, NULL), "{\"name\":\"A\",\"line1\":\"1\","
	    "\"city\":\"L\",\"postalCode\":\"N1\",\"country\":\"GB\","
	    "\"phone\":\"1\"}");
	json_object_put(o);
}
END_TEST

START_TEST(test_email)
{
	static const char *const good[] = { "a@b.co", "ada.lovelace+shop@"
	    "example.org", "\xc3\xa9@example.fr" };
	static const char *const bad[] = { "", "a@", "@b.co", "ab.co",
	    "a@b@c.co", "a b@c.co", "a@bco", "a@.b.co", "a@b.co.", "a@b..co",
	    "a\n@b.co" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(address_email_check(good[i], strlen(good[i])) ==
		    NULL, "%s refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(address_email_check(bad[i], strlen(bad[i])) !=
		    NULL, "%s accepted", bad[i]);
	{
		char mail[300];

		/* 249 + 5 = 254 bytes pass, 255 do not */
		memset(mail, 'a', sizeof(mail));
		memcpy(mail + 249, "@b.co", 6);
		ck_assert_ptr_null(address_email_check(mail, 254));
		memset(mail, 'a', sizeof(mail));
		memcpy(mail + 250, "@b.co", 6);
		ck_assert_str_eq(address_email_check(mail, 255),
		    "must be 3 to 254 bytes long");
	}
}
END_TEST

/* Validates the metadata text s with flags. */
static int
metadata(const char *s, int flags)
{
	struct json_object *o = parse(s);
	int r;

	order_errors_init(&errs);
	r = metadata_validate(o, "/metadata", flags, &md, &errs);
	json_object_put(o);
	return r;
}

START_TEST(test_metadata_valid)
{
	struct json_object *o;

	ck_assert_int_eq(metadata("{\"erp_id\":\"A-17\",\"gift.note\":\"\","
	    "\"x-y\":\"\xc3\xa9\"}", 0), 0);
	ck_assert_uint_eq(md.n, 3);
	ck_assert_str_eq(md.e[0].key, "erp_id");
	ck_assert_str_eq(md.e[1].value, "");
	o = metadata_to_json(&md);
	ck_assert_str_eq(json_dump(o, NULL), "{\"erp_id\":\"A-17\","
	    "\"gift.note\":\"\",\"x-y\":\"\xc3\xa9\"}");
	json_object_put(o);
	ck_assert_int_eq(metadata("{}", 0), 0);
	ck_assert_uint_eq(md.n, 0);
	ck_assert_int_eq(md.present, 1);
}
END_TEST

START_TEST(test_metadata_limits)
{
	char body[4096], *p;
	size_t i;

	ck_assert_int_eq(metadata("{\"a b\":\"1\"}", 0), -1);
	one_error("/metadata/a b", "is not a valid key: 1 to 40 of letters, "
	    "digits and _ . -");
	ck_assert_int_eq(metadata("{\"\":\"1\"}", 0), -1);
	one_error("/metadata/", NULL);
	ck_assert_int_eq(metadata("{\"a/b\":\"1\"}", 0), -1);
	one_error("/metadata/a~1b", NULL);
	ck_assert_int_eq(metadata("{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "\":\"1\"}", 0), 0);
	ck_assert_int_eq(metadata("{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "a\":\"1\"}", 0), -1);
	ck_assert_int_eq(metadata("{\"n\":1}", 0), -1);
	one_error("/metadata/n", "must be a string");
	ck_assert_int_eq(metadata("{\"n\":null}", 0), -1);
	one_error("/metadata/n", "must be a string");
	ck_assert_int_eq(metadata("{\"n\":\"a\\u0007\"}", 0), -1);
	one_error("/metadata/n", "must not contain control characters");
	ck_assert_int_eq(metadata("[]", 0), -1);
	one_error("/metadata", "must be an object of strings");
	/* 500 characters pass, 501 do not */
	p = body + sprintf(body, "{\"v\":\"");
	for (i = 0; i < 500; i++)
		p += sprintf(p, "\xe2\x82\xac");
	sprintf(p, "\"}");
	ck_assert_int_eq(metadata(body, 0), 0);
	ck_assert_uint_eq(strlen(md.e[0].value), 1500);
	sprintf(p, "x\"}");
	ck_assert_int_eq(metadata(body, 0), -1);
	one_error("/metadata/v", "must be at most 500 characters long");
	/* 20 keys pass, 21 do not */
	p = body + sprintf(body, "{");
	for (i = 0; i < 20; i++)
		p += sprintf(p, "%s\"k%zu\":\"v\"", i > 0 ? "," : "", i);
	sprintf(p, "}");
	ck_assert_int_eq(metadata(body, 0), 0);
	ck_assert_uint_eq(md.n, 20);
	sprintf(p, ",\"k20\":\"v\"}");
	ck_assert_int_eq(metadata(body, 0), -1);
	one_error("/metadata", "may have at most 20 keys");
}
END_TEST

START_TEST(test_metadata_patch)
{
	struct json_object *cur = parse("{\"a\":\"1\",\"b\":\"2\"}"), *o;

	ck_assert_int_eq(metadata("{\"a\":null,\"c\":\"3\"}", METADATA_PATCH),
	    0);
	ck_assert_int_eq(md.e[0].remove, 1);
	ck_assert_int_eq(md.e[1].remove, 0);
	o = metadata_to_json(&md);
	ck_assert_str_eq(json_dump(o, NULL), "{\"a\":null,\"c\":\"3\"}");
	json_object_put(o);
	ck_assert_uint_eq(metadata_count_after(cur, &md), 2);
	ck_assert_uint_eq(metadata_count_after(NULL, &md), 1);
	ck_assert_int_eq(metadata("{\"z\":null}", METADATA_PATCH), 0);
	ck_assert_uint_eq(metadata_count_after(cur, &md), 2);
	ck_assert_int_eq(metadata("{\"z\":1}", METADATA_PATCH), -1);
	one_error("/metadata/z", "must be a string, or null to remove the key");
	json_object_put(cur);
}
END_TEST

static Suite *
address_suite(void)
{
	Suite *s = suite_create("address");

#define ADD(name, fn) unit_add(s, name, fn, NULL, NULL)
	ADD("text_utf8", test_text_utf8);
	ADD("text_controls", test_text_controls);
	ADD("address_valid", test_address_valid);
	ADD("address_required", test_address_required);
	ADD("address_fields", test_address_fields);
	ADD("address_country", test_address_country);
	ADD("address_to_json", test_address_to_json);
	ADD("email", test_email);
	ADD("metadata_valid", test_metadata_valid);
	ADD("metadata_limits", test_metadata_limits);
	ADD("metadata_patch", test_metadata_patch);
#undef ADD
	return s;
}

int
main(void)
{
	return unit_run(address_suite());
}
