/*
 * Unit tests for lib/order_extra.c through the body parsers of
 * lib/order.c and the command codec of lib/command.c: a priced order and
 * its computed totals, all or none, the amounts' ranges and the totals'
 * overflow reported at the member that made them fail, totals sent by the
 * client checked, OMS_REQUIRE_PRICES and OMS_REQUIRE_ADDRESS, unknown
 * fields still refused, the canonical JSON and its round trip through a
 * command (which must carry the computed amounts), and the PATCH rules
 * (metadata with null, immutable members named).
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "json.h"
#include "order.h"
#include "unit.h"

#define BASE	"\"customerId\":\"cus_1\",\"paymentMethodId\":\"pm_1\""
#define ADDR	"{\"name\":\"Ada\",\"line1\":\"1 Main St\",\"city\":" \
		"\"London\",\"postalCode\":\"N1 9GU\",\"country\":\"GB\"}"
#define TWO	"[{\"productId\":\"p1\",\"variantId\":\"v1\",\"quantity\":2," \
		"\"unitPrice\":1250,\"name\":\"Tea\"},{\"productId\":\"p2\"," \
		"\"variantId\":\"v2\",\"quantity\":1,\"unitPrice\":999}]"
#define PRICED	"{" BASE ",\"currency\":\"EUR\",\"items\":" TWO

static struct oms_order_input		*in;
static struct oms_order_update		*up;
static struct order_errors		 errs;

static void
setup(void)
{
	in = calloc(1, sizeof(*in));
	up = calloc(1, sizeof(*up));
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(up);
	order_errors_init(&errs);
}

static void
teardown(void)
{
	free(in);
	free(up);
}

static enum oms_err
create(const char *body, int flags)
{
	return order_parse_create(body, strlen(body), flags, in, &errs);
}

/* Asserts the errors of the last parse: pairs of pointer and detail (NULL
 * for any detail), ending with NULL. */
static void
expect(const char *what, ...)
{
	va_list ap;
	const char *ptr, *detail;
	size_t i = 0;

	va_start(ap, what);
	while ((ptr = va_arg(ap, const char *)) != NULL) {
		detail = va_arg(ap, const char *);
		ck_assert_msg(i < errs.n, "%s: %zu errors, want more (%s)",
		    what, errs.n, ptr);
		ck_assert_msg(strcmp(errs.e[i].pointer, ptr) == 0,
		    "%s: error %zu at \"%s\" (%s), want \"%s\"", what, i,
		    errs.e[i].pointer, errs.e[i].detail, ptr);
		if (detail != NULL)
			ck_assert_msg(strcmp(errs.e[i].detail, detail) == 0,
			    "%s: \"%s\", want \"%s\"", what, errs.e[i].detail,
			    detail);
		i++;
	}
	va_end(ap);
	ck_assert_msg(errs.n == i, "%s: %zu errors, want %zu (extra at %s: %s)",
	    what, errs.n, i, i < errs.n ? errs.e[i].pointer : "",
	    i < errs.n ? errs.e[i].detail : "");
}

static void
fails(const char *body, int flags, const char *ptr, const char *detail)
{
	order_errors_init(&errs);
	ck_assert_msg(create(body, flags) == OMS_EINVAL, "accepted: %s", body);
	ck_assert_int_eq(errs.malformed, 0);
	expect(body, ptr, detail, NULL);
}

START_TEST(test_priced)
{
	ck_assert_int_eq(create(PRICED ",\"shippingTotal\":499,\"taxTotal\":"
	    "100,\"discountTotal\":1000,\"shippingAddress\":" ADDR ","
	    "\"billingAddress\":" ADDR ",\"email\":\"ada@example.org\","
	    "\"metadata\":{\"erp\":\"7\"}}", 0), OMS_OK);
	ck_assert_int_eq(in->priced, 1);
	ck_assert_str_eq(in->currency, "EUR");
	ck_assert_int_eq(in->items[0].total, 2500);
	ck_assert_int_eq(in->items[1].total, 999);
	ck_assert_str_eq(in->items[0].name, "Tea");
	ck_assert_int_eq(in->subtotal, 3499);
	ck_assert_int_eq(in->total, 3499 + 499 + 100 - 1000);
	ck_assert_int_eq(in->shipping_address.present, 1);
	ck_assert_int_eq(in->billing_address.present, 1);
	ck_assert_str_eq(in->email, "ada@example.org");
	ck_assert_uint_eq(in->metadata.n, 1);
	/* JPY has no minor unit: amounts are yen; nothing else changes */
	ck_assert_int_eq(create("{" BASE ",\"currency\":\"JPY\",\"items\":"
	    "[{\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":3,"
	    "\"unitPrice\":0}]}", 0), OMS_OK);
	ck_assert_int_eq(in->total, 0);
}
END_TEST

