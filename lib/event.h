/*
 * Order events (docs/webhooks.md): what the worker publishes to oms.events
 * for each applied transition, built from the Function's result and the
 * order as the API shows it. Pure: no I/O (unit-tested).
 */
#ifndef OMS_EVENT_H
#define OMS_EVENT_H

#include <json-c/json.h>

#include "err.h"

#define EVENT_EXCHANGE	"oms.events"
#define EVENT_QUEUE	"oms-notify-queue"
#define EVENT_ID_PREFIX	"evt_"

/* The event type ("order.shipped", ...) of a command's outcome: type is
 * the command type, outcome "applied" (or "duplicate" with first_outcome
 * "applied"), to the status afterwards. NULL when the call is no event: a
 * refusal, or an applied call that changed nothing (detail says so). */
const char	*event_type_of(const char *type, const char *outcome,
		    const char *first_outcome, const char *to,
		    const char *detail);

/*
 * The event of one oms_apply result (borrowed), with order (borrowed: the
 * order as the API shows it after the call, view_order_from_hash) and now
 * (RFC 3339, used when the order's version is past the result's, i.e. on a
 * late replay; otherwise createdAt is the order's updatedAt, so a replay
 * right after a crash rebuilds the same body):
 *   {"id":"evt_<commandId>","type","createdAt","orderId","version",
 *    "previousStatus" (null before the first status),"order"}
 * OMS_OK with *out (owned); OMS_ENOTFOUND when the result is no event;
 * OMS_EINVAL when the result or order lacks what an event needs.
 */
enum oms_err	 event_build(struct json_object *result,
		    struct json_object *order, const char *now,
		    struct json_object **out);

#endif
