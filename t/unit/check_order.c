/*
 * Unit tests for lib/order.c, lib/order_query.c and lib/order_status.c:
 * every validation rule of the create, update and delivered bodies with
 * the exact pointer and detail of each error, the malformed-JSON cases
 * (HTTP 400), the GET /orders query string, the status names and the
 * transition table of DESIGN.md section 5.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "order.h"
#include "unit.h"

#define BASE	"\"customerId\":\"cus_1\",\"paymentMethodId\":\"pm_1\""
#define ITEM	"{\"productId\":\"p1\",\"variantId\":\"v1\",\"quantity\":2}"
#define ID64	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

#define LEN	"must be 1 to 64 characters long"
#define CHARSET	"may contain only letters, digits and _ . : -"
#define REQ	"is required"
#define STR	"must be a string"
#define INT	"must be an integer"
#define RANGE	"must be between 1 and 10000"
#define UNKNOWN	"is not a known field"
#define QLIMIT	"must be an integer between 1 and 200"
#define QID	"must be 1 to 64 characters of letters, digits and _ . : -"
#define QCURSOR	"must be 1 to 128 characters of letters, digits and _ . : -"

static struct oms_order_input		 in;
static struct oms_order_update		 up;
static struct oms_order_delivered	 dl;
static struct order_list_query		 q;
static struct order_errors		 errs;
static char				*big;	/* a built body, freed */

static void
setup(void)
{
	memset(&in, 0, sizeof(in));
	memset(&up, 0, sizeof(up));
	memset(&dl, 0, sizeof(dl));
	memset(&q, 0, sizeof(q));
	order_errors_init(&errs);
	big = NULL;
}

static void
teardown(void)
{
	free(big);
}

static enum oms_err
create(const char *body)
{
	return order_parse_create(body, strlen(body), 0, &in, &errs);
}

static enum oms_err
update(const char *body)
{
	return order_parse_update(body, strlen(body), &up, &errs);
}

static enum oms_err
delivered(const char *body)
{
	return order_parse_delivered(body, strlen(body), &dl, &errs);
}

/* Asserts that errs holds exactly the (pointer, detail) pairs given, in
 * order, ending with NULL; detail NULL matches any. */
static void
expect_errors(const char *what, ...)
{
	va_list ap;
	const char *ptr, *detail;
	size_t i = 0;

	va_start(ap, what);
	while ((ptr = va_arg(ap, const char *)) != NULL) {
		detail = va_arg(ap, const char *);
		ck_assert_msg(i < errs.n, "%s: only %zu errors, want \"%s\"",
		    what, errs.n, ptr);
		ck_assert_msg(strcmp(errs.e[i].pointer, ptr) == 0,
		    "%s: error %zu at \"%s\", want \"%s\"", what, i,
		    errs.e[i].pointer, ptr);
		if (detail != NULL)
			ck_assert_msg(strcmp(errs.e[i].detail, detail) == 0,
			    "%s: error %zu \"%s\", want \"%s\"", what, i,
			    errs.e[i].detail, detail);
		i++;
	}
	va_end(ap);
	ck_assert_msg(errs.n == i, "%s: %zu errors, want %zu (first extra "
	    "at \"%s\": %s)", what, errs.n, i, i < errs.n ?
	    errs.e[i].pointer : "", i < errs.n ? errs.e[i].detail : "");
	ck_assert_uint_eq(errs.found, errs.n);
	ck_assert_int_eq(errs.more, 0);
}

/* Asserts that body is refused by create as valid JSON with one error. */
static void
create_fails(const char *body, const char *ptr, const char *detail)
{
	ck_assert_msg(create(body) == OMS_EINVAL, "accepted: %s", body);
	ck_assert_int_eq(errs.malformed, 0);
	expect_errors(body, ptr, detail, NULL);
}

/* Asserts that body is refused by create as malformed, detail containing
 * why. */
static void
create_malformed(const char *body, size_t len, const char *why)
{
	ck_assert_int_eq(order_parse_create(body, len, 0, &in, &errs),
	    OMS_EINVAL);
	ck_assert_int_eq(errs.malformed, 1);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.e[0].pointer, "");
	ck_assert_msg(strncmp(errs.e[0].detail, "malformed JSON: ", 16) == 0 &&
	    strstr(errs.e[0].detail, why) != NULL, "detail \"%s\", want %s",
	    errs.e[0].detail, why);
}

static void
create_malformed_s(const char *body, const char *why)
{
	create_malformed(body, strlen(body), why);
}

/* Returns a body of n items, owned by big: each {"productId":"p<i>",
 * "variantId":"v","quantity":qty}, or {"n":<i>} when qty is NULL. */
static const char *
items_body(size_t n, const char *qty)
{
	size_t size = 64 + n * 128, len, i;

	big = realloc(big, size);
	ck_assert_ptr_nonnull(big);
	len = (size_t)snprintf(big, size, "{" BASE ",\"items\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			big[len++] = ',';
		if (qty == NULL)
			len += (size_t)snprintf(big + len, size - len,
			    "{\"n\":%zu}", i);
		else
			len += (size_t)snprintf(big + len, size - len,
			    "{\"productId\":\"p%zu\",\"variantId\":\"v\","
			    "\"quantity\":%s}", i, qty);
	}
	snprintf(big + len, size - len, "]}");
	return big;
}

/* ---------------------------------------------------------- create: ok */