START_TEST(test_unpriced)
{
	/* the study's body and the items form without prices */
	ck_assert_int_eq(create("{" BASE ",\"productId\":\"p\",\"variantId\":"
	    "\"v\",\"quantity\":1}", 0), OMS_OK);
	ck_assert_int_eq(in->priced, 0);
	ck_assert_str_eq(in->currency, "");
	ck_assert_int_eq(create("{" BASE ",\"items\":[{\"productId\":\"p\","
	    "\"variantId\":\"v\",\"quantity\":1,\"name\":\"Mug\"}],"
	    "\"shippingAddress\":" ADDR "}", 0), OMS_OK);
	ck_assert_int_eq(in->priced, 0);
	ck_assert_str_eq(in->items[0].name, "Mug");
}
END_TEST

START_TEST(test_all_or_none)
{
	fails("{" BASE ",\"items\":" TWO "}", 0, "/currency",
	    "is required when items have a unitPrice");
	fails("{" BASE ",\"currency\":\"EUR\",\"items\":[{\"productId\":\"p\","
	    "\"variantId\":\"v\",\"quantity\":1,\"unitPrice\":5},"
	    "{\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":1}]}", 0,
	    "/items/1/unitPrice", "is required when the order has a currency");
	fails("{" BASE ",\"currency\":\"EUR\",\"items\":[{\"productId\":\"p\","
	    "\"variantId\":\"v\",\"quantity\":1}]}", 0, "/items/0/unitPrice",
	    NULL);
	fails("{" BASE ",\"currency\":\"EUR\",\"productId\":\"p\","
	    "\"variantId\":\"v\",\"quantity\":1}", 0, "/items",
	    "must be given, with a unitPrice each, when the order has a "
	    "currency");
	fails("{" BASE ",\"shippingTotal\":5,\"items\":[{\"productId\":\"p\","
	    "\"variantId\":\"v\",\"quantity\":1}]}", 0, "/currency",
	    "is required when the order gives amounts");
	fails("{" BASE ",\"total\":5,\"items\":[{\"productId\":\"p\","
	    "\"variantId\":\"v\",\"quantity\":1}]}", 0, "/total",
	    "is only for an order with prices");
}
END_TEST

START_TEST(test_currency)
{
	fails("{" BASE ",\"currency\":\"eur\",\"items\":" TWO "}", 0,
	    "/currency", "must be an active ISO 4217 currency code in capitals "
	    "(\"EUR\")");
	fails("{" BASE ",\"currency\":\"XXX\",\"items\":" TWO "}", 0,
	    "/currency", NULL);
	fails("{" BASE ",\"currency\":978,\"items\":" TWO "}", 0, "/currency",
	    NULL);
}
END_TEST

START_TEST(test_amount_ranges)
{
	fails(PRICED ",\"shippingTotal\":-1}", 0, "/shippingTotal",
	    "must be an integer from 0 to 9007199254740991 (minor units)");
	fails(PRICED ",\"taxTotal\":9007199254740992}", 0, "/taxTotal", NULL);
	fails(PRICED ",\"discountTotal\":1.5}", 0, "/discountTotal",
	    "must be an integer (minor units)");
	fails(PRICED ",\"shippingTotal\":\"5\"}", 0, "/shippingTotal", NULL);
	fails(PRICED ",\"taxTotal\":99999999999999999999}", 0, "/taxTotal",
	    NULL);
	fails("{" BASE ",\"currency\":\"EUR\",\"items\":[{\"productId\":\"p\","
	    "\"variantId\":\"v\",\"quantity\":1,\"unitPrice\":1000000000001}]}",
	    0, "/items/0/unitPrice", "must be an integer from 0 to "
	    "1000000000000 (minor units)");
	fails("{" BASE ",\"currency\":\"EUR\",\"items\":[{\"productId\":\"p\","
	    "\"variantId\":\"v\",\"quantity\":1,\"unitPrice\":-1}]}", 0,
	    "/items/0/unitPrice", NULL);
	fails("{" BASE ",\"currency\":\"EUR\",\"items\":[{\"productId\":\"p\","
	    "\"variantId\":\"v\",\"quantity\":1,\"unitPrice\":1,\"name\":\"\"}]}",
	    0, "/items/0/name", "must be 1 to 200 characters long");
	fails("{" BASE ",\"currency\":\"EUR\",\"items\":[{\"productId\":\"p\","
	    "\"variantId\":\"v\",\"quantity\":1,\"unitPrice\":1,\"name\":"
	    "\"a\\u001bb\"}]}", 0, "/items/0/name",
	    "must not contain control characters");
}
END_TEST

