/*
 * flow.c — the Redis and broker parts of a command's steps (DESIGN §5–§8);
 * delivery.c runs them in order for each delivery.
 *
 *   plan: read the order (FCALL_RO oms_get) when the step needs a provider,
 *      and decide whether it calls one — only in the state where it applies
 *      (payment: created; ship: paymentSuccess and no cancel requested;
 *      refund: canceled, paid, not refunded; void: a shipment to void,
 *      not voided yet); otherwise the Function gets
 *      {"skipped":true} and records the refusal
 *   -> apply atomically in Redis: one FCALL oms_apply (redis/oms.lua),
 *      which dedupes by commandId, checks the transition, writes the
 *      order, its events, the indexes and the reply, and returns the
 *      follow-up commands
 *   -> build the order event (worker/events.c) and publish it to oms.events
 *      with the follow-ups (confirms are reported to delivery.c).
 * A kill at any instruction loses nothing: until the ack the broker
 * redelivers, and re-applying a commandId is a no-op that returns the same
 * follow-ups (whose commandIds are derived, so they too apply once).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command.h"
#include "json.h"
#include "log.h"
#include "policy.h"
#include "worker.h"
#include "xmalloc.h"

#define EVENTS_CAP		100000
#define REPLY_TTL_S		60

/* Milliseconds since the epoch of an RFC 3339 time the command decoder
 * accepted ("2026-11-25T11:00:00.123Z"). */
static long long
flow_time_ms(const char *s)
{
	struct tm tm;
	int ms = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long long)timegm(&tm) * 1000 + ms;
}

/* An error reply's meaning for this message, as an oms_err (policy.c):
 * permanent -> OMS_EINVAL (dead-letter), a missing library ->
 * OMS_ENOTFOUND (reload), transient -> OMS_EUNAVAIL (retry, bounded). */
static enum oms_err
flow_reply_err(const char *what, const char *reply)
{
	log_warnx("%s: %s", what, reply);
	switch (policy_error_class(reply)) {
	case POLICY_PERMANENT:
		return OMS_EINVAL;
	case POLICY_RELOAD:
		return OMS_ENOTFOUND;
	default:
		return OMS_EUNAVAIL;
	}
}

/* Adds one to field of the metrics hash key (read by oms-fcgi's
 * /metrics). Best effort: a count lost to a Redis failure is only a
 * metric. */
void
flow_count(struct worker *w, const char *key, const char *field)
{
	struct store_reply *r;

	if (store_cmd(w->store, &r, "HINCRBY %s %s 1", key, field) == OMS_OK)
		store_reply_free(r);
}

enum oms_err
worker_load_functions(struct worker *w)
{
	struct store_reply *r;
	enum oms_err rc;

	rc = store_cmd(w->store, &r, "FUNCTION LOAD REPLACE %b", w->functions,
	    w->functions_len);
	if (rc != OMS_OK)
		return rc;
	if (r->type == STORE_ERROR) {
		log_warnx("FUNCTION LOAD: %s", r->str);
		store_reply_free(r);
		return OMS_EINTERNAL;
	}
	store_reply_free(r);
	w->functions_loaded = 1;
	log_info("Redis Function library loaded");
	return OMS_OK;
}

/* The order as oms_get returns it (owned), NULL when there is none. */
static enum oms_err
flow_get_order(struct worker *w, const char *id, struct json_object **order)
{
	struct store_reply *r;
	char err[64];

	*order = NULL;
	if (store_cmd(w->store, &r, "FCALL_RO oms_get 1 oms:order:%s", id) !=
	    OMS_OK)
		return OMS_EUNAVAIL;
	if (r->type == STORE_STRING)
		(void)json_parse_strict(r->str, r->len, order, err,
		    sizeof(err));
	else if (r->type == STORE_ERROR) {
		enum oms_err rc = flow_reply_err("oms_get", r->str);

		store_reply_free(r);
		return rc;
	}
	store_reply_free(r);
	return OMS_OK;
}

/*
 * The data member the Function gets is the command's own data, or for the
 * provider steps the provider's answer (delivery.c makes the call). A step
 * whose precondition does not hold calls no provider and passes
 * {"skipped":true}: the Function records the refusal (or, for a repeat of a
 * command already applied, answers "duplicate").
 */
enum oms_err
flow_plan(struct worker *w, const struct oms_command *cmd,
    struct json_object **data, struct json_object **order,
    enum provider_op *op)
{
	const char *status, *s;
	enum oms_err rc;
	int call = 0;

	*data = NULL;
	*order = NULL;
	switch (cmd->type) {
	case OMS_CMD_CREATE:
		*data = order_input_to_json(&cmd->data.create);
		return OMS_OK;
	case OMS_CMD_UPDATE:
		*data = order_update_to_json(&cmd->data.update);
		return OMS_OK;
	case OMS_CMD_DELIVERED:
		*data = order_delivered_to_json(&cmd->data.delivered);
		return OMS_OK;
	case OMS_CMD_PROCESS_PAYMENT:
	case OMS_CMD_SHIP:
	case OMS_CMD_REFUND:
	case OMS_CMD_VOID:
		break;
	default:
		*data = json_object_new_object();
		return OMS_OK;
	}