START_TEST(test_create_items)
{
	ck_assert_int_eq(create("{" BASE ",\"items\":[" ITEM ",{\"productId\":"
	    "\"p2\",\"variantId\":\"v2\",\"quantity\":1}]}"), OMS_OK);
	expect_errors("ok", NULL);
	ck_assert_int_eq(errs.malformed, 0);
	ck_assert_str_eq(in.customer_id, "cus_1");
	ck_assert_str_eq(in.payment_method_id, "pm_1");
	ck_assert_str_eq(in.store_id, "");
	ck_assert_uint_eq(in.nitems, 2);
	ck_assert_str_eq(in.items[0].product_id, "p1");
	ck_assert_str_eq(in.items[0].variant_id, "v1");
	ck_assert_int_eq(in.items[0].quantity, 2);
	ck_assert_str_eq(in.items[1].product_id, "p2");
	ck_assert_int_eq(in.items[1].quantity, 1);
}
END_TEST

START_TEST(test_create_store)
{
	ck_assert_int_eq(create("{\"storeId\":\"st-1\"," BASE ",\"items\":["
	    ITEM "]}"), OMS_OK);
	ck_assert_str_eq(in.store_id, "st-1");
	ck_assert_uint_eq(in.nitems, 1);
}
END_TEST

START_TEST(test_create_single_form)
{
	ck_assert_int_eq(create("{" BASE ",\"productId\":\"prod_9\","
	    "\"variantId\":\"var:2\",\"quantity\":7}"), OMS_OK);
	ck_assert_uint_eq(in.nitems, 1);
	ck_assert_str_eq(in.items[0].product_id, "prod_9");
	ck_assert_str_eq(in.items[0].variant_id, "var:2");
	ck_assert_int_eq(in.items[0].quantity, 7);
}
END_TEST

START_TEST(test_create_100_items)
{
	const char *b = items_body(100, "10000");

	ck_assert_int_eq(create(b), OMS_OK);
	ck_assert_uint_eq(in.nitems, 100);
	ck_assert_str_eq(in.items[99].product_id, "p99");
	ck_assert_int_eq(in.items[99].quantity, 10000);
}
END_TEST

START_TEST(test_create_boundaries)
{
	ck_assert_int_eq(create("{\"customerId\":\"" ID64 "\","
	    "\"paymentMethodId\":\"AZaz09_.:-\",\"items\":[{\"productId\":\"x\","
	    "\"variantId\":\"" ID64 "\",\"quantity\":1}]}"), OMS_OK);
	ck_assert_uint_eq(strlen(in.customer_id), 64);
	ck_assert_str_eq(in.payment_method_id, "AZaz09_.:-");
	ck_assert_int_eq(in.items[0].quantity, 1);
	/* escapes that decode to allowed characters are fine */
	ck_assert_int_eq(create("{\"customerId\":\"c\\u005f1\","
	    "\"paymentMethodId\":\"p\",\"items\":[" ITEM "]}"), OMS_OK);
	ck_assert_str_eq(in.customer_id, "c_1");
}
END_TEST

/* ------------------------------------------------- create: the fields */

START_TEST(test_create_missing_customer)
{
	create_fails("{\"paymentMethodId\":\"pm\",\"items\":[" ITEM "]}",
	    "/customerId", REQ);
}
END_TEST

START_TEST(test_create_missing_payment)
{
	create_fails("{\"customerId\":\"c\",\"items\":[" ITEM "]}",
	    "/paymentMethodId", REQ);
}
END_TEST

START_TEST(test_create_empty_object)
{
	ck_assert_int_eq(create("{}"), OMS_EINVAL);
	expect_errors("{}", "/customerId", REQ, "/paymentMethodId", REQ,
	    "/items", REQ, NULL);
}
END_TEST

START_TEST(test_create_wrong_types)
{
	ck_assert_int_eq(create("{\"customerId\":42,\"paymentMethodId\":"
	    "[\"pm\"],\"storeId\":{},\"items\":[" ITEM "]}"), OMS_EINVAL);
	expect_errors("types", "/customerId", STR, "/paymentMethodId", STR,
	    "/storeId", STR, NULL);
	create_fails("{\"customerId\":true,\"paymentMethodId\":\"p\","
	    "\"items\":[" ITEM "]}", "/customerId", STR);
}
END_TEST

START_TEST(test_create_null_fields)
{
	ck_assert_int_eq(create("{\"customerId\":null,\"paymentMethodId\":null,"
	    "\"storeId\":null,\"items\":null}"), OMS_EINVAL);
	expect_errors("nulls", "/customerId", STR, "/paymentMethodId", STR,
	    "/storeId", STR, "/items", "must be an array", NULL);
}
END_TEST

START_TEST(test_create_empty_strings)
{
	ck_assert_int_eq(create("{\"customerId\":\"\",\"paymentMethodId\":\"\","
	    "\"storeId\":\"\",\"items\":[{\"productId\":\"\",\"variantId\":\"\","
	    "\"quantity\":1}]}"), OMS_EINVAL);
	expect_errors("empty", "/customerId", LEN, "/paymentMethodId", LEN,
	    "/storeId", LEN, "/items/0/productId", LEN, "/items/0/variantId",
	    LEN, NULL);
}
END_TEST

START_TEST(test_create_id_65)
{
	create_fails("{\"customerId\":\"" ID64 "b\",\"paymentMethodId\":\"p\","
	    "\"items\":[" ITEM "]}", "/customerId", LEN);
	create_fails("{" BASE ",\"items\":[{\"productId\":\"" ID64 "b\","
	    "\"variantId\":\"v\",\"quantity\":1}]}", "/items/0/productId", LEN);
}
END_TEST

