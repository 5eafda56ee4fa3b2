/*
 * Unit tests for lib/command.c: encoding and decoding of the command
 * envelope (a round trip per type), every rejection of the decoder with
 * its pointer, type and role names, and the RFC 3339 time helpers.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "unit.h"

static struct oms_command	 cmd, got;
static char			 err[256];

#define CID	"0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"
#define OID	"0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2c"
#define HEAD	"\"v\":1,\"commandId\":\"" CID "\"," \
		"\"orderId\":\"" OID "\"," \
		"\"issuedAt\":\"2026-11-25T11:00:00.123Z\""
#define ADMIN	"\"actor\":{\"role\":\"admin\"}"

static void
setup(void)
{
	memset(&cmd, 0, sizeof(cmd));
	memset(&got, 0, sizeof(got));
	err[0] = '\0';
	cmd.type = OMS_CMD_CREATE;
	snprintf(cmd.command_id, sizeof(cmd.command_id), CID);
	snprintf(cmd.order_id, sizeof(cmd.order_id), OID);
	snprintf(cmd.issued_at, sizeof(cmd.issued_at),
	    "2026-11-25T11:00:00.123Z");
	cmd.role = OMS_ROLE_CUSTOMER;
	snprintf(cmd.customer_id, sizeof(cmd.customer_id), "cus_1");
	snprintf(cmd.data.create.customer_id, OMS_ID_MAX + 1, "cus_1");
	snprintf(cmd.data.create.payment_method_id, OMS_ID_MAX + 1, "pm_1");
	cmd.data.create.nitems = 2;
	snprintf(cmd.data.create.items[0].product_id, OMS_ID_MAX + 1, "p1");
	snprintf(cmd.data.create.items[0].variant_id, OMS_ID_MAX + 1, "v1");
	cmd.data.create.items[0].quantity = 3;
	snprintf(cmd.data.create.items[1].product_id, OMS_ID_MAX + 1, "p2");
	snprintf(cmd.data.create.items[1].variant_id, OMS_ID_MAX + 1, "v2");
	cmd.data.create.items[1].quantity = 10000;
}

static enum oms_err
decode(const char *s)
{
	err[0] = '\0';
	return command_decode(s, strlen(s), &got, err, sizeof(err));
}

/* Asserts that s is refused with exactly the error want. */
static void
reject(const char *s, const char *want)
{
	ck_assert_msg(decode(s) == OMS_EINVAL, "accepted: %s", s);
	ck_assert_msg(strcmp(err, want) == 0, "%s:\n got \"%s\"\nwant \"%s\"",
	    s, err, want);
}

/* Encodes cmd, decodes the result into got and returns the JSON. */
static char *
roundtrip(void)
{
	char *json = NULL;
	size_t len = 0;

	ck_assert_msg(command_encode(&cmd, &json, &len, err, sizeof(err)) ==
	    OMS_OK, "%s", err);
	ck_assert_ptr_nonnull(json);
	ck_assert_uint_eq(len, strlen(json));
	ck_assert_msg(command_decode(json, len, &got, err, sizeof(err)) ==
	    OMS_OK, "%s", err);
	ck_assert_int_eq(got.type, cmd.type);
	ck_assert_str_eq(got.command_id, cmd.command_id);
	ck_assert_str_eq(got.order_id, cmd.order_id);
	ck_assert_str_eq(got.issued_at, cmd.issued_at);
	ck_assert_int_eq(got.role, cmd.role);
	ck_assert_str_eq(got.customer_id, cmd.customer_id);
	return json;
}

