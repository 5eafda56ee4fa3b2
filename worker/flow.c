/*
 * flow.c — one command, from delivery to ack (DESIGN §5–§8).
 *
 *   decode and validate (a malformed command is rejected without requeue:
 *   the quorum queue dead-letters it to order-worker-queue.dead)
 *   -> call the provider when the step needs one and the order is in the
 *      state where it applies (payment: created; ship: paymentSuccess;
 *      refund: canceled, paid, not refunded)
 *   -> apply atomically in Redis: one FCALL oms_apply (redis/oms.lua),
 *      which dedupes by commandId, checks the transition, writes the
 *      order, its events, the indexes and the reply, and returns the
 *      follow-up commands
 *   -> build the order event (worker/events.c) and publish it to oms.events
 *      with the follow-ups (worker_apply), and once the broker confirmed
 *      them, ack (worker_settle). With a prefetch above 1 a process takes a
 *      batch of deliveries: it applies them one after the other in queue
 *      order, publishing their follow-ups as it goes, then waits once for
 *      all the confirms and acks the batch with one `multiple` ack.
 * A kill at any instruction loses nothing: until the ack the broker
 * redelivers, and re-applying a commandId is a no-op that returns the same
 * follow-ups (whose commandIds are derived, so they too apply once).
 * Transient failures (Redis or the broker down) are retried here with a
 * backoff, never dropped; on a stop request the delivery is requeued.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "coverage.h"
#include "fault.h"
#include "json.h"
#include "log.h"
#include "prefork.h"
#include "worker.h"

#define EVENTS_CAP		100000
#define REPLY_TTL_S		60
#define RETRY_MIN_MS		100
#define RETRY_MAX_MS		2000

static void
flow_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* The next backoff delay after *ms. */
static int
flow_backoff(int *ms)
{
	*ms = *ms == 0 ? RETRY_MIN_MS : *ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS :
	    *ms * 2;
	return *ms;
}

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

/* Adds one to field of the metrics hash key (read by oms-fcgi's
 * /metrics). Best effort: a count lost to a Redis failure is only a
 * metric. */
static void
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
		log_warnx("oms_get: %s", r->str);
		store_reply_free(r);
		return OMS_EUNAVAIL;
	}
	store_reply_free(r);
	return OMS_OK;
}

/*
 * The data member the Function gets: the command's own data, or for the
 * provider steps the provider's answer. *data is an owned object. A step
 * whose precondition does not hold calls no provider and passes
 * {"skipped":true}: the Function records the refusal (or, for a repeat of a
 * command already applied, answers "duplicate").
 */
static enum oms_err
flow_data(struct worker *w, const struct oms_command *cmd,
    struct json_object **data)
{
	struct json_object *order = NULL;
	const char *status = NULL, *s;
	char a[OMS_ID_MAX + 1], b[OMS_ID_MAX + 1];
	enum oms_err rc = OMS_OK;
	int declined;

	*data = NULL;
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
		break;
	default:
		*data = json_object_new_object();
		return OMS_OK;
	}

	if ((rc = flow_get_order(w, cmd->order_id, &order)) != OMS_OK)
		return rc;
	status = json_get_str(order, "status");
	*data = json_object_new_object();
	if (cmd->type == OMS_CMD_PROCESS_PAYMENT && status != NULL &&
	    strcmp(status, "created") == 0 &&
	    (s = json_get_str(order, "paymentMethodId")) != NULL) {
		rc = w->payment.charge(&w->payment, cmd->command_id, s, a,
		    &declined);
		if (rc == OMS_OK) {
			json_add_str(*data, "result", declined ? "declined" :
			    "success");
			if (!declined)
				json_add_str(*data, "transactionId", a);
		}
	} else if (cmd->type == OMS_CMD_SHIP && status != NULL &&
	    strcmp(status, "paymentSuccess") == 0) {
		rc = w->shipping.ship(&w->shipping, cmd->command_id,
		    cmd->order_id, a, b);
		if (rc == OMS_OK) {
			json_add_str(*data, "shipCompanyId", a);
			json_add_str(*data, "trackingNumber", b);
		}
	} else if (cmd->type == OMS_CMD_REFUND && status != NULL &&
	    strcmp(status, "canceled") == 0 &&
	    (s = json_get_str(order, "paymentTransactionId")) != NULL &&
	    *s != '\0' && json_get_str(order, "refundTransactionId") == NULL) {
		rc = w->payment.refund(&w->payment, cmd->command_id, s, a);
		if (rc == OMS_OK)
			json_add_str(*data, "refundTransactionId", a);
	} else
		json_add_bool(*data, "skipped", 1);
	json_object_put(order);
	if (rc != OMS_OK) {
		json_object_put(*data);
		*data = NULL;
	}
	return rc;
}

