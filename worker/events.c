/*
 * events.c — the order events of the worker (docs/webhooks.md).
 *
 * After a command is applied (or re-applied as a no-op), the worker reads
 * the order as the API shows it and builds the event (lib/event.c); the
 * event then rides with the follow-up commands: it is published to
 * oms.events on the same publisher connection, in the same confirm window,
 * so the delivery is acked only once the broker has the event on disk. A
 * redelivered command rebuilds the same event id, and the dispatcher
 * (oms-notify) keeps one delivery per event id and subscription.
 *
 * The hook is two calls: worker_event_attach right after the apply
 * (delivery.c, state EVENT; the event becomes the member "event" of the
 * Function's result, which the delivery owns), and worker_event_publish
 * from flow_follow_ups, which counts its confirm among the delivery's and
 * calls it again when the delivery publishes again after a failure. The
 * attach reads Redis once and never waits: a failed read puts the delivery
 * in BACKOFF (its timer in the loop tries again) while the process works
 * on its other deliveries.
 *
 * Fault injection (tests): OMS_FAULT=event-read-fail-ms=N makes the read
 * for the event of a create of customer EVENTS_FAULT_CUSTOMER fail with a
 * real Redis error reply until N ms after its first delivery arrived; and
 * OMS_FAULT=no-events (bench/flow --webhooks off only) makes no event at
 * all, to measure what the events cost the flow.
 */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "command.h"
#include "event.h"
#include "fault.h"
#include "json.h"
#include "log.h"
#include "view.h"
#include "worker.h"

#define EVENTS_FAULT_CUSTOMER	"cus_event_read_fail"

/* Tests: whether d's read must fail (event-read-fail-ms, see above). */
static int
events_fault(const struct delivery *d)
{
	long ms = fault_value("event-read-fail-ms");

	return ms > 0 && !d->msg.redelivered &&
	    d->cmd->type == OMS_CMD_CREATE &&
	    strcmp(d->cmd->data.create.customer_id, EVENTS_FAULT_CUSTOMER) ==
	    0 && clock_ms() - d->received_ms < ms;
}

/* The order (owned) as the API shows it; OMS_EUNAVAIL when Redis failed
 * (fail: send a malformed HGETALL, which Redis refuses). */
static enum oms_err
events_order(struct worker *w, const char *id, int fail,
    struct json_object **order)
{
	struct store_reply *r;
	enum oms_err rc;

	*order = NULL;
	rc = fail ? store_cmd(w->store, &r, "HGETALL") :
	    store_cmd(w->store, &r, "HGETALL oms:order:%s", id);
	if (rc != OMS_OK)
		return OMS_EUNAVAIL;
	if (r->type == STORE_ERROR) {
		log_warnx("HGETALL: %s", r->str);
		store_reply_free(r);
		return OMS_EUNAVAIL;
	}
	*order = view_order_from_hash(r);
	store_reply_free(r);
	return OMS_OK;
}

enum oms_err
worker_event_attach(struct delivery *d)
{
	struct json_object *result = d->result, *order = NULL, *ev = NULL;
	const char *id = json_get_str(result, "orderId");
	char now[OMS_TIME_LEN + 1];
	enum oms_err rc;

	if (event_type_of(json_get_str(result, "type"),
	    json_get_str(result, "outcome"), json_get_str(result,
	    "firstOutcome"), json_get_str(result, "to"), json_get_str(result,
	    "detail")) == NULL || id == NULL || fault_value("no-events"))
		return OMS_OK;		/* no event */
	if (events_order(d->w, id, events_fault(d), &order) != OMS_OK)
		return OMS_EUNAVAIL;
	command_time_now(now);
	rc = event_build(result, order, now, &ev);
	json_object_put(order);
	if (rc == OMS_OK)
		json_object_object_add(result, "event", ev);
	else
		log_warnx("no event for %s: the result or the order is "
		    "incomplete", json_get_str(result, "commandId"));
	return OMS_OK;
}

enum oms_err
worker_event_publish(struct worker *w, struct json_object *result,
    const char *correlation_id, void *cookie)
{
	struct json_object *ev = json_get_obj(result, "event");
	struct mq_message msg;
	enum oms_err rc;

	if (ev == NULL)
		return OMS_OK;
	memset(&msg, 0, sizeof(msg));
	msg.exchange = OMS_MQ_EVENTS_EXCHANGE;
	msg.routing_key = json_get_str(ev, "type");
	msg.message_id = json_get_str(ev, "id");
	msg.correlation_id = correlation_id;
	msg.app_id = "oms-worker";
	msg.body = json_dump(ev, &msg.len);
	if ((rc = mq_publish_async(w->publisher, &msg, cookie)) == OMS_OK)
		log_info("published event %s %s", msg.routing_key,
		    msg.message_id);
	return rc;
}