START_TEST(test_roundtrip_create)
{
	char *json = roundtrip();

	ck_assert_str_eq(json, "{\"v\":1,\"type\":\"orders.create\","
	    "\"commandId\":\"" CID "\",\"orderId\":\"" OID "\","
	    "\"issuedAt\":\"2026-11-25T11:00:00.123Z\","
	    "\"actor\":{\"role\":\"customer\",\"customerId\":\"cus_1\"},"
	    "\"data\":{\"customerId\":\"cus_1\",\"paymentMethodId\":\"pm_1\","
	    "\"items\":[{\"productId\":\"p1\",\"variantId\":\"v1\","
	    "\"quantity\":3},{\"productId\":\"p2\",\"variantId\":\"v2\","
	    "\"quantity\":10000}]}}");
	ck_assert(memcmp(&got.data.create, &cmd.data.create,
	    sizeof(got.data.create)) == 0);
	free(json);
}
END_TEST

START_TEST(test_roundtrip_store)
{
	char *json;

	snprintf(cmd.data.create.store_id, OMS_ID_MAX + 1, "st:1");
	cmd.role = OMS_ROLE_ADMIN;
	cmd.customer_id[0] = '\0';
	json = roundtrip();
	ck_assert_ptr_nonnull(strstr(json, "\"actor\":{\"role\":\"admin\"}"));
	ck_assert_str_eq(got.data.create.store_id, "st:1");
	ck_assert_str_eq(got.data.create.customer_id, "cus_1");
	free(json);
}
END_TEST

START_TEST(test_roundtrip_update_delivered)
{
	char *json;

	memset(&cmd.data, 0, sizeof(cmd.data));
	cmd.type = OMS_CMD_UPDATE;
	cmd.role = OMS_ROLE_SHIPPER;
	cmd.customer_id[0] = '\0';
	snprintf(cmd.data.update.tracking_number, OMS_ID_MAX + 1, "TN-9");
	json = roundtrip();
	ck_assert_ptr_nonnull(strstr(json,
	    "\"data\":{\"trackingNumber\":\"TN-9\"}"));
	ck_assert_str_eq(got.data.update.tracking_number, "TN-9");
	ck_assert_str_eq(got.data.update.ship_company_id, "");
	free(json);

	memset(&cmd.data, 0, sizeof(cmd.data));
	cmd.type = OMS_CMD_DELIVERED;
	snprintf(cmd.data.delivered.tracking_id, OMS_ID_MAX + 1, "TN-9");
	snprintf(cmd.data.delivered.confirmation_id, OMS_ID_MAX + 1, "conf.1");
	json = roundtrip();
	ck_assert_str_eq(got.data.delivered.tracking_id, "TN-9");
	ck_assert_str_eq(got.data.delivered.confirmation_id, "conf.1");
	free(json);
}
END_TEST

START_TEST(test_roundtrip_no_data_types)
{
	static const enum oms_cmd_type types[] = { OMS_CMD_PROCESS_PAYMENT,
	    OMS_CMD_SHIP, OMS_CMD_CANCEL, OMS_CMD_DELETE, OMS_CMD_REFUND,
	    OMS_CMD_VOID };
	size_t i;
	char *json;

	memset(&cmd.data, 0, sizeof(cmd.data));
	cmd.role = OMS_ROLE_SYSTEM;
	cmd.customer_id[0] = '\0';
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		cmd.type = types[i];
		json = roundtrip();
		ck_assert_ptr_nonnull(strstr(json, "\"data\":{}}"));
		ck_assert_ptr_nonnull(strstr(json, command_type_name(types[i])));
		free(json);
	}
}
END_TEST

START_TEST(test_encode_refuses_invalid)
{
	char *json = (char *)&json;

	snprintf(cmd.order_id, sizeof(cmd.order_id), "o 1");
	ck_assert_int_eq(command_encode(&cmd, &json, NULL, err, sizeof(err)),
	    OMS_EINVAL);
	ck_assert_ptr_null(json);
	ck_assert_str_eq(err,
	    "/orderId: must be 1 to 64 of letters, digits and _ . : -");
	setup();
	cmd.data.create.nitems = 0;
	ck_assert_int_eq(command_encode(&cmd, &json, NULL, err, sizeof(err)),
	    OMS_EINVAL);
	ck_assert_str_eq(err, "/data/items: must hold 1 to 100 items");
	setup();
	cmd.type = OMS_CMD_MAX;
	ck_assert_int_eq(command_encode(&cmd, &json, NULL, NULL, 0),
	    OMS_EINVAL);
}
END_TEST