/*
 * Applies cmd: one FCALL oms_apply. OMS_OK with *result (owned) set;
 * OMS_EINVAL when the Function refused the arguments (dead-letter);
 * OMS_EUNAVAIL for a transient failure (retry).
 */
static enum oms_err
flow_apply(struct worker *w, const struct oms_command *cmd,
    struct json_object *data, const char *customer_id,
    struct json_object **result)
{
	struct json_object *actor = json_object_new_object();
	struct store_reply *r = NULL;
	char k[8][160], at[OMS_TIME_LEN + 1], created_ms[24], cap[16], ttl[16];
	const char *argv[3 + 8 + 10], *adump, *ddump;
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
	command_time_now(at);
	snprintf(created_ms, sizeof(created_ms), "%lld",
	    cmd->type == OMS_CMD_CREATE ? flow_time_ms(cmd->issued_at) : 0);
	snprintf(cap, sizeof(cap), "%d", EVENTS_CAP);
	snprintf(ttl, sizeof(ttl), "%d", REPLY_TTL_S);
	adump = json_dump(actor, NULL);
	ddump = json_dump(data, NULL);

	argv[i++] = "FCALL";
	argv[i++] = "oms_apply";
	argv[i++] = "8";
	for (int j = 0; j < 8; j++)
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
		log_warnx("oms_apply: %s", r->str);
		rc = strncmp(r->str, "EINVAL", 6) == 0 ? OMS_EINVAL :
		    strstr(r->str, "not found") != NULL ||
		    strstr(r->str, "NOSCRIPT") != NULL ? OMS_ENOTFOUND :
		    OMS_EUNAVAIL;
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
 * its confirm (worker_settle waits). */
static enum oms_err
flow_publish(struct worker *w, const char *type, const char *command_id,
    const char *order_id, const char *correlation_id)
{
	struct oms_command *f = calloc(1, sizeof(*f));
	struct mq_message msg;
	char *body, err[160];
	size_t len;
	enum oms_err rc;

	if (f == NULL)
		return OMS_ENOMEM;
	if (command_type_parse(type, &f->type) == -1) {
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
	rc = mq_publish_nowait(w->publisher, &msg);
	free(body);
	return rc;
}

/* Publishes every follow-up of result (unconfirmed). A failure shows in
 * worker_settle's mq_confirm_all, which publishes them again. */
static void
flow_follow_ups(struct worker *w, struct json_object *result,
    const struct oms_command *cmd, const char *correlation_id)
{
	struct json_object *list = json_get_arr(result, "followUps");
	size_t n = list != NULL ? json_object_array_length(list) : 0;

	(void)worker_event_publish(w, result, correlation_id);	/* webhooks */
	for (size_t i = 0; i < n; i++) {
		struct json_object *f = json_object_array_get_idx(list, i);
		const char *type = json_get_str(f, "type");
		const char *id = json_get_str(f, "commandId");

		if (type == NULL || id == NULL)
			continue;
		if (flow_publish(w, type, id, cmd->order_id, correlation_id) ==
		    OMS_OK)
			log_info("published follow-up %s %s", type, id);
	}
}

void
worker_settle(struct worker *w, struct worker_pending *p, size_t n)
{
	int backoff = 0;
	size_t i;

	if (n == 0)
		return;
	while (mq_confirm_all(w->publisher) != OMS_OK) {
		if (prefork_stopping()) {
			for (i = 0; i < n; i++)
				mq_reject(w->consumer, p[i].d->tag, 1);
			goto done;
		}
		log_warnx("follow-ups of %zu command%s: %s; publishing them "
		    "again", n, n == 1 ? "" : "s", mq_errstr(w->publisher));
		flow_sleep_ms(flow_backoff(&backoff));
		for (i = 0; i < n; i++)
			flow_follow_ups(w, p[i].result, p[i].cmd,
			    p[i].d->correlation_id);
	}
	/* Deliveries of the batch settled earlier (rejected) are not
	 * affected by a multiple ack; later ones have higher tags. */
	if (mq_ack_upto(w->consumer, p[n - 1].d->tag) != OMS_OK)
		log_warnx("ack failed (%s): %zu command%s will be redelivered "
		    "and re-applied as no-ops", mq_errstr(w->consumer), n,
		    n == 1 ? "" : "s");
done:
	for (i = 0; i < n; i++) {
		json_object_put(p[i].result);
		free(p[i].cmd);
	}
	memset(p, 0, n * sizeof(*p));
}

int
worker_apply(struct worker *w, const struct mq_delivery *d,
    struct worker_pending *p)
{
	struct oms_command *cmd = calloc(1, sizeof(*cmd));
	struct json_object *data = NULL, *result = NULL;
	const char *customer_id = NULL, *outcome;
	char err[256];
	enum oms_err rc;
	int backoff = 0;

	log_set_field(LOG_FIELD_REQUEST_ID, d->correlation_id);
	log_set_field(LOG_FIELD_COMMAND_ID, d->message_id);
	if (cmd == NULL) {
		mq_reject(w->consumer, d->tag, 1);
		return 0;
	}
	if (d->redelivered)
		flow_count(w, "oms:metrics:worker", "redelivered");
	if (command_decode(d->body, d->len, cmd, err, sizeof(err)) != OMS_OK) {
		log_warnx("dead-lettering a malformed %s message: %s",
		    d->routing_key, err);
		flow_count(w, "oms:metrics:worker", "dead_lettered_malformed");
		mq_reject(w->consumer, d->tag, 0);
		free(cmd);
		return 0;
	}
	log_set_field(LOG_FIELD_COMMAND_ID, cmd->command_id);
	log_set_field(LOG_FIELD_ORDER_ID, cmd->order_id);
	/* Tests: a poison message, which kills every worker that takes it. */
	if (fault_value("exit-on-poison") &&
	    strstr(d->body, "\"poison\"") != NULL) {
		log_warnx("fault injection: exiting on a poison message");
		coverage_exit(4);
	}
	if (cmd->type == OMS_CMD_CREATE)
		customer_id = cmd->data.create.customer_id;

	for (;;) {
		if (!w->functions_loaded &&
		    worker_load_functions(w) != OMS_OK)
			rc = OMS_EUNAVAIL;
		else if ((rc = flow_data(w, cmd, &data)) == OMS_OK) {
			rc = flow_apply(w, cmd, data, customer_id, &result);
			json_object_put(data);
			data = NULL;
		}
		if (rc == OMS_OK || rc == OMS_EINVAL)
			break;
		if (rc == OMS_ENOTFOUND)	/* library missing: reload */
			w->functions_loaded = 0;
		if (prefork_stopping()) {
			mq_reject(w->consumer, d->tag, 1);
			goto done;
		}
		if (backoff == 0)
			log_warnx("Redis: %s; retrying", store_errstr(w->store));
		flow_sleep_ms(flow_backoff(&backoff));
	}
	if (rc == OMS_EINVAL) {
		log_warnx("dead-lettering %s: the Function refused its "
		    "arguments", command_type_name(cmd->type));
		flow_count(w, "oms:metrics:worker", "dead_lettered_invalid");
		mq_reject(w->consumer, d->tag, 0);
		goto done;
	}

	outcome = json_get_str(result, "outcome");
	{
		char field[64];

		snprintf(field, sizeof(field), "%s:%s",
		    command_type_name(cmd->type), outcome != NULL ? outcome :
		    "unknown");
		flow_count(w, "oms:metrics:commands", field);
	}
	log_info("%s %s: %s -> %s%s%s", command_type_name(cmd->type),
	    outcome != NULL ? outcome : "?",
	    json_get_str(result, "from") != NULL ?
	    json_get_str(result, "from") : "-",
	    json_get_str(result, "to") != NULL ?
	    json_get_str(result, "to") : "-",
	    json_get_str(result, "detail") != NULL ? ": " : "",
	    json_get_str(result, "detail") != NULL ?
	    json_get_str(result, "detail") : "");

	/* Tests: die between the Redis write and the ack, once per message. */
	if (fault_value("exit-after-apply") && !d->redelivered) {
		log_warnx("fault injection: exiting after apply");
		coverage_exit(3);
	}
	if (worker_event_attach(w, result) != OMS_OK) {	/* webhooks */
		mq_reject(w->consumer, d->tag, 1);
		goto done;
	}
	flow_follow_ups(w, result, cmd, d->correlation_id);
	p->d = d;
	p->cmd = cmd;
	p->result = result;
	return 1;
done:
	json_object_put(result);
	free(cmd);
	return 0;
}
