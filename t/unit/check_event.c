/*
 * Unit tests for lib/event.c: the event type of each command outcome, and
 * the event body built from a Function result and an order.
 */
#include <check.h>
#include <string.h>
#include <json-c/json.h>

#include "event.h"
#include "json.h"
#include "unit.h"

START_TEST(test_types)
{
	ck_assert_str_eq(event_type_of("orders.create", "applied", NULL,
	    "created", NULL), "order.created");
	ck_assert_str_eq(event_type_of("orders.process.payment", "applied",
	    NULL, "paymentSuccess", NULL), "order.payment_succeeded");
	ck_assert_str_eq(event_type_of("orders.process.payment", "applied",
	    NULL, "paymentFailed", NULL), "order.payment_failed");
	ck_assert_str_eq(event_type_of("orders.process.payment", "applied",
	    NULL, "canceled", NULL), "order.updated");
	ck_assert_str_eq(event_type_of("orders.ship", "applied", NULL,
	    "shipped", NULL), "order.shipped");
	ck_assert_str_eq(event_type_of("orders.delivered", "applied", NULL,
	    "delivered", NULL), "order.delivered");
	ck_assert_str_eq(event_type_of("orders.cancel", "applied", NULL,
	    "canceled", NULL), "order.canceled");
	ck_assert_str_eq(event_type_of("orders.refund", "applied", NULL,
	    "canceled", NULL), "order.refunded");
	ck_assert_str_eq(event_type_of("orders.delete", "applied", NULL,
	    "canceled", "order deleted and canceled"), "order.deleted");
	ck_assert_str_eq(event_type_of("orders.update", "applied", NULL,
	    "shipped", NULL), "order.updated");
	/* a replay of an applied command is the same event */
	ck_assert_str_eq(event_type_of("orders.cancel", "duplicate",
	    "applied", "canceled", NULL), "order.canceled");
	ck_assert_ptr_null(event_type_of("orders.cancel", "duplicate",
	    "refused", "shipped", NULL));
	ck_assert_ptr_null(event_type_of("orders.cancel", "refused", NULL,
	    "shipped", NULL));
	ck_assert_ptr_null(event_type_of("orders.delete", "applied", NULL,
	    "canceled", "the order was already deleted"));
	ck_assert_ptr_null(event_type_of("orders.nope", "applied", NULL,
	    "created", NULL));
	ck_assert_ptr_null(event_type_of(NULL, "applied", NULL, NULL, NULL));
}
END_TEST

#define RESULT	"{\"outcome\":\"applied\",\"type\":\"orders.ship\"," \
	"\"commandId\":\"c1.pay.ship\",\"orderId\":\"o1\"," \
	"\"from\":\"paymentSuccess\",\"to\":\"shipped\",\"detail\":\"x\"," \
	"\"version\":3,\"followUps\":[]}"
#define ORDER	"{\"id\":\"o1\",\"status\":\"shipped\",\"version\":3," \
	"\"updatedAt\":\"2026-12-01T10:00:00.000Z\"}"

START_TEST(test_build)
{
	struct json_object *r = json_tokener_parse(RESULT);
	struct json_object *o = json_tokener_parse(ORDER), *ev;

	ck_assert_int_eq(event_build(r, o, "2026-12-01T11:00:00.000Z", &ev),
	    OMS_OK);
	ck_assert_str_eq(json_get_str(ev, "id"), "evt_c1.pay.ship");
	ck_assert_str_eq(json_get_str(ev, "type"), "order.shipped");
	ck_assert_str_eq(json_get_str(ev, "createdAt"),
	    "2026-12-01T10:00:00.000Z");
	ck_assert_str_eq(json_get_str(ev, "orderId"), "o1");
	ck_assert_str_eq(json_get_str(ev, "previousStatus"), "paymentSuccess");
	ck_assert_str_eq(json_get_str(json_get_obj(ev, "order"), "status"),
	    "shipped");
	ck_assert_str_eq(json_dump(ev, NULL), "{\"id\":\"evt_c1.pay.ship\","
	    "\"type\":\"order.shipped\",\"createdAt\":"
	    "\"2026-12-01T10:00:00.000Z\",\"orderId\":\"o1\",\"version\":3,"
	    "\"previousStatus\":\"paymentSuccess\",\"order\":" ORDER "}");
	json_object_put(ev);
	/* the order moved on (a late replay): createdAt is now */
	json_object_object_add(o, "version", json_object_new_int(4));
	ck_assert_int_eq(event_build(r, o, "2026-12-01T11:00:00.000Z", &ev),
	    OMS_OK);
	ck_assert_str_eq(json_get_str(ev, "createdAt"),
	    "2026-12-01T11:00:00.000Z");
	json_object_put(ev);
	json_object_put(o);	/* ev held its own reference */
	json_object_put(r);
}
END_TEST

START_TEST(test_build_none)
{
	struct json_object *r = json_tokener_parse("{\"outcome\":\"applied\","
	    "\"type\":\"orders.create\",\"commandId\":\"c1\",\"orderId\":"
	    "\"o1\",\"from\":\"none\",\"to\":\"created\",\"version\":1}");
	struct json_object *o = json_tokener_parse("{\"id\":\"o1\","
	    "\"version\":1}"), *ev;
	struct json_object *refused = json_tokener_parse("{\"outcome\":"
	    "\"refused\",\"type\":\"orders.cancel\",\"commandId\":\"c2\","
	    "\"orderId\":\"o1\",\"version\":1}");
	struct json_object *bad = json_tokener_parse("{\"outcome\":"
	    "\"applied\",\"type\":\"orders.cancel\",\"orderId\":\"o1\","
	    "\"version\":1}");

	ck_assert_int_eq(event_build(r, o, "now", &ev), OMS_OK);
	ck_assert_ptr_null(json_get_str(ev, "previousStatus"));
	ck_assert(json_object_object_get_ex(ev, "previousStatus", NULL));
	ck_assert_str_eq(json_get_str(ev, "createdAt"), "now");
	json_object_put(ev);
	ck_assert_int_eq(event_build(refused, o, "now", &ev), OMS_ENOTFOUND);
	ck_assert_ptr_null(ev);
	ck_assert_int_eq(event_build(bad, o, "now", &ev), OMS_EINVAL);
	ck_assert_int_eq(event_build(r, NULL, "now", &ev), OMS_EINVAL);
	json_object_put(r);
	json_object_put(o);
	json_object_put(refused);
	json_object_put(bad);
}
END_TEST

static Suite *
event_suite(void)
{
	Suite *s = suite_create("event");

#define ADD(name, fn) unit_add(s, name, fn, NULL, NULL)
	ADD("types", test_types);
	ADD("build", test_build);
	ADD("build_none", test_build_none);
#undef ADD
	return s;
}

int
main(void)
{
	return unit_run(event_suite());
}