START_TEST(test_overflow_pointers)
{
	/* 10^12 x 10000 = 10^16 is above 2^53 - 1 */
	fails("{" BASE ",\"currency\":\"EUR\",\"items\":[{\"productId\":\"p\","
	    "\"variantId\":\"v\",\"quantity\":1,\"unitPrice\":1},"
	    "{\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":10000,"
	    "\"unitPrice\":1000000000000}]}", 0, "/items/1",
	    "unitPrice x quantity must not exceed 9007199254740991");
	/* two lines of 9 x 10^15 each: the subtotal overflows */
	fails("{" BASE ",\"currency\":\"EUR\",\"items\":[{\"productId\":\"p\","
	    "\"variantId\":\"v\",\"quantity\":9000,\"unitPrice\":1000000000000},"
	    "{\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":9000,"
	    "\"unitPrice\":1000000000000}]}", 0, "/items",
	    "the subtotal must not exceed 9007199254740991");
	fails(PRICED ",\"shippingTotal\":9007199254740991}", 0,
	    "/shippingTotal", NULL);
	fails(PRICED ",\"shippingTotal\":1,\"taxTotal\":9007199254740991}", 0,
	    "/taxTotal", NULL);
	fails(PRICED ",\"discountTotal\":3500}", 0, "/discountTotal",
	    "must not exceed subtotal + shippingTotal + taxTotal: the total "
	    "would be negative");
	ck_assert_int_eq(create(PRICED ",\"discountTotal\":3499}", 0), OMS_OK);
	ck_assert_int_eq(in->total, 0);
}
END_TEST

START_TEST(test_client_totals)
{
	ck_assert_int_eq(create(PRICED ",\"subtotal\":3499,\"total\":3499}",
	    0), OMS_OK);
	fails(PRICED ",\"total\":3498}", 0, "/total", "must equal subtotal + "
	    "shippingTotal + taxTotal - discountTotal (3499), or be left out");
	fails(PRICED ",\"subtotal\":1}", 0, "/subtotal", "must equal the sum "
	    "of the items' totals (3499), or be left out");
	fails("{" BASE ",\"currency\":\"EUR\",\"items\":[{\"productId\":\"p\","
	    "\"variantId\":\"v\",\"quantity\":2,\"unitPrice\":5,\"total\":11}]}",
	    0, "/items/0/total", "must equal unitPrice x quantity (10), or be "
	    "left out");
}
END_TEST

START_TEST(test_require)
{
	ck_assert_int_eq(create("{" BASE ",\"productId\":\"p\",\"variantId\":"
	    "\"v\",\"quantity\":1,\"shippingAddress\":" ADDR "}",
	    ORDER_REQUIRE_PRICES), OMS_EINVAL);
	expect("single form", "/currency", NULL, "/items", "is required, with "
	    "a unitPrice each: this service requires prices", NULL);
	order_errors_init(&errs);
	ck_assert_int_eq(create("{" BASE ",\"items\":[{\"productId\":\"p\","
	    "\"variantId\":\"v\",\"quantity\":1},{\"productId\":\"q\","
	    "\"variantId\":\"v\",\"quantity\":1}]}", ORDER_REQUIRE_PRICES),
	    OMS_EINVAL);
	expect("require prices", "/currency", "is required: this service "
	    "requires prices", "/items/0/unitPrice", NULL, "/items/1/unitPrice",
	    NULL, NULL);
	ck_assert_int_eq(create(PRICED "}", ORDER_REQUIRE_PRICES), OMS_OK);
	fails(PRICED "}", ORDER_REQUIRE_ADDRESS, "/shippingAddress",
	    "is required: this service ships only to a given address");
	ck_assert_int_eq(create(PRICED ",\"shippingAddress\":" ADDR "}",
	    ORDER_REQUIRE_ADDRESS | ORDER_REQUIRE_PRICES), OMS_OK);
}
END_TEST