START_TEST(test_decode_minimal)
{
	ck_assert_msg(decode("{" HEAD ",\"type\":\"orders.cancel\"," ADMIN
	    ",\"data\":{}}") == OMS_OK, "%s", err);
	ck_assert_int_eq(got.type, OMS_CMD_CANCEL);
	ck_assert_int_eq(got.role, OMS_ROLE_ADMIN);
	ck_assert_str_eq(got.customer_id, "");
	ck_assert_str_eq(got.order_id, "0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2c");
	/* members in any order, whitespace, optional customerId */
	ck_assert_msg(decode(" { \"data\" : { } , \"actor\" : { \"customerId\""
	    ":\"c\", \"role\":\"shipper\" }, \"type\":\"orders.ship\", " HEAD
	    " } ") == OMS_OK, "%s", err);
	ck_assert_str_eq(got.customer_id, "c");
}
END_TEST

START_TEST(test_reject_json)
{
	reject("{" HEAD, "the message is malformed JSON: expected ',' or '}' "
	    "at byte offset 144");
	reject("[]", "the message must be a JSON object");
	reject("null", "the message must be a JSON object");
	reject("{\"v\":1,\"v\":1}", "the message is malformed JSON: "
	    "duplicate object key at byte offset 7");
	reject("{} x", "the message is malformed JSON: trailing characters "
	    "after the value at byte offset 3");
	reject("{\"v\":\"\xff\"}", "the message is malformed JSON: "
	    "invalid UTF-8 at byte offset 6");
}
END_TEST

START_TEST(test_reject_envelope)
{
	reject("{" HEAD ",\"type\":\"orders.cancel\"," ADMIN ",\"data\":{},"
	    "\"x/y\":1}", "/x~1y: is not a known field");
	reject("{\"type\":\"orders.cancel\"}", "/v: must be 1");
	reject("{\"v\":2}", "/v: must be 1");
	reject("{\"v\":\"1\"}", "/v: must be 1");
	reject("{\"v\":1.0}", "/v: must be 1");
	reject("{\"v\":true}", "/v: must be 1");
	reject("{\"v\":1}", "/type: is required");
	reject("{\"v\":1,\"type\":7}", "/type: must be a string");
	reject("{\"v\":1,\"type\":\"orders.frobnicate\"}",
	    "/type: must be a known command type");
	reject("{\"v\":1,\"type\":\"orders\"}",
	    "/type: must be a known command type");
	reject("{\"v\":1,\"type\":\"orders.cancel\"}", "/commandId: is required");
	reject("{\"v\":1,\"type\":\"orders.cancel\",\"commandId\":\"\"}",
	    "/commandId: must be 1 to 64 of letters, digits and _ . : -");
	reject("{\"v\":1,\"type\":\"orders.cancel\",\"commandId\":"
	    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
	    "/commandId: must be 1 to 64 of letters, digits and _ . : -");
	reject("{\"v\":1,\"type\":\"orders.cancel\",\"commandId\":\"" CID
	    "\",\"orderId\":null}", "/orderId: must be a string");
	reject("{\"v\":1,\"type\":\"orders.cancel\",\"commandId\":\"" CID
	    "\",\"orderId\":\"o/1\"}",
	    "/orderId: must be 1 to 64 of letters, digits and _ . : -");
}
END_TEST