	if ((rc = flow_get_order(w, cmd->order_id, order)) != OMS_OK)
		return rc;
	status = json_get_str(*order, "status");
	if (status == NULL)
		;
	else if (cmd->type == OMS_CMD_PROCESS_PAYMENT &&
	    strcmp(status, "created") == 0 &&
	    json_get_str(*order, "paymentMethodId") != NULL) {
		*op = PROVIDER_CHARGE;
		call = 1;
	} else if (cmd->type == OMS_CMD_SHIP &&
	    strcmp(status, "paymentSuccess") == 0 &&
	    json_get_str(*order, "cancelRequestedAt") == NULL) {
		*op = PROVIDER_SHIP;
		call = 1;
	} else if (cmd->type == OMS_CMD_REFUND &&
	    strcmp(status, "canceled") == 0 &&
	    (s = json_get_str(*order, "paymentTransactionId")) != NULL &&
	    *s != '\0' && json_get_str(*order, "refundTransactionId") == NULL) {
		*op = PROVIDER_REFUND;
		call = 1;
	} else if (cmd->type == OMS_CMD_VOID &&
	    (s = json_get_str(*order, "voidShipmentId")) != NULL && *s != '\0' &&
	    json_get_str(*order, "shipmentVoidedAt") == NULL) {
		/* a shipment booked for an order canceled meanwhile (cancel
		 * wins exactly, docs/flow.md): void it, once */
		*op = PROVIDER_VOID;
		call = 1;
	}
	if (call)
		return OMS_OK;
	json_object_put(*order);
	*order = NULL;
	*data = json_object_new_object();
	json_add_bool(*data, "skipped", 1);
	return OMS_OK;
}

/* Applies cmd: one FCALL oms_apply (see worker.h). */
enum oms_err
flow_apply(struct worker *w, const struct oms_command *cmd,
    struct json_object *data, const char *customer_id,
    struct json_object **result)
{
	struct json_object *actor = json_object_new_object();
	struct store_reply *r = NULL;
	char k[10][160], at[OMS_TIME_LEN + 1], created_ms[24], cap[16], ttl[16];
	const char *argv[3 + 10 + 10], *adump, *ddump;
	enum oms_err rc;
	char err[64];
	int i = 0;

	*result = NULL;
	json_add_str(actor, "role", command_role_name(cmd->role));
	if (cmd->customer_id[0] != '\0')
		json_add_str(actor, "customerId", cmd->customer_id);
	snprintf(k[0], sizeof(k[0]), "oms:order:%s", cmd->order_id);
	snprintf(k[1], sizeof(k[1]), "oms:order:%s:events", cmd->order_id);
	snprintf(k[2], sizeof(k[2]), "oms:order:%s:applied", cmd->order_id);
	snprintf(k[3], sizeof(k[3]), "oms:pending:%s", cmd->order_id);
	snprintf(k[4], sizeof(k[4]), "oms:orders");
	snprintf(k[5], sizeof(k[5]), "oms:customer:%s:orders",
	    customer_id != NULL ? customer_id : "-");
	snprintf(k[6], sizeof(k[6]), "oms:events");
	snprintf(k[7], sizeof(k[7]), "oms:reply:%s", cmd->command_id);
	snprintf(k[8], sizeof(k[8]), "oms:seq:order");
	snprintf(k[9], sizeof(k[9]), "oms:ordernumber");
	command_time_now(at);
	snprintf(created_ms, sizeof(created_ms), "%lld",
	    cmd->type == OMS_CMD_CREATE ? flow_time_ms(cmd->issued_at) : 0);
	snprintf(cap, sizeof(cap), "%d", EVENTS_CAP);
	snprintf(ttl, sizeof(ttl), "%d", REPLY_TTL_S);
	adump = json_dump(actor, NULL);
	ddump = json_dump(data, NULL);

	argv[i++] = "FCALL";
	argv[i++] = "oms_apply";
	argv[i++] = "10";
	for (int j = 0; j < 10; j++)
		argv[i++] = k[j];
	argv[i++] = command_type_name(cmd->type);
	argv[i++] = cmd->command_id;
	argv[i++] = cmd->order_id;
	argv[i++] = at;
	argv[i++] = adump;
	argv[i++] = ddump;
	argv[i++] = created_ms;
	argv[i++] = cmd->type == OMS_CMD_CREATE ? cmd->issued_at : "";
	argv[i++] = cap;
	argv[i++] = ttl;