START_TEST(test_unknown_still_refused)
{
	fails(PRICED ",\"price\":1}", 0, "/price", "is not a known field");
	fails("{" BASE ",\"currency\":\"EUR\",\"items\":[{\"productId\":\"p\","
	    "\"variantId\":\"v\",\"quantity\":1,\"unitPrice\":1,\"sku\":\"x\"}]"
	    "}", 0, "/items/0/sku", "is not a known field");
	fails(PRICED ",\"shippingAddress\":{\"name\":\"a\",\"line1\":\"1\","
	    "\"city\":\"c\",\"postalCode\":\"1\",\"country\":\"DE\",\"zip\":"
	    "\"1\"}}", 0, "/shippingAddress/zip", "is not a known field");
	/* the single-product form has no top-level unitPrice */
	fails("{" BASE ",\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":1,"
	    "\"unitPrice\":5}", 0, "/unitPrice", "is not a known field");
	fails(PRICED ",\"email\":\"nobody\"}", 0, "/email", NULL);
	fails(PRICED ",\"metadata\":{\"k\":5}}", 0, "/metadata/k",
	    "must be a string");
}
END_TEST

START_TEST(test_canonical_roundtrip)
{
	struct oms_order_input *again = calloc(1, sizeof(*again));
	struct json_object *o;
	const char *s;
	size_t len;

	ck_assert_int_eq(create(PRICED ",\"taxTotal\":7,\"shippingAddress\":"
	    ADDR ",\"metadata\":{\"b\":\"2\",\"a\":\"1\"},\"email\":"
	    "\"a@b.co\"}", 0), OMS_OK);
	o = order_input_to_json(in);
	s = json_dump(o, &len);
	ck_assert_str_eq(s, "{" BASE ",\"items\":[{\"productId\":\"p1\","
	    "\"variantId\":\"v1\",\"quantity\":2,\"name\":\"Tea\","
	    "\"unitPrice\":1250,\"total\":2500},{\"productId\":\"p2\","
	    "\"variantId\":\"v2\",\"quantity\":1,\"unitPrice\":999,\"total\":"
	    "999}],\"email\":\"a@b.co\",\"currency\":\"EUR\",\"subtotal\":3499,"
	    "\"shippingTotal\":0,\"taxTotal\":7,\"discountTotal\":0,\"total\":"
	    "3506,\"shippingAddress\":" ADDR ",\"metadata\":{\"b\":\"2\","
	    "\"a\":\"1\"}}");
	/* the canonical form is a valid body and a valid command data */
	ck_assert_int_eq(order_parse_create(s, len, ORDER_ITEMS_ONLY |
	    ORDER_COMPUTED, again, &errs), OMS_OK);
	ck_assert_int_eq(again->total, 3506);
	ck_assert_uint_eq(again->nitems, in->nitems);
	ck_assert_int_eq(memcmp(again->items, in->items, in->nitems *
	    sizeof(in->items[0])), 0);
	json_object_put(o);
	free(again);
}
END_TEST