/* Issue 14: only ids oms mints name an order or a command. */
START_TEST(test_ids_shape)
{
	static const char *const bad_orders[] = {
		OID ":events", OID ":applied", "o1", "O1",
		"0193A1B2-C3D4-7E5F-8A6B-7C8D9E0F1A2C", OID ".pay",
		"0193a1b2c3d47e5f8a6b7c8d9e0f1a2c", "",
	};
	static const char *const bad_commands[] = {
		"c1", CID ":x", CID ".", CID "..pay", CID ".Pay", CID ".pay1",
		CID "-x", CID ".pay.shipppppppppppppppppppppppppppppp", "",
	};
	char buf[512], *json = NULL;
	size_t i;

	ck_assert(command_order_id_valid(OID));
	ck_assert(command_id_valid(CID));
	ck_assert(command_id_valid(CID ".pay"));
	ck_assert(command_id_valid(CID ".pay.ship"));
	ck_assert(command_id_valid(CID ".pay.refund"));
	ck_assert(!command_order_id_valid(NULL));
	ck_assert(!command_id_valid(NULL));
	for (i = 0; i < sizeof(bad_orders) / sizeof(bad_orders[0]); i++) {
		ck_assert_msg(!command_order_id_valid(bad_orders[i]), "%s",
		    bad_orders[i]);
		snprintf(buf, sizeof(buf), "{\"v\":1,\"type\":\"orders.cancel\","
		    "\"commandId\":\"" CID "\",\"orderId\":\"%s\"}",
		    bad_orders[i]);
		ck_assert_msg(decode(buf) == OMS_EINVAL, "accepted %s", buf);
		ck_assert_msg(strncmp(err, "/orderId: ", 10) == 0, "%s", err);
	}
	for (i = 0; i < sizeof(bad_commands) / sizeof(bad_commands[0]); i++) {
		ck_assert_msg(!command_id_valid(bad_commands[i]), "%s",
		    bad_commands[i]);
		snprintf(buf, sizeof(buf), "{\"v\":1,\"type\":\"orders.cancel\","
		    "\"commandId\":\"%s\",\"orderId\":\"" OID "\"}",
		    bad_commands[i]);
		ck_assert_msg(decode(buf) == OMS_EINVAL, "accepted %s", buf);
		ck_assert_msg(strncmp(err, "/commandId: ", 12) == 0, "%s", err);
	}
	/* and nothing else is published either */
	snprintf(cmd.order_id, sizeof(cmd.order_id), OID ":events");
	ck_assert_int_eq(command_encode(&cmd, &json, NULL, err, sizeof(err)),
	    OMS_EINVAL);
	ck_assert_ptr_null(json);
	ck_assert_str_eq(err, "/orderId: must be a UUID (lowercase, "
	    "8-4-4-4-12)");
}
END_TEST

START_TEST(test_reject_issued_at)
{
	static const char *const bad[] = {
		"2026-11-25T11:00:00Z",
		"2026-11-25T11:00:00.12Z",
		"2026-11-25T11:00:00.1234Z",
		"2026-11-25T11:00:00.123",
		"2026-11-25T11:00:00.123+00:00",
		"2026-11-25 11:00:00.123Z",
		"2026-11-25t11:00:00.123z",
		"2026-13-25T11:00:00.123Z",
		"2026-02-30T11:00:00.123Z",
		"2025-02-29T11:00:00.123Z",
		"2026-11-25T24:00:00.123Z",
		"2026-11-25T11:60:00.123Z",
		"2026-11-25T11:00:61.123Z",
		"2026-11-00T11:00:00.123Z",
		"2026-1a-25T11:00:00.123Z",
		"2026-11-25T11:00:00.1a3Z",
	};
	char buf[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "{\"v\":1,\"type\":\"orders.ship\","
		    "\"commandId\":\"" CID "\",\"orderId\":\"" OID "\","
		    "\"issuedAt\":\"%s\"}",
		    bad[i]);
		reject(buf, "/issuedAt: must be an RFC 3339 UTC time with "
		    "milliseconds");
	}
	reject("{\"v\":1,\"type\":\"orders.ship\",\"commandId\":\"" CID
	    "\",\"orderId\":\"" OID "\",\"issuedAt\":1}",
	    "/issuedAt: must be a string");
}
END_TEST