START_TEST(test_create_id_charset)
{
	create_fails("{\"customerId\":\"cus 1\",\"paymentMethodId\":\"p\","
	    "\"items\":[" ITEM "]}", "/customerId", CHARSET);
	create_fails("{\"customerId\":\"c\",\"paymentMethodId\":\"p/1\","
	    "\"items\":[" ITEM "]}", "/paymentMethodId", CHARSET);
	create_fails("{" BASE ",\"storeId\":\"s@1\",\"items\":[" ITEM "]}",
	    "/storeId", CHARSET);
	create_fails("{" BASE ",\"items\":[{\"productId\":\"p\","
	    "\"variantId\":\"v\\n\",\"quantity\":1}]}", "/items/0/variantId",
	    CHARSET);
	create_fails("{" BASE ",\"items\":[{\"productId\":\"p~1\","
	    "\"variantId\":\"v\",\"quantity\":1}]}", "/items/0/productId",
	    CHARSET);
}
END_TEST

START_TEST(test_create_id_non_ascii)
{
	create_fails("{\"customerId\":\"caf\xc3\xa9\",\"paymentMethodId\":\"p\","
	    "\"items\":[" ITEM "]}", "/customerId", CHARSET);
	create_fails("{\"customerId\":\"caf\\u00e9\",\"paymentMethodId\":\"p\","
	    "\"items\":[" ITEM "]}", "/customerId", CHARSET);
	/* 32 two-byte characters: 64 bytes, and still refused */
	create_fails("{" BASE ",\"items\":[{\"productId\":\"\xf0\x9f\x98\x80\","
	    "\"variantId\":\"v\",\"quantity\":1}]}", "/items/0/productId",
	    CHARSET);
}
END_TEST

/* ------------------------------------------------- create: the items */

START_TEST(test_items_not_array)
{
	create_fails("{" BASE ",\"items\":" ITEM "}", "/items",
	    "must be an array");
	create_fails("{" BASE ",\"items\":\"p1\"}", "/items", "must be an array");
}
END_TEST

START_TEST(test_items_empty)
{
	create_fails("{" BASE ",\"items\":[]}", "/items",
	    "must hold 1 to 100 items");
}
END_TEST

START_TEST(test_items_101)
{
	create_fails(items_body(101, "1"), "/items",
	    "must hold 1 to 100 items");
	ck_assert_uint_eq(in.nitems, 100);
}
END_TEST

START_TEST(test_item_not_object)
{
	ck_assert_int_eq(create("{" BASE ",\"items\":[" ITEM ",3,null,[],"
	    "\"p\"]}"), OMS_EINVAL);
	expect_errors("items", "/items/1", "must be an object", "/items/2",
	    "must be an object", "/items/3", "must be an object", "/items/4",
	    "must be an object", NULL);
}
END_TEST

START_TEST(test_item_missing_fields)
{
	ck_assert_int_eq(create("{" BASE ",\"items\":[" ITEM ",{}]}"),
	    OMS_EINVAL);
	expect_errors("{}", "/items/1/productId", REQ, "/items/1/variantId",
	    REQ, "/items/1/quantity", REQ, NULL);
}
END_TEST

START_TEST(test_quantity_zero)
{
	create_fails("{" BASE ",\"items\":[{\"productId\":\"p\",\"variantId\":"
	    "\"v\",\"quantity\":0}]}", "/items/0/quantity", RANGE);
}
END_TEST

START_TEST(test_quantity_10001)
{
	create_fails("{" BASE ",\"items\":[" ITEM ",{\"productId\":\"p\","
	    "\"variantId\":\"v\",\"quantity\":10001}]}", "/items/1/quantity",
	    RANGE);
}
END_TEST

START_TEST(test_quantity_negative)
{
	create_fails("{" BASE ",\"items\":[{\"productId\":\"p\",\"variantId\":"
	    "\"v\",\"quantity\":-1}]}", "/items/0/quantity", RANGE);
	create_fails("{" BASE ",\"items\":[{\"productId\":\"p\",\"variantId\":"
	    "\"v\",\"quantity\":-0}]}", "/items/0/quantity", RANGE);
}
END_TEST

START_TEST(test_quantity_huge)
{
	create_fails("{" BASE ",\"items\":[{\"productId\":\"p\",\"variantId\":"
	    "\"v\",\"quantity\":99999999999999999999}]}", "/items/0/quantity",
	    RANGE);
	create_fails("{" BASE ",\"items\":[{\"productId\":\"p\",\"variantId\":"
	    "\"v\",\"quantity\":-99999999999999999999}]}", "/items/0/quantity",
	    RANGE);
}
END_TEST

START_TEST(test_quantity_fraction)
{
	create_fails("{" BASE ",\"items\":[{\"productId\":\"p\",\"variantId\":"
	    "\"v\",\"quantity\":1.5}]}", "/items/0/quantity", INT);
}
END_TEST

START_TEST(test_quantity_integral_double)
{
	create_fails("{" BASE ",\"items\":[{\"productId\":\"p\",\"variantId\":"
	    "\"v\",\"quantity\":1.0}]}", "/items/0/quantity", INT);
}
END_TEST

START_TEST(test_quantity_exponent)
{
	create_fails("{" BASE ",\"items\":[{\"productId\":\"p\",\"variantId\":"
	    "\"v\",\"quantity\":1e2}]}", "/items/0/quantity", INT);
	create_fails("{" BASE ",\"items\":[{\"productId\":\"p\",\"variantId\":"
	    "\"v\",\"quantity\":5E0}]}", "/items/0/quantity", INT);
}
END_TEST

START_TEST(test_quantity_string)
{
	create_fails("{" BASE ",\"items\":[{\"productId\":\"p\",\"variantId\":"
	    "\"v\",\"quantity\":\"3\"}]}", "/items/0/quantity", INT);
}
END_TEST