START_TEST(test_command_computed)
{
	struct oms_command *cmd = calloc(1, sizeof(*cmd)), *got =
	    calloc(1, sizeof(*got));
	char *json = NULL, err[256];
	size_t len;
	static const char head[] = "{\"v\":1,\"type\":\"orders.create\","
	    "\"commandId\":\"0190d1a0-0000-7000-8000-00000000c001\","
	    "\"orderId\":\"0190d1a0-0000-7000-8000-00000000a001\",\"issuedAt\":"
	    "\"2026-11-25T11:00:00.123Z\",\"actor\":{\"role\":\"admin\"},"
	    "\"data\":";
	char body[2048];

	ck_assert_int_eq(create(PRICED ",\"discountTotal\":99}", 0), OMS_OK);
	cmd->type = OMS_CMD_CREATE;
	strcpy(cmd->command_id, "0190d1a0-0000-7000-8000-00000000c001");
	strcpy(cmd->order_id, "0190d1a0-0000-7000-8000-00000000a001");
	strcpy(cmd->issued_at, "2026-11-25T11:00:00.123Z");
	cmd->role = OMS_ROLE_ADMIN;
	cmd->data.create = *in;
	ck_assert_int_eq(command_encode(cmd, &json, &len, err, sizeof(err)),
	    OMS_OK);
	ck_assert_int_eq(command_decode(json, len, got, err, sizeof(err)),
	    OMS_OK);
	ck_assert_int_eq(got->data.create.total, 3400);
	ck_assert_str_eq(got->data.create.currency, "EUR");
	free(json);
	/* a command must carry the computed amounts, and right ones */
	snprintf(body, sizeof(body), "%s" PRICED "}}", head);
	ck_assert_int_eq(command_decode(body, strlen(body), got, err,
	    sizeof(err)), OMS_EINVAL);
	ck_assert_str_eq(err, "/data/items/0/total: is required in a command");
	snprintf(body, sizeof(body), "%s{" BASE ",\"currency\":\"EUR\","
	    "\"items\":[{\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":"
	    "2,\"unitPrice\":5,\"total\":10}],\"subtotal\":10,\"total\":11}}",
	    head);
	ck_assert_int_eq(command_decode(body, strlen(body), got, err,
	    sizeof(err)), OMS_EINVAL);
	ck_assert_str_eq(err, "/data/total: must equal subtotal + "
	    "shippingTotal + taxTotal - discountTotal (10), or be left out");
	/* an unpriced command needs none */
	snprintf(body, sizeof(body), "%s{" BASE ",\"items\":[{\"productId\":"
	    "\"p\",\"variantId\":\"v\",\"quantity\":2}]}}", head);
	ck_assert_int_eq(command_decode(body, strlen(body), got, err,
	    sizeof(err)), OMS_OK);
	free(cmd);
	free(got);
}
END_TEST

static enum oms_err
update(const char *body)
{
	order_errors_init(&errs);
	return order_parse_update(body, strlen(body), up, &errs);
}

START_TEST(test_update_metadata)
{
	struct json_object *o;

	ck_assert_int_eq(update("{\"metadata\":{\"a\":null,\"b\":\"2\"}}"),
	    OMS_OK);
	ck_assert_int_eq(up->metadata.present, 1);
	ck_assert_uint_eq(up->metadata.n, 2);
	o = order_update_to_json(up);
	ck_assert_str_eq(json_dump(o, NULL),
	    "{\"metadata\":{\"a\":null,\"b\":\"2\"}}");
	json_object_put(o);
	ck_assert_int_eq(update("{\"trackingNumber\":\"t1\",\"metadata\":"
	    "{\"a\":\"1\"}}"), OMS_OK);
	ck_assert_str_eq(up->tracking_number, "t1");
	ck_assert_int_eq(update("{\"metadata\":{\"a b\":\"1\"}}"), OMS_EINVAL);
	expect("bad key", "/metadata/a b", NULL, NULL);
}
END_TEST

START_TEST(test_update_immutable)
{
	static const char *const names[] = { "items", "currency", "total",
	    "shippingTotal", "taxTotal", "discountTotal", "subtotal",
	    "shippingAddress", "billingAddress", "email", "customerId",
	    "orderNumber" };
	char body[128], ptr[32];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(body, sizeof(body), "{\"%s\":1}", names[i]);
		snprintf(ptr, sizeof(ptr), "/%s", names[i]);
		ck_assert_int_eq(update(body), OMS_EINVAL);
		expect(body, ptr, "cannot be changed after the order is created",
		    NULL);
	}
	ck_assert_int_eq(update("{\"trackingNumber\":\"t\",\"shippingAddress\":"
	    ADDR "}"), OMS_EINVAL);
	expect("with tracking", "/shippingAddress", NULL, NULL);
	ck_assert_int_eq(update("{\"colour\":\"red\"}"), OMS_EINVAL);
	expect("unknown", "", "must set shipCompanyId, trackingNumber or "
	    "metadata", "/colour", "is not a known field", NULL);
}
END_TEST

static Suite *
order_extra_suite(void)
{
	Suite *s = suite_create("order_extra");

#define ADD(fn) unit_add(s, #fn, fn, setup, teardown)
	ADD(test_priced);
	ADD(test_unpriced);
	ADD(test_all_or_none);
	ADD(test_currency);
	ADD(test_amount_ranges);
	ADD(test_overflow_pointers);
	ADD(test_client_totals);
	ADD(test_require);
	ADD(test_unknown_still_refused);
	ADD(test_canonical_roundtrip);
	ADD(test_command_computed);
	ADD(test_update_metadata);
	ADD(test_update_immutable);
#undef ADD
	return s;
}

int
main(void)
{
	return unit_run(order_extra_suite());
}
