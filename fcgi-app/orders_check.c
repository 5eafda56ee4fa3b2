/*
 * orders_check.c — what a command on an existing order would do, decided
 * against the order as oms-fcgi reads it, before anything is published.
 *
 * DESIGN §4: "Precondition checks against current state happen before
 * publishing". A command the worker would refuse gets 409 here; a command
 * that cannot change anything (a second DELETE, a cancel of a canceled
 * order, an update to the values the order has, a delivery confirmed
 * again) is answered at once with the order and publishes nothing, so
 * repeating a request never makes Redis hold more (issue 14, item 1). The
 * Once an order is shipped its shipping fields are frozen (409). The
 * worker re-checks atomically and is the authority: a command that passes
 * here and turns out to be a no-op there is answered but not recorded
 * (redis/oms.lua, "settled").
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "orders.h"
#include "view.h"

/* True when the field of order equals want ("" in want: not given). */
static int
orders_check_same(struct json_object *order, const char *field,
    const char *want)
{
	const char *have = view_str(order, field);

	return want[0] == '\0' || (have != NULL && strcmp(have, want) == 0);
}

enum orders_check
orders_check_write(struct json_object *order, enum oms_cmd_type type,
    const struct oms_order_update *up, const struct oms_order_delivered *dl,
    const char **problem, char *detail, size_t len)
{
	enum oms_status st = orders_status(order), from = st;
	const char *name = order_status_name(st);
	struct json_object *del;

	if (st == OMS_STATUS_PENDING)
		from = OMS_STATUS_CREATED;	/* accepted, about to be */
	switch (type) {
	case OMS_CMD_CANCEL:
		if (st == OMS_STATUS_CANCELED)
			return ORDERS_CHECK_NOOP;
		break;
	case OMS_CMD_DELETE:
		if (json_object_object_get_ex(order, "isDeleted", &del) &&
		    json_object_get_boolean(del))
			return ORDERS_CHECK_NOOP;
		break;
	case OMS_CMD_UPDATE:
		if (order_transition_allowed(from, "orders.update") &&
		    orders_check_same(order, "shipCompanyId",
		    up->ship_company_id) && orders_check_same(order,
		    "trackingNumber", up->tracking_number))
			return ORDERS_CHECK_NOOP;
		/* The carrier set them when it shipped: delivered is checked
		 * against them, so they no longer change (issue 14). */
		if (st == OMS_STATUS_SHIPPED) {
			*problem = "shipping-fields-frozen";
			snprintf(detail, len, "The order is shipped: "
			    "shipCompanyId and trackingNumber are the "
			    "carrier's and no longer change.");
			return ORDERS_CHECK_CONFLICT;
		}
		break;
	case OMS_CMD_DELIVERED:
		if (st == OMS_STATUS_DELIVERED && orders_check_same(order,
		    "trackingNumber", dl->tracking_id) &&
		    orders_check_same(order, "confirmationId",
		    dl->confirmation_id))
			return ORDERS_CHECK_NOOP;
		if (st == OMS_STATUS_SHIPPED && !orders_check_same(order,
		    "trackingNumber", dl->tracking_id)) {
			*problem = "tracking-mismatch";
			snprintf(detail, len, "trackingId does not match the "
			    "order's tracking number.");
			return ORDERS_CHECK_CONFLICT;
		}
		break;
	default:
		break;
	}
	if (!order_transition_allowed(from, command_type_name(type))) {
		*problem = "invalid-state";
		snprintf(detail, len, "An order that is %s cannot be %s.", name,
		    type == OMS_CMD_UPDATE ? "updated" :
		    type == OMS_CMD_CANCEL ? "canceled" :
		    type == OMS_CMD_DELETE ? "deleted" : "marked delivered");
		return ORDERS_CHECK_CONFLICT;
	}
	return ORDERS_CHECK_GO;
}