START_TEST(test_quantity_bool_null)
{
	create_fails("{" BASE ",\"items\":[{\"productId\":\"p\",\"variantId\":"
	    "\"v\",\"quantity\":true}]}", "/items/0/quantity", INT);
	create_fails("{" BASE ",\"items\":[{\"productId\":\"p\",\"variantId\":"
	    "\"v\",\"quantity\":null}]}", "/items/0/quantity", INT);
	create_fails("{" BASE ",\"items\":[{\"productId\":\"p\",\"variantId\":"
	    "\"v\",\"quantity\":[1]}]}", "/items/0/quantity", INT);
}
END_TEST

/* ------------------------------------------------- create: unknowns */

START_TEST(test_unknown_root)
{
	ck_assert_int_eq(create("{\"zeta\":1," BASE ",\"items\":[" ITEM "],"
	    "\"alpha\":null,\"CustomerId\":\"c\"}"), OMS_EINVAL);
	expect_errors("root", "/zeta", UNKNOWN, "/alpha", UNKNOWN,
	    "/CustomerId", UNKNOWN, NULL);
}
END_TEST

START_TEST(test_unknown_item)
{
	ck_assert_int_eq(create("{" BASE ",\"items\":[" ITEM ",{\"productId\":"
	    "\"p\",\"variantId\":\"v\",\"quantity\":1,\"price\":9,"
	    "\"customerId\":\"c\"}]}"), OMS_EINVAL);
	expect_errors("item", "/items/1/price", UNKNOWN,
	    "/items/1/customerId", UNKNOWN, NULL);
}
END_TEST

START_TEST(test_unknown_escaping)
{
	ck_assert_int_eq(create("{" BASE ",\"items\":[" ITEM "],\"a/b~c\":1,"
	    "\"~1\":2,\"\":3}"), OMS_EINVAL);
	expect_errors("escape", "/a~1b~0c", UNKNOWN, "/~01", UNKNOWN, "/",
	    UNKNOWN, NULL);
}
END_TEST

START_TEST(test_unknown_long_name)
{
	char body[512], key[301];

	memset(key, 'k', 300);
	key[300] = '\0';
	snprintf(body, sizeof(body), "{" BASE ",\"items\":[{\"productId\":"
	    "\"p\",\"variantId\":\"v\",\"quantity\":1,\"%s\":1}]}", key);
	create_fails(body, "/items/0",
	    "has an unknown field whose name is too long to show");
}
END_TEST

/* -------------------------------------------- create: the two forms */

START_TEST(test_single_form_incomplete)
{
	create_fails("{" BASE ",\"productId\":\"p\",\"variantId\":\"v\"}",
	    "/quantity", REQ);
	ck_assert_int_eq(create("{" BASE ",\"quantity\":3}"), OMS_EINVAL);
	expect_errors("qty only", "/productId", REQ, "/variantId", REQ, NULL);
}
END_TEST

START_TEST(test_single_form_invalid)
{
	ck_assert_int_eq(create("{" BASE ",\"productId\":\"\",\"variantId\":5,"
	    "\"quantity\":2.5,\"extra\":1}"), OMS_EINVAL);
	expect_errors("single", "/productId", LEN, "/variantId", STR,
	    "/quantity", INT, "/extra", UNKNOWN, NULL);
}
END_TEST

START_TEST(test_mixed_forms)
{
	ck_assert_int_eq(create("{" BASE ",\"items\":[" ITEM "],"
	    "\"quantity\":1,\"productId\":\"p\"}"), OMS_EINVAL);
	expect_errors("mixed", "/productId", "cannot be combined with items",
	    "/quantity", "cannot be combined with items", NULL);
	/* the items are still checked */
	ck_assert_int_eq(create("{" BASE ",\"variantId\":\"v\",\"items\":[]}"),
	    OMS_EINVAL);
	expect_errors("mixed", "/items", "must hold 1 to 100 items",
	    "/variantId", "cannot be combined with items", NULL);
}
END_TEST

START_TEST(test_all_errors_reported)
{
	ck_assert_int_eq(create("{\"customerId\":\"\",\"storeId\":\"a b\","
	    "\"items\":[{\"productId\":\"p\",\"variantId\":null,\"quantity\":0},"
	    ITEM ",{\"quantity\":\"1\",\"x\":1}],\"y\":2}"), OMS_EINVAL);
	expect_errors("all", "/customerId", LEN, "/paymentMethodId", REQ,
	    "/storeId", CHARSET, "/items/0/variantId", STR,
	    "/items/0/quantity", RANGE, "/items/2/productId", REQ,
	    "/items/2/variantId", REQ, "/items/2/quantity", INT,
	    "/items/2/x", UNKNOWN, "/y", UNKNOWN, NULL);
}
END_TEST

START_TEST(test_errors_cap)
{
	ck_assert_int_eq(create(items_body(100, NULL)), OMS_EINVAL);
	ck_assert_uint_eq(errs.n, ORDER_ERRORS_MAX);
	ck_assert_uint_eq(errs.found, 400);
	ck_assert_int_eq(errs.more, 1);
	ck_assert_str_eq(errs.e[0].pointer, "/items/0/productId");
	ck_assert_str_eq(errs.e[3].pointer, "/items/0/n");
	ck_assert_str_eq(errs.e[31].pointer, "/items/7/n");
}
END_TEST

/* ---------------------------------------------- create: malformed */

START_TEST(test_malformed_duplicate_keys)
{
	create_malformed_s("{" BASE ",\"customerId\":\"c2\",\"items\":[" ITEM
	    "]}", "duplicate object key at byte offset 47");
	create_malformed_s("{" BASE ",\"items\":[{\"productId\":\"p\","
	    "\"productId\":\"q\",\"variantId\":\"v\",\"quantity\":1}]}",
	    "duplicate object key at byte offset 73");
}
END_TEST