START_TEST(test_reject_actor)
{
#define T	"{" HEAD ",\"type\":\"orders.cancel\",\"data\":{}"
	reject(T "}", "/actor: is required");
	reject(T ",\"actor\":\"admin\"}", "/actor: must be an object");
	reject(T ",\"actor\":{}}", "/actor/role: is required");
	reject(T ",\"actor\":{\"role\":\"root\"}}",
	    "/actor/role: must be one of customer, shipper, admin, system");
	reject(T ",\"actor\":{\"role\":\"Admin\"}}",
	    "/actor/role: must be one of customer, shipper, admin, system");
	reject(T ",\"actor\":{\"role\":\"customer\"}}",
	    "/actor/customerId: is required");
	reject(T ",\"actor\":{\"role\":\"customer\",\"customerId\":\"\"}}",
	    "/actor/customerId: must be 1 to 64 of letters, digits and _ . : -");
	reject(T ",\"actor\":{\"role\":\"admin\",\"customerId\":5}}",
	    "/actor/customerId: must be a string");
	reject(T ",\"actor\":{\"role\":\"admin\",\"name\":\"x\"}}",
	    "/actor/name: is not a known field");
#undef T
}
END_TEST

START_TEST(test_reject_data)
{
#define C	"{" HEAD "," ADMIN ",\"type\":\"orders.create\",\"data\":"
	reject("{" HEAD "," ADMIN ",\"type\":\"orders.cancel\"}",
	    "/data: is required");
	reject("{" HEAD "," ADMIN ",\"type\":\"orders.cancel\",\"data\":[]}",
	    "/data: must be a JSON object");
	reject("{" HEAD "," ADMIN ",\"type\":\"orders.cancel\",\"data\":null}",
	    "/data: must be a JSON object");
	reject("{" HEAD "," ADMIN ",\"type\":\"orders.refund\","
	    "\"data\":{\"amount\":1}}", "/data/amount: is not a known field");
	/* orders.void is the worker's own follow-up only */
	reject("{" HEAD "," ADMIN ",\"type\":\"orders.void\",\"data\":{}}",
	    "/actor/role: must be system for orders.void");
	reject(C "{}}", "/data/customerId: is required");
	/* the single-product form is for HTTP bodies only */
	reject(C "{\"customerId\":\"c\",\"paymentMethodId\":\"p\","
	    "\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":1}}",
	    "/data/items: is required");
	reject(C "{\"customerId\":\"c\",\"paymentMethodId\":\"p\","
	    "\"items\":[{\"productId\":\"p\",\"variantId\":\"v\","
	    "\"quantity\":1}],\"quantity\":1}}",
	    "/data/quantity: is not a known field");
	reject(C "{\"customerId\":\"c\",\"paymentMethodId\":\"p\","
	    "\"items\":[{\"productId\":\"p\",\"variantId\":\"v\","
	    "\"quantity\":0}]}}",
	    "/data/items/0/quantity: must be between 1 and 10000");
	reject("{" HEAD ",\"actor\":{\"role\":\"customer\",\"customerId\":"
	    "\"c2\"},\"type\":\"orders.create\",\"data\":{\"customerId\":\"c\","
	    "\"paymentMethodId\":\"p\",\"items\":[{\"productId\":\"p\","
	    "\"variantId\":\"v\",\"quantity\":1}]}}",
	    "/data/customerId: must be the customer actor's own customerId");
	reject("{" HEAD "," ADMIN ",\"type\":\"orders.update\",\"data\":{}}",
	    "/data: must set shipCompanyId or trackingNumber");
	reject("{" HEAD "," ADMIN ",\"type\":\"orders.delivered\","
	    "\"data\":{\"trackingId\":\"t\"}}",
	    "/data/confirmationId: is required");
#undef C
}
END_TEST