	{
		size_t lens[sizeof(argv) / sizeof(argv[0])];

		for (int j = 0; j < i; j++)
			lens[j] = strlen(argv[j]);
		rc = store_cmdv(w->store, &r, i, argv, lens);
	}
	json_object_put(actor);
	if (rc != OMS_OK)
		return OMS_EUNAVAIL;
	if (r->type == STORE_ERROR) {
		rc = flow_reply_err("oms_apply", r->str);
		store_reply_free(r);
		return rc;
	}
	if (r->type != STORE_STRING || json_parse_strict(r->str, r->len,
	    result, err, sizeof(err)) != OMS_OK) {
		log_warnx("oms_apply: an unreadable result");
		store_reply_free(r);
		return OMS_EUNAVAIL;
	}
	store_reply_free(r);
	return OMS_OK;
}

/* Publishes one follow-up command (actor: system) without waiting for
 * its confirm (reported to delivery_confirmed with cookie). */
static enum oms_err
flow_publish(struct worker *w, const char *type, const char *command_id,
    const char *order_id, const char *correlation_id, void *cookie)
{
	struct oms_command *f;
	struct mq_message msg;
	char *body, err[160];
	size_t len;
	enum oms_err rc;

	/* A follow-up is a system step with an empty "data": only the members
	 * before data are set, and the 150 KB struct is not zeroed. */
	if ((f = malloc(sizeof(*f))) == NULL)
		return OMS_ENOMEM;
	memset(f, 0, offsetof(struct oms_command, data));
	if (command_type_parse(type, &f->type) == -1 ||
	    f->type == OMS_CMD_CREATE || f->type == OMS_CMD_UPDATE ||
	    f->type == OMS_CMD_DELIVERED) {
		log_warnx("follow-up of type %s refused", type);
		free(f);
		return OMS_EINVAL;
	}
	snprintf(f->command_id, sizeof(f->command_id), "%s", command_id);
	snprintf(f->order_id, sizeof(f->order_id), "%s", order_id);
	command_time_now(f->issued_at);
	f->role = OMS_ROLE_SYSTEM;
	rc = command_encode(f, &body, &len, err, sizeof(err));
	free(f);
	if (rc != OMS_OK) {
		log_warnx("follow-up %s: %s", type, err);
		return OMS_EINVAL;
	}
	memset(&msg, 0, sizeof(msg));
	msg.routing_key = type;
	msg.message_id = command_id;
	msg.correlation_id = correlation_id;
	msg.app_id = "oms-worker";
	msg.body = body;
	msg.len = len;
	rc = mq_publish_async(w->publisher, &msg, cookie);
	free(body);
	return rc;
}

unsigned
flow_follow_ups(struct delivery *d, int *failed)
{
	struct worker *w = d->w;
	struct json_object *list = json_get_arr(d->result, "followUps");
	size_t n = list != NULL ? json_object_array_length(list) : 0;
	const char *correlation_id = d->msg.correlation_id;
	unsigned sent = 0;

	*failed = 0;
	if (d->out == NULL) {	/* out[0]: the event, out[1 + i]: follow-ups */
		d->nout = n + 1;
		d->out = xcalloc(d->nout, sizeof(*d->out));
		for (size_t i = 0; i < d->nout; i++)
			d->out[i].d = d;
	}
	if (json_get_obj(d->result, "event") != NULL &&	/* webhooks */
	    !d->out[0].confirmed) {
		if (worker_event_publish(w, d->result, correlation_id,
		    &d->out[0]) == OMS_OK)
			sent++;
		else
			*failed = 1;
	}
	for (size_t i = 0; i < n && i + 1 < d->nout; i++) {
		struct json_object *f = json_object_array_get_idx(list, i);
		const char *type = json_get_str(f, "type");
		const char *id = json_get_str(f, "commandId");

		if (type == NULL || id == NULL || d->out[i + 1].confirmed)
			continue;
		if (flow_publish(w, type, id, d->cmd->order_id,
		    correlation_id, &d->out[i + 1]) == OMS_OK) {
			sent++;
			log_info("published follow-up %s %s", type, id);
		} else
			*failed = 1;
	}
	return sent;
}

void
flow_outcome(struct worker *w, const struct oms_command *cmd,
    struct json_object *result)
{
	const char *outcome = json_get_str(result, "outcome");
	const char *from = json_get_str(result, "from");
	const char *to = json_get_str(result, "to");
	const char *detail = json_get_str(result, "detail");
	struct json_object *rec = NULL;
	char field[64];
	int unrecorded;

	/* a settled no-op the Function answered but did not store */
	unrecorded = json_object_object_get_ex(result, "recorded", &rec) &&
	    json_object_is_type(rec, json_type_boolean) &&
	    !json_object_get_boolean(rec);
	snprintf(field, sizeof(field), "%s:%s", command_type_name(cmd->type),
	    outcome != NULL ? outcome : "unknown");
	flow_count(w, "oms:metrics:commands", field);
	log_info("%s %s: %s -> %s%s%s%s", command_type_name(cmd->type),
	    outcome != NULL ? outcome : "?", from != NULL ? from : "-",
	    to != NULL ? to : "-", detail != NULL ? ": " : "",
	    detail != NULL ? detail : "", unrecorded ? " (not recorded)" : "");
}