START_TEST(test_malformed_trailing)
{
	create_malformed_s("{" BASE ",\"items\":[" ITEM "]}x",
	    "trailing characters after the value at byte offset 106");
	create_malformed_s("{}{}",
	    "trailing characters after the value at byte offset 2");
}
END_TEST

START_TEST(test_malformed_utf8)
{
	create_malformed_s("{\"customerId\":\"\xff\"}",
	    "invalid UTF-8 at byte offset 15");
	create_malformed_s("{\"\xc0\xaf\":1}", "invalid UTF-8 at byte offset 2");
}
END_TEST

START_TEST(test_malformed_depth)
{
	char body[256];
	size_t len = 0;
	int i;

	len = (size_t)snprintf(body, sizeof(body), "{" BASE ",\"items\":");
	for (i = 0; i < 20; i++)
		body[len++] = '[';
	for (i = 0; i < 20; i++)
		body[len++] = ']';
	body[len++] = '}';
	create_malformed(body, len, "nesting too deep");
}
END_TEST

START_TEST(test_malformed_syntax)
{
	create_malformed_s("", "unexpected end of input");
	create_malformed_s("{\"customerId\":\"c\",}", "expected a string key");
	create_malformed_s("{\"a\":1", "expected ','");
	create_malformed("{\"a\":\"b\0\"}", 10, "NUL byte");
	create_malformed_s("{'a':1}", "expected a string key");
}
END_TEST

START_TEST(test_non_object_root)
{
	create_fails("[]", "", "must be a JSON object");
	create_fails("\"x\"", "", "must be a JSON object");
	create_fails("null", "", "must be a JSON object");
	create_fails(" 12 ", "", "must be a JSON object");
	create_fails("[" "{" BASE ",\"items\":[" ITEM "]}" "]", "",
	    "must be a JSON object");
}
END_TEST

START_TEST(test_errors_to_json)
{
	struct json_object *arr;

	ck_assert_int_eq(create("{\"customerId\":1,\"q\\\"\":2}"), OMS_EINVAL);
	arr = order_errors_to_json(&errs);
	ck_assert_str_eq(json_object_to_json_string_ext(arr,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    "[{\"pointer\":\"/customerId\",\"detail\":\"must be a string\"},"
	    "{\"pointer\":\"/paymentMethodId\",\"detail\":\"is required\"},"
	    "{\"pointer\":\"/items\",\"detail\":\"is required\"},"
	    "{\"pointer\":\"/q\\\"\",\"detail\":\"is not a known field\"}]");
	json_object_put(arr);
	order_errors_init(&errs);
	arr = order_errors_to_json(&errs);
	ck_assert_uint_eq(json_object_array_length(arr), 0);
	json_object_put(arr);
}
END_TEST

START_TEST(test_errors_add_truncates)
{
	char longer[400];

	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	order_errors_add(&errs, longer, longer);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_uint_eq(strlen(errs.e[0].pointer), 127);
	ck_assert_uint_eq(strlen(errs.e[0].detail), 159);
}
END_TEST

START_TEST(test_validate_prefix_items_only)
{
	struct json_object *doc = json_tokener_parse("{" BASE
	    ",\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":1}");

	ck_assert_int_eq(order_validate_create(doc, 0, "/data", &in, &errs),
	    OMS_OK);
	ck_assert_int_eq(order_validate_create(doc, ORDER_ITEMS_ONLY, "/data",
	    &in, &errs), OMS_EINVAL);
	expect_errors("items only", "/data/items", REQ, "/data/productId",
	    UNKNOWN, "/data/variantId", UNKNOWN, "/data/quantity", UNKNOWN,
	    NULL);
	json_object_put(doc);
	order_errors_init(&errs);
	ck_assert_int_eq(order_validate_create(NULL, 0, "/data", &in, &errs),
	    OMS_EINVAL);
	expect_errors("null", "/data", "must be a JSON object", NULL);
}
END_TEST

START_TEST(test_input_to_json)
{
	struct json_object *o;

	ck_assert_int_eq(create("{\"quantity\":4,\"variantId\":\"v\","
	    "\"productId\":\"p\",\"paymentMethodId\":\"pm\",\"customerId\":"
	    "\"c\"}"), OMS_OK);
	o = order_input_to_json(&in);
	ck_assert_str_eq(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN), "{\"customerId\":\"c\",\"paymentMethodId\":"
	    "\"pm\",\"items\":[{\"productId\":\"p\",\"variantId\":\"v\","
	    "\"quantity\":4}]}");
	json_object_put(o);
	snprintf(in.store_id, sizeof(in.store_id), "s");
	o = order_input_to_json(&in);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o,
	    "storeId")), "s");
	json_object_put(o);
}
END_TEST

START_TEST(test_pointer)
{
	char buf[8];

	ck_assert_int_eq(order_pointer(buf, sizeof(buf), "", "a~/"), 0);
	ck_assert_str_eq(buf, "/a~0~1");
	ck_assert_int_eq(order_pointer(buf, sizeof(buf), "/x", "abcd"), 0);
	ck_assert_str_eq(buf, "/x/abcd");
	ck_assert_int_eq(order_pointer(buf, sizeof(buf), "/x", "abcde"), -1);
	ck_assert_int_eq(order_pointer(buf, sizeof(buf), "/x", "abc/"), -1);
	ck_assert_int_eq(order_pointer(buf, sizeof(buf), "/abcdefg", ""), -1);
}
END_TEST