START_TEST(test_names)
{
	enum oms_cmd_type t;
	enum oms_role r;
	int i;

	for (i = 0; i < OMS_CMD_MAX; i++) {
		ck_assert_int_eq(command_type_parse(
		    command_type_name((enum oms_cmd_type)i), &t), 0);
		ck_assert_int_eq(t, i);
	}
	ck_assert_str_eq(command_type_name(OMS_CMD_PROCESS_PAYMENT),
	    "orders.process.payment");
	ck_assert_str_eq(command_type_name(OMS_CMD_MAX), "");
	ck_assert_int_eq(command_type_parse("orders.Cancel", &t), -1);
	ck_assert_int_eq(command_type_parse("", &t), -1);
	for (i = 0; i < OMS_ROLE_MAX; i++) {
		ck_assert_int_eq(command_role_parse(
		    command_role_name((enum oms_role)i), &r), 0);
		ck_assert_int_eq(r, i);
	}
	ck_assert_str_eq(command_role_name(OMS_ROLE_SYSTEM), "system");
	ck_assert_str_eq(command_role_name((enum oms_role)-1), "");
	ck_assert_int_eq(command_role_parse("", &r), -1);
}
END_TEST

START_TEST(test_time_format)
{
	char buf[OMS_TIME_LEN + 1];

	ck_assert_int_eq(command_time_format(0, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.000Z");
	ck_assert_int_eq(command_time_format(1795086000123LL, buf,
	    sizeof(buf)), 0);
	ck_assert_str_eq(buf, "2026-11-19T11:00:00.123Z");
	ck_assert_int_eq(command_time_format(951782400999LL, buf,
	    sizeof(buf)), 0);
	ck_assert_str_eq(buf, "2000-02-29T00:00:00.999Z");
	ck_assert_int_eq(command_time_format(253402300799999LL, buf,
	    sizeof(buf)), 0);
	ck_assert_str_eq(buf, "9999-12-31T23:59:59.999Z");
	ck_assert_int_eq(command_time_format(253402300800000LL, buf,
	    sizeof(buf)), -1);
	ck_assert_int_eq(command_time_format(-1, buf, sizeof(buf)), -1);
	ck_assert_int_eq(command_time_format(0, buf, OMS_TIME_LEN), -1);
}
END_TEST

START_TEST(test_time_now_valid)
{
	char buf[OMS_TIME_LEN + 1];

	command_time_now(buf);
	ck_assert_uint_eq(strlen(buf), OMS_TIME_LEN);
	ck_assert(command_time_valid(buf));
	ck_assert(strncmp(buf, "20", 2) == 0);
	ck_assert(command_time_valid("2024-02-29T00:00:00.000Z"));
	ck_assert(command_time_valid("2000-02-29T23:59:59.999Z"));
	ck_assert(command_time_valid("2016-12-31T23:59:60.000Z"));
	ck_assert(!command_time_valid("2100-02-29T00:00:00.000Z"));
	ck_assert(!command_time_valid("2026-04-31T00:00:00.000Z"));
	ck_assert(!command_time_valid(""));
	ck_assert(!command_time_valid("2026-11-25T11:00:00.123Z "));
}
END_TEST

static Suite *
command_suite(void)
{
	Suite *s = suite_create("command");

#define ADD(name, fn) unit_add(s, name, fn, setup, NULL)
	ADD("roundtrip_create", test_roundtrip_create);
	ADD("roundtrip_store", test_roundtrip_store);
	ADD("roundtrip_update_delivered", test_roundtrip_update_delivered);
	ADD("roundtrip_no_data_types", test_roundtrip_no_data_types);
	ADD("encode_refuses_invalid", test_encode_refuses_invalid);
	ADD("decode_minimal", test_decode_minimal);
	ADD("reject_json", test_reject_json);
	ADD("reject_envelope", test_reject_envelope);
	ADD("ids_shape", test_ids_shape);
	ADD("reject_issued_at", test_reject_issued_at);
	ADD("reject_actor", test_reject_actor);
	ADD("reject_data", test_reject_data);
	ADD("names", test_names);
	ADD("time_format", test_time_format);
	ADD("time_now_valid", test_time_now_valid);
#undef ADD
	return s;
}

int
main(void)
{
	return unit_run(command_suite());
}
