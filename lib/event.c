/*
 * event.c — from a command's outcome to the order event webhooks carry.
 *
 * One event per applied transition, with an id derived from the commandId
 * ("evt_" + commandId): a command the broker redelivers is re-applied as a
 * no-op ("duplicate") whose event has the same id, so receivers dedupe on
 * it. The types follow the command and the status it led to; a provider
 * step that changed the order without its usual transition (a payment
 * completing after a cancel, which records the transaction for the refund)
 * is "order.updated". A delete of an order already deleted changes
 * nothing and is no event; the Function reports that only in its detail
 * text, which is therefore matched here (redis/oms.lua, decide.delete).
 */
#include <string.h>

#include "event.h"
#include "json.h"

#define EVENT_ALREADY_DELETED	"the order was already deleted"

static int
event_eq(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

const char *
event_type_of(const char *type, const char *outcome, const char *first_outcome,
    const char *to, const char *detail)
{
	if (type == NULL || !(event_eq(outcome, "applied") ||
	    (event_eq(outcome, "duplicate") &&
	    event_eq(first_outcome, "applied"))))
		return NULL;
	if (strcmp(type, "orders.create") == 0)
		return "order.created";
	if (strcmp(type, "orders.process.payment") == 0)
		return event_eq(to, "paymentSuccess") ?
		    "order.payment_succeeded" : event_eq(to, "paymentFailed") ?
		    "order.payment_failed" : "order.updated";
	if (strcmp(type, "orders.ship") == 0)
		return "order.shipped";
	if (strcmp(type, "orders.delivered") == 0)
		return "order.delivered";
	if (strcmp(type, "orders.cancel") == 0)
		return "order.canceled";
	if (strcmp(type, "orders.refund") == 0)
		return "order.refunded";
	if (strcmp(type, "orders.delete") == 0)
		return event_eq(detail, EVENT_ALREADY_DELETED) ? NULL :
		    "order.deleted";
	if (strcmp(type, "orders.update") == 0)
		return "order.updated";
	return NULL;
}

/* The integer member key of o, or -1. */
static long long
event_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

enum oms_err
event_build(struct json_object *result, struct json_object *order,
    const char *now, struct json_object **out)
{
	const char *type, *command_id, *order_id, *from, *at;
	long long version, order_version;
	char id[128];

	*out = NULL;
	type = event_type_of(json_get_str(result, "type"),
	    json_get_str(result, "outcome"),
	    json_get_str(result, "firstOutcome"), json_get_str(result, "to"),
	    json_get_str(result, "detail"));
	if (type == NULL)
		return OMS_ENOTFOUND;
	command_id = json_get_str(result, "commandId");
	order_id = json_get_str(result, "orderId");
	version = event_int(result, "version");
	order_version = event_int(order, "version");
	if (command_id == NULL || order_id == NULL || version < 0 ||
	    order == NULL || !json_object_is_type(order, json_type_object) ||
	    strlen(command_id) > sizeof(id) - sizeof(EVENT_ID_PREFIX))
		return OMS_EINVAL;
	from = json_get_str(result, "from");
	at = json_get_str(order, "updatedAt");
	if (at == NULL || order_version != version)
		at = now;

	strcpy(id, EVENT_ID_PREFIX);
	strcat(id, command_id);
	*out = json_object_new_object();
	json_add_str(*out, "id", id);
	json_add_str(*out, "type", type);
	json_add_str(*out, "createdAt", at);
	json_add_str(*out, "orderId", order_id);
	json_add_int(*out, "version", version);
	json_add_str(*out, "previousStatus", from == NULL ||
	    strcmp(from, "none") == 0 ? NULL : from);
	/* a reference of our own: order stays the caller's */
	json_object_object_add(*out, "order", json_object_get(order));
	return OMS_OK;
}