START_TEST(test_id_valid)
{
	ck_assert(order_id_valid("a", 1));
	ck_assert(order_id_valid(ID64, 64));
	ck_assert(order_id_valid("A-z_0.9:", 8));
	ck_assert(!order_id_valid(ID64 "a", 65));
	ck_assert(!order_id_valid("", 0));
	ck_assert(!order_id_valid(NULL, 3));
	ck_assert(!order_id_valid("a b", 3));
	ck_assert(!order_id_valid("a\0b", 3));
	ck_assert(!order_id_valid("a%2F", 4));
	ck_assert(!order_id_valid("\xc3\xa9", 2));
	ck_assert(order_id_valid("ab/", 2));	/* len is honoured */
}
END_TEST

/* ---------------------------------------------------------- update */

START_TEST(test_update_valid)
{
	ck_assert_int_eq(update("{\"shipCompanyId\":\"dhl\"}"), OMS_OK);
	ck_assert_str_eq(up.ship_company_id, "dhl");
	ck_assert_str_eq(up.tracking_number, "");
	ck_assert_int_eq(update("{\"trackingNumber\":\"1Z999\","
	    "\"shipCompanyId\":\"ups\"}"), OMS_OK);
	ck_assert_str_eq(up.ship_company_id, "ups");
	ck_assert_str_eq(up.tracking_number, "1Z999");
	expect_errors("ok", NULL);
}
END_TEST

START_TEST(test_update_empty)
{
	ck_assert_int_eq(update("{}"), OMS_EINVAL);
	expect_errors("{}", "", "must set shipCompanyId, trackingNumber or "
	    "metadata", NULL);
	ck_assert_int_eq(update("{\"carrier\":\"dhl\"}"), OMS_EINVAL);
	expect_errors("carrier", "", "must set shipCompanyId, trackingNumber "
	    "or metadata", "/carrier", UNKNOWN, NULL);
}
END_TEST

START_TEST(test_update_invalid)
{
	ck_assert_int_eq(update("{\"shipCompanyId\":null,\"trackingNumber\":"
	    "\"\"}"), OMS_EINVAL);
	expect_errors("bad", "/shipCompanyId", STR, "/trackingNumber", LEN,
	    NULL);
	ck_assert_int_eq(update("{\"trackingNumber\":\"a b\",\"status\":"
	    "\"shipped\"}"), OMS_EINVAL);
	expect_errors("bad", "/trackingNumber", CHARSET, "/status", UNKNOWN,
	    NULL);
	ck_assert_int_eq(update("{\"shipCompanyId\":\"" ID64 "x\"}"),
	    OMS_EINVAL);
	expect_errors("long", "/shipCompanyId", LEN, NULL);
}
END_TEST

START_TEST(test_update_malformed_and_root)
{
	ck_assert_int_eq(update("{\"shipCompanyId\":\"a\",\"shipCompanyId\":"
	    "\"b\"}"), OMS_EINVAL);
	ck_assert_int_eq(errs.malformed, 1);
	ck_assert_str_eq(errs.e[0].pointer, "");
	ck_assert_int_eq(update("[\"x\"]"), OMS_EINVAL);
	ck_assert_int_eq(errs.malformed, 0);
	expect_errors("array", "", "must be a JSON object", NULL);
}
END_TEST

/* ------------------------------------------------------- delivered */

START_TEST(test_delivered_valid)
{
	ck_assert_int_eq(delivered("{\"trackingId\":\"1Z999\","
	    "\"confirmationId\":\"sig:42\"}"), OMS_OK);
	ck_assert_str_eq(dl.tracking_id, "1Z999");
	ck_assert_str_eq(dl.confirmation_id, "sig:42");
}
END_TEST

START_TEST(test_delivered_missing)
{
	ck_assert_int_eq(delivered("{}"), OMS_EINVAL);
	expect_errors("{}", "/trackingId", REQ, "/confirmationId", REQ, NULL);
	ck_assert_int_eq(delivered("{\"trackingId\":\"t\"}"), OMS_EINVAL);
	expect_errors("one", "/confirmationId", REQ, NULL);
}
END_TEST

START_TEST(test_delivered_invalid)
{
	ck_assert_int_eq(delivered("{\"trackingId\":7,\"confirmationId\":"
	    "\"c c\",\"signedBy\":\"x\"}"), OMS_EINVAL);
	expect_errors("bad", "/trackingId", STR, "/confirmationId", CHARSET,
	    "/signedBy", UNKNOWN, NULL);
	ck_assert_int_eq(delivered("true"), OMS_EINVAL);
	expect_errors("true", "", "must be a JSON object", NULL);
	ck_assert_int_eq(delivered("{\"trackingId\":\"t\"} ,"), OMS_EINVAL);
	ck_assert_int_eq(errs.malformed, 1);
}
END_TEST

/* ------------------------------------------------------------ query */

static enum oms_err
query(const char *s)
{
	return order_parse_list_query(s, &q, &errs);
}

START_TEST(test_query_defaults)
{
	ck_assert_int_eq(query(NULL), OMS_OK);
	ck_assert_int_eq(q.limit, 50);
	ck_assert_str_eq(q.cursor, "");
	ck_assert_int_eq(q.status, OMS_STATUS_NONE);
	ck_assert_str_eq(q.customer_id, "");
	ck_assert_int_eq(q.include_deleted, 0);
	ck_assert_int_eq(query(""), OMS_OK);
	ck_assert_int_eq(q.limit, 50);
	ck_assert_int_eq(query("&&"), OMS_OK);
	expect_errors("none", NULL);
}
END_TEST

START_TEST(test_query_all)
{
	ck_assert_int_eq(query("limit=200&cursor=1732532400123:0193a1b2"
	    "&status=paymentSuccess&customerId=cus_1&includeDeleted=true"),
	    OMS_OK);
	ck_assert_int_eq(q.limit, 200);
	ck_assert_str_eq(q.cursor, "1732532400123:0193a1b2");
	ck_assert_int_eq(q.status, OMS_STATUS_PAYMENT_SUCCESS);
	ck_assert_str_eq(q.customer_id, "cus_1");
	ck_assert_int_eq(q.include_deleted, 1);
	ck_assert_int_eq(query("includeDeleted=false&limit=1&&"), OMS_OK);
	ck_assert_int_eq(q.include_deleted, 0);
	ck_assert_int_eq(q.limit, 1);
}
END_TEST

START_TEST(test_query_limit)
{
	static const char *const bad[] = { "limit=0", "limit=201",
	    "limit=-1", "limit=050", "limit=abc", "limit=", "limit",
	    "limit=1.5", "limit=+5", "limit=1000", "limit=99999999999999999999",
	    "limit=%20", "limit=1e2" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(query(bad[i]) == OMS_EINVAL, "%s", bad[i]);
		expect_errors(bad[i], "?limit", QLIMIT, NULL);
	}
	ck_assert_int_eq(query("limit=99"), OMS_OK);
	ck_assert_int_eq(q.limit, 99);
	ck_assert_int_eq(query("limit=%31%30"), OMS_OK);
	ck_assert_int_eq(q.limit, 10);
}
END_TEST

START_TEST(test_query_unknown)
{
	ck_assert_int_eq(query("limit=5&page=2&Limit=3&sort"), OMS_EINVAL);
	expect_errors("unknown", "?page", "is not a known parameter",
	    "?Limit", "is not a known parameter", "?sort",
	    "is not a known parameter", NULL);
	ck_assert_int_eq(query("a\"b=1&%zz=1&=x&\xc3\xa9=1"), OMS_EINVAL);
	expect_errors("odd names", "?", "is not a known parameter", "?%zz",
	    "is not a known parameter", "?", "is not a known parameter", "?",
	    "is not a known parameter", NULL);
	/* names are percent-decoded too */
	ck_assert_int_eq(query("%6cimit=7"), OMS_OK);
	ck_assert_int_eq(q.limit, 7);
}
END_TEST

START_TEST(test_query_repeated)
{
	ck_assert_int_eq(query("limit=5&status=shipped&limit=6&limit=7"),
	    OMS_EINVAL);
	expect_errors("repeat", "?limit", "must not be repeated", NULL);
	ck_assert_int_eq(query("limit=0&limit=1"), OMS_EINVAL);
	expect_errors("repeat", "?limit", QLIMIT, "?limit",
	    "must not be repeated", NULL);
}
END_TEST

START_TEST(test_query_percent)
{
	ck_assert_int_eq(query("customerId=cus%5F1&cursor=%41b"), OMS_OK);
	ck_assert_str_eq(q.customer_id, "cus_1");
	ck_assert_str_eq(q.cursor, "Ab");
	ck_assert_int_eq(query("customerId=c%zz"), OMS_EINVAL);
	expect_errors("bad esc", "?customerId",
	    "has an invalid percent-encoding", NULL);
	ck_assert_int_eq(query("customerId=c%4"), OMS_EINVAL);
	expect_errors("short esc", "?customerId",
	    "has an invalid percent-encoding", NULL);
	ck_assert_int_eq(query("cursor=a%00b"), OMS_EINVAL);
	expect_errors("nul", "?cursor", "must not contain %00", NULL);
	ck_assert_int_eq(query("customerId=a%2Fb"), OMS_EINVAL);
	expect_errors("slash", "?customerId", QID, NULL);
	ck_assert_int_eq(query("customerId=a+b"), OMS_EINVAL);
	expect_errors("plus", "?customerId", QID, NULL);
	ck_assert_int_eq(query("customerId=%C3%A9"), OMS_EINVAL);
	expect_errors("utf8", "?customerId", QID, NULL);
}
END_TEST

START_TEST(test_query_status)
{
	static const char *const ok[] = { "created", "paymentSuccess",
	    "paymentFailed", "shipped", "delivered", "canceled", "pending" };
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(buf, sizeof(buf), "status=%s", ok[i]);
		ck_assert_msg(query(buf) == OMS_OK, "%s", buf);
		ck_assert_str_eq(order_status_name(q.status), ok[i]);
	}
	ck_assert_int_eq(query("status=cancelled"), OMS_EINVAL);
	expect_errors("status", "?status", "must be one of created, "
	    "paymentSuccess, paymentFailed, shipped, delivered, canceled, "
	    "pending", NULL);
	ck_assert_int_eq(query("status=Shipped"), OMS_EINVAL);
	ck_assert_int_eq(query("status="), OMS_EINVAL);
	expect_errors("empty", "?status", NULL, NULL);
}
END_TEST

START_TEST(test_query_include_deleted)
{
	ck_assert_int_eq(query("includeDeleted=1"), OMS_EINVAL);
	expect_errors("1", "?includeDeleted", "must be true or false", NULL);
	ck_assert_int_eq(query("includeDeleted=TRUE"), OMS_EINVAL);
	expect_errors("TRUE", "?includeDeleted", "must be true or false", NULL);
	ck_assert_int_eq(query("includeDeleted"), OMS_EINVAL);
	expect_errors("bare", "?includeDeleted", "must be true or false",
	    NULL);
}
END_TEST

START_TEST(test_query_lengths)
{
	char buf[1024];
	char v[300];

	memset(v, 'c', 128);
	v[128] = '\0';
	snprintf(buf, sizeof(buf), "cursor=%s", v);
	ck_assert_int_eq(query(buf), OMS_OK);
	ck_assert_uint_eq(strlen(q.cursor), 128);
	snprintf(buf, sizeof(buf), "cursor=%sc", v);
	ck_assert_int_eq(query(buf), OMS_EINVAL);
	expect_errors("129", "?cursor", QCURSOR, NULL);
	memset(v, 'c', 299);
	v[299] = '\0';
	snprintf(buf, sizeof(buf), "cursor=%s", v);
	ck_assert_int_eq(query(buf), OMS_EINVAL);
	expect_errors("299", "?cursor", "is too long", NULL);
	ck_assert_int_eq(query("cursor="), OMS_EINVAL);
	expect_errors("empty", "?cursor", QCURSOR, NULL);
	ck_assert_int_eq(query("customerId=" ID64), OMS_OK);
	ck_assert_int_eq(query("customerId=" ID64 "x&cursor=a&limit=0"),
	    OMS_EINVAL);
	expect_errors("65", "?customerId", QID, "?limit", QLIMIT, NULL);
}
END_TEST

/* ------------------------------------------------ statuses, transitions */

START_TEST(test_status_names)
{
	enum oms_status s;
	int i;

	for (i = OMS_STATUS_CREATED; i < OMS_STATUS_MAX; i++) {
		ck_assert_int_eq(order_status_parse(
		    order_status_name((enum oms_status)i), &s), 0);
		ck_assert_int_eq(s, i);
	}
	ck_assert_str_eq(order_status_name(OMS_STATUS_PAYMENT_FAILED),
	    "paymentFailed");
	ck_assert_str_eq(order_status_name(OMS_STATUS_NONE), "");
	ck_assert_str_eq(order_status_name(OMS_STATUS_MAX), "");
	ck_assert_int_eq(order_status_parse("", &s), -1);
	ck_assert_int_eq(order_status_parse("CREATED", &s), -1);
}
END_TEST

START_TEST(test_transitions)
{
	/* rows: none created paySuccess payFailed shipped delivered canceled
	 * pending — DESIGN.md section 5 */
	static const struct {
		const char	*type;
		const char	*allowed;	/* one char per status */
	} table[] = {
		{ "orders.create",		"10000000" },
		{ "orders.process.payment",	"01000000" },
		{ "orders.ship",		"00100000" },
		{ "orders.update",		"01111001" },
		{ "orders.cancel",		"01110001" },
		{ "orders.delete",		"01111111" },
		{ "orders.delivered",		"00001000" },
		{ "orders.refund",		"00000010" },
		{ "orders.frobnicate",		"00000000" },
		{ "",				"00000000" },
	};
	size_t i;
	int s;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		for (s = 0; s < OMS_STATUS_MAX; s++)
			ck_assert_msg(order_transition_allowed(
			    (enum oms_status)s, table[i].type) ==
			    (table[i].allowed[s] == '1'), "%s from %s",
			    table[i].type, order_status_name((enum oms_status)s));
	ck_assert_int_eq(order_transition_allowed(OMS_STATUS_MAX,
	    "orders.delete"), 0);
	ck_assert_int_eq(order_transition_allowed(OMS_STATUS_CREATED, NULL),
	    0);
}
END_TEST

static Suite *
order_suite(void)
{
	Suite *s = suite_create("order");

#define ADD(fn) unit_add(s, &#fn[5], fn, setup, teardown)
	ADD(test_create_items);
	ADD(test_create_store);
	ADD(test_create_single_form);
	ADD(test_create_100_items);
	ADD(test_create_boundaries);
	ADD(test_create_missing_customer);
	ADD(test_create_missing_payment);
	ADD(test_create_empty_object);
	ADD(test_create_wrong_types);
	ADD(test_create_null_fields);
	ADD(test_create_empty_strings);
	ADD(test_create_id_65);
	ADD(test_create_id_charset);
	ADD(test_create_id_non_ascii);
	ADD(test_items_not_array);
	ADD(test_items_empty);
	ADD(test_items_101);
	ADD(test_item_not_object);
	ADD(test_item_missing_fields);
	ADD(test_quantity_zero);
	ADD(test_quantity_10001);
	ADD(test_quantity_negative);
	ADD(test_quantity_huge);
	ADD(test_quantity_fraction);
	ADD(test_quantity_integral_double);
	ADD(test_quantity_exponent);
	ADD(test_quantity_string);
	ADD(test_quantity_bool_null);
	ADD(test_unknown_root);
	ADD(test_unknown_item);
	ADD(test_unknown_escaping);
	ADD(test_unknown_long_name);
	ADD(test_single_form_incomplete);
	ADD(test_single_form_invalid);
	ADD(test_mixed_forms);
	ADD(test_all_errors_reported);
	ADD(test_errors_cap);
	ADD(test_malformed_duplicate_keys);
	ADD(test_malformed_trailing);
	ADD(test_malformed_utf8);
	ADD(test_malformed_depth);
	ADD(test_malformed_syntax);
	ADD(test_non_object_root);
	ADD(test_errors_to_json);
	ADD(test_errors_add_truncates);
	ADD(test_validate_prefix_items_only);
	ADD(test_input_to_json);
	ADD(test_pointer);
	ADD(test_id_valid);
	ADD(test_update_valid);
	ADD(test_update_empty);
	ADD(test_update_invalid);
	ADD(test_update_malformed_and_root);
	ADD(test_delivered_valid);
	ADD(test_delivered_missing);
	ADD(test_delivered_invalid);
	ADD(test_query_defaults);
	ADD(test_query_all);
	ADD(test_query_limit);
	ADD(test_query_unknown);
	ADD(test_query_repeated);
	ADD(test_query_percent);
	ADD(test_query_status);
	ADD(test_query_include_deleted);
	ADD(test_query_lengths);
	ADD(test_status_names);
	ADD(test_transitions);
#undef ADD
	return s;
}

int
main(void)
{
	return unit_run(order_suite());
}
