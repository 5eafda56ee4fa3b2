/*
 * delivery.c — the life of one delivery, as an explicit state machine
 * (the states are listed in worker.h), many at once in one process.
 *
 * A delivery is decoded on arrival (a malformed one is dead-lettered at
 * once) and queued in arrival order. It starts when a slot is free (at
 * most OMS_WORKER_INFLIGHT started) and no earlier delivery of the same
 * order is still unapplied: two commands of one order are never worked on
 * at once in a process, and they apply in the order they came (across
 * processes the Function stays the authority). Started, it plans (reads
 * the order), calls its provider when the step needs one, applies (FCALL),
 * publishes its follow-ups and, once the broker confirmed them all, is
 * acked — each delivery with its own ack, since they finish out of order
 * (a `multiple` ack would wait for the slowest call in flight).
 *
 * Every transient failure — a provider's 5xx/408/409/429, a timeout, a
 * refused connection, Redis or the broker down — puts the delivery in
 * BACKOFF: a timer (exponential, jittered, at least the provider's
 * Retry-After) resumes it later, while the others go on. The delivery stays
 * unacked the whole time, so a provider outage never consumes the queue's
 * delivery limit; only a stop request ends the retries (the delivery is
 * requeued). A provider call retried re-plans first: the order may have
 * moved on (e.g. been canceled) meanwhile.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backoff.h"
#include "clock.h"
#include "coverage.h"
#include "fault.h"
#include "log.h"
#include "policy.h"
#include "prefork.h"
#include "worker.h"
#include "xmalloc.h"

enum delivery_settle { SETTLE_ACK, SETTLE_DEAD, SETTLE_REQUEUE };

static void	delivery_plan(struct delivery *d);
static void	delivery_apply(struct delivery *d);
static void	delivery_event(struct delivery *d);
static void	delivery_publish(struct delivery *d);

/* FNV-1a, to compare order ids cheaply. */
static unsigned
delivery_hash(const char *s)
{
	unsigned h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* True if the body (bytes: NULs may be anywhere) contains needle. */
static int
delivery_body_has(const struct mq_delivery *m, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; n <= m->len && i <= m->len - n; i++)
		if (memcmp(m->body + i, needle, n) == 0)
			return 1;
	return 0;
}

static void
delivery_fields(const struct delivery *d)
{
	log_set_field(LOG_FIELD_REQUEST_ID, d->msg.correlation_id);
	log_set_field(LOG_FIELD_COMMAND_ID, d->cmd != NULL ?
	    d->cmd->command_id : d->msg.message_id);
	if (d->cmd != NULL)
		log_set_field(LOG_FIELD_ORDER_ID, d->cmd->order_id);
}

/* Unlinks and frees d. */
static void
delivery_finish(struct delivery *d)
{
	struct worker *w = d->w;

	loop_timer_cancel(&w->loop, &d->timer);
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		w->head = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	else
		w->tail = d->prev;
	w->ndeliveries--;
	if (d->started)
		w->nstarted--;
	w->dirty = 1;
	json_object_put(d->data);
	json_object_put(d->result);
	free(d->out);
	free(d->cmd);
	mq_delivery_clear(&d->msg);
	free(d);
}

/* Settles d with the broker (when the connection it came on is still the
 * consumer's: otherwise the broker has requeued it already). */
static void
delivery_settle_only(struct delivery *d, enum delivery_settle how)
{
	struct worker *w = d->w;
	enum oms_err rc;

	if (d->generation != mq_generation(w->consumer)) {
		log_debug("its connection is gone: the broker redelivers it");
		return;
	}
	rc = how == SETTLE_ACK ? mq_ack(w->consumer, d->msg.tag) :
	    mq_reject(w->consumer, d->msg.tag, how == SETTLE_REQUEUE);
	if (rc != OMS_OK)
		log_warnx("%s failed (%s): the command will be redelivered%s",
		    how == SETTLE_ACK ? "ack" : "reject",
		    mq_errstr(w->consumer), d->applied ?
		    " and re-applied as a no-op" : "");
}

static void
delivery_settle(struct delivery *d, enum delivery_settle how)
{
	d->state = DELIVERY_DONE;
	delivery_settle_only(d, how);
	delivery_finish(d);
}

static void
delivery_timer(void *arg)
{
	struct delivery *d = arg;

	delivery_fields(d);
	d->state = d->resume;
	switch (d->state) {
	case DELIVERY_RECEIVED:
		delivery_plan(d);
		break;
	case DELIVERY_APPLYING:
		delivery_apply(d);
		break;
	case DELIVERY_EVENT:
		delivery_event(d);
		break;
	case DELIVERY_PUBLISHING:
		delivery_publish(d);
		break;
	default:
		break;
	}
	log_clear_fields();
}

/* A transient failure: resume at state resume after a backoff delay (at
 * least retry_after_s when >= 0); on a stop request, requeue instead. */
static void
delivery_backoff(struct delivery *d, enum delivery_state resume,
    int retry_after_s, const char *why)
{
	struct worker *w = d->w;
	int ms;

	if (prefork_stopping()) {
		delivery_settle(d, SETTLE_REQUEUE);
		return;
	}
	ms = backoff_delay_ms(d->attempt, BACKOFF_BASE_MS, BACKOFF_MAX_MS,
	    retry_after_s, backoff_random());
	/* the first failure and then every tenth: an outage of minutes
	 * must not flood the log */
	if (d->attempt % 10 == 0)
		log_warnx("%s %s: %s; retry %d in %d ms",
		    command_type_name(d->cmd->type), d->cmd->command_id, why,
		    d->attempt + 1, ms);
	else
		log_debug("%s: retry %d in %d ms", why, d->attempt + 1, ms);
	d->attempt++;
	d->state = DELIVERY_BACKOFF;
	d->resume = resume;
	loop_timer_set(&w->loop, &d->timer, ms, delivery_timer, d);
}

/* A retry without bound (a provider's transient answer, the event read,
 * the broker): BACKOFF, unless d came back to the queue so often that a
 * fresh copy replaces it first (renew.c). */
static void
delivery_wait(struct delivery *d, enum delivery_state resume,
    int retry_after_s, const char *why)
{
	if (!prefork_stopping() && renew_due(d) && renew_start(d) == OMS_OK) {
		d->state = DELIVERY_RENEWING;
		d->renew_resume = resume;
		return;
	}
	delivery_backoff(d, resume, retry_after_s, why);
}

/*
 * A Redis failure of d (rc of plan or apply): a permanent one (policy.c)
 * dead-letters it, a missing library is loaded again, anything else is
 * retried — at most POLICY_RETRY_MAX times while Redis answers (then it is
 * requeued, and the queue's delivery limit dead-letters a message that
 * never applies), without bound while Redis is down.
 */
static void
delivery_redis_failed(struct delivery *d, enum oms_err rc,
    enum delivery_state resume)
{
	struct worker *w = d->w;

	if (rc == OMS_EINVAL) {
		log_warnx("dead-lettering %s: a permanent error (see above); "
		    "it can never apply", command_type_name(d->cmd->type));
		flow_count(w, "oms:metrics:worker", "dead_lettered_invalid");
		delivery_settle(d, SETTLE_DEAD);
		return;
	}
	if (rc == OMS_ENOTFOUND)	/* library missing: reload */
		w->functions_loaded = 0;
	if (policy_retry_next(&d->retry, store_ping(w->store) == OMS_OK) < 0) {
		log_warnx("requeueing %s after %d failed tries while Redis is "
		    "up; the queue's delivery limit dead-letters it if it "
		    "keeps failing", command_type_name(d->cmd->type),
		    d->retry.attempts);
		flow_count(w, "oms:metrics:worker", "requeued_retries");
		delivery_settle(d, SETTLE_REQUEUE);
		return;
	}
	delivery_backoff(d, resume, -1, rc == OMS_EUNAVAIL ?
	    store_errstr(w->store) : "Redis: the Function library is missing");
}

/* The provider_done_fn of every call. */
static void
delivery_called(void *arg, struct provider_result *r)
{
	struct delivery *d = arg;

	if (d->abandoned) {		/* requeued on a stop meanwhile */
		json_object_put(r->data);
		delivery_finish(d);
		return;
	}
	delivery_fields(d);
	if (r->outcome == PROVIDER_TRANSIENT) {
		flow_count(d->w, "oms:metrics:worker", "provider_retries");
		delivery_wait(d, DELIVERY_RECEIVED, r->retry_after_s,
		    r->detail);
		log_clear_fields();
		return;
	}
	if (r->outcome == PROVIDER_REFUSED)
		log_warnx("the provider refused %s: %s",
		    command_type_name(d->cmd->type), r->detail);
	/* Tests: die between the provider's answer and the apply. */
	if (fault_value("exit-after-provider") && !d->msg.redelivered) {
		log_warnx("fault injection: exiting after the provider answered");
		coverage_exit(3);
	}
	d->data = r->data;
	r->data = NULL;
	d->state = DELIVERY_APPLYING;
	delivery_apply(d);
	log_clear_fields();
}

/* RECEIVED (started): reads what the step needs, then calls the provider
 * or applies at once. */
static void
delivery_plan(struct delivery *d)
{
	struct worker *w = d->w;
	struct json_object *order = NULL, *data = NULL;
	struct provider_call c;
	enum provider_op op = PROVIDER_CHARGE;
	enum oms_err rc;

	if (!w->functions_loaded && (rc = worker_load_functions(w)) != OMS_OK) {
		/* a library Redis refuses to load is permanent */
		delivery_redis_failed(d, rc == OMS_EINTERNAL ? OMS_EINVAL :
		    OMS_EUNAVAIL, DELIVERY_RECEIVED);
		return;
	}
	if ((rc = flow_plan(w, d->cmd, &data, &order, &op)) != OMS_OK) {
		delivery_redis_failed(d, rc, DELIVERY_RECEIVED);
		return;
	}
	if (data != NULL) {
		d->data = data;
		d->state = DELIVERY_APPLYING;
		delivery_apply(d);
		return;
	}
	memset(&c, 0, sizeof(c));
	c.op = op;
	c.key = d->cmd->command_id;
	c.request_id = d->msg.correlation_id;
	c.order_id = d->cmd->order_id;
	c.order = order;
	d->state = DELIVERY_CALLING;
	if (provider_start(w->provider, &c, delivery_called, d) != OMS_OK)
		delivery_wait(d, DELIVERY_RECEIVED, -1, "the provider call "
		    "could not start");
	json_object_put(order);
}

static void
delivery_apply(struct delivery *d)
{
	struct worker *w = d->w;
	const char *customer_id = d->cmd->type == OMS_CMD_CREATE ?
	    d->cmd->data.create.customer_id : NULL;
	enum oms_err rc;

	rc = flow_apply(w, d->cmd, d->data, customer_id, &d->result);
	/* With replicas (OMS_REDIS_MIN_REPLICAS), the write must reach them
	 * before anyone hears of it: too few, and the delivery is not acked;
	 * its redelivery re-applies as a no-op and waits again. */
	if (rc == OMS_OK && (rc = store_wait_replicas(w->store,
	    w->cfg->redis_min_replicas, w->cfg->redis_wait_ms)) != OMS_OK) {
		json_object_put(d->result);
		d->result = NULL;
	}
	if (rc != OMS_OK) {
		delivery_redis_failed(d, rc, DELIVERY_APPLYING);
		return;
	}
	d->applied = 1;
	d->attempt = 0;
	w->dirty = 1;			/* the order's next command may start */
	json_object_put(d->data);
	d->data = NULL;
	flow_outcome(w, d->cmd, d->result);
	/* Tests: die between the Redis write and the ack, once per message. */
	if (fault_value("exit-after-apply") && !d->msg.redelivered) {
		log_warnx("fault injection: exiting after apply");
		coverage_exit(3);
	}
	d->state = DELIVERY_EVENT;
	delivery_event(d);
}

/* EVENT: the order event rides with the follow-ups (worker/events.c). A
 * failed read is retried from BACKOFF without bound, as a broker outage
 * is: the command is applied, and a requeue would only read again (and
 * spend the queue's delivery limit). */
static void
delivery_event(struct delivery *d)
{
	if (worker_event_attach(d) != OMS_OK) {
		delivery_wait(d, DELIVERY_EVENT, -1, "Redis: the read of "
		    "the order for its event failed");
		return;
	}
	d->state = DELIVERY_PUBLISHING;
	delivery_publish(d);
}

static void
delivery_publish(struct delivery *d)
{
	int failed;

	d->unconfirmed = flow_follow_ups(d, &failed);
	d->publish_failed = failed;
	if (d->unconfirmed > 0)
		d->state = DELIVERY_CONFIRMING;
	else if (failed)
		delivery_wait(d, DELIVERY_PUBLISHING, -1,
		    mq_errstr(d->w->publisher));
	else
		delivery_settle(d, SETTLE_ACK);
}

void
delivery_confirmed(void *arg, void *cookie, int ok)
{
	struct delivery_out *out = cookie;
	struct delivery *d = out->d;

	(void)arg;
	if (out == &d->renew) {
		delivery_fields(d);
		if (ok == MQ_CONFIRMED) {
			flow_count(d->w, "oms:metrics:worker", "renewed");
			delivery_settle(d, SETTLE_ACK);
		} else
			delivery_backoff(d, d->renew_resume, -1, "its fresh "
			    "copy was not confirmed");
		log_clear_fields();
		return;
	}
	if (ok == MQ_CONFIRMED)
		out->confirmed = 1;
	else
		d->publish_failed = 1;
	if (--d->unconfirmed > 0)
		return;
	delivery_fields(d);
	if (d->publish_failed)
		delivery_wait(d, DELIVERY_PUBLISHING, -1, "follow-ups not "
		    "confirmed; publishing them again");
	else
		delivery_settle(d, SETTLE_ACK);
	log_clear_fields();
}

void
delivery_receive(struct worker *w, struct mq_delivery *msg)
{
	struct delivery *d = xcalloc(1, sizeof(*d));
	char err[256];

	d->w = w;
	d->msg = *msg;
	memset(msg, 0, sizeof(*msg));
	d->generation = mq_generation(w->consumer);
	d->received_ms = clock_ms();
	/* Not zeroed whole (150 KB): command_decode() sets what the type
	 * uses; the members before data are cleared here because the log
	 * fields read the ids before the decode (and after a failed one). */
	d->cmd = xmalloc(sizeof(*d->cmd));
	memset(d->cmd, 0, offsetof(struct oms_command, data));
	delivery_fields(d);
	if (d->msg.redelivered)
		flow_count(w, "oms:metrics:worker", "redelivered");
	if (command_decode(d->msg.body, d->msg.len, d->cmd, err,
	    sizeof(err)) != OMS_OK) {
		log_warnx("dead-lettering a malformed %s message: %s",
		    d->msg.routing_key, err);
		flow_count(w, "oms:metrics:worker", "dead_lettered_malformed");
		delivery_settle_only(d, SETTLE_DEAD);
		free(d->cmd);
		mq_delivery_clear(&d->msg);
		free(d);
		log_clear_fields();
		return;
	}
	delivery_fields(d);
	/* A system step only from the worker's own AMQP user, as the broker
	 * validated the message's user_id (issue 14). */
	if (!policy_publisher_ok(d->cmd->type, d->cmd->role, d->msg.user_id,
	    mq_user(w->publisher))) {
		log_warnx("dead-lettering %s (actor %s) published by \"%s\": a "
		    "system step is taken from %s only",
		    command_type_name(d->cmd->type),
		    command_role_name(d->cmd->role), d->msg.user_id,
		    mq_user(w->publisher));
		flow_count(w, "oms:metrics:worker", "dead_lettered_publisher");
		delivery_settle_only(d, SETTLE_DEAD);
		free(d->cmd);
		mq_delivery_clear(&d->msg);
		free(d);
		log_clear_fields();
		return;
	}
	/* Tests: a poison message, which kills every worker that takes it. */
	if (fault_value("exit-on-poison") &&
	    delivery_body_has(&d->msg, "\"poison\"")) {
		log_warnx("fault injection: exiting on a poison message");
		coverage_exit(4);
	}
	log_clear_fields();
	d->order_hash = delivery_hash(d->cmd->order_id);
	d->state = DELIVERY_RECEIVED;
	d->prev = w->tail;
	if (w->tail != NULL)
		w->tail->next = d;
	else
		w->head = d;
	w->tail = d;
	w->ndeliveries++;
	w->dirty = 1;
}

/* Whether an earlier delivery of d's order is not applied yet. */
static int
delivery_blocked(const struct delivery *d)
{
	const struct delivery *e;

	for (e = d->prev; e != NULL; e = e->prev)
		if (e->order_hash == d->order_hash && !e->applied &&
		    strcmp(e->cmd->order_id, d->cmd->order_id) == 0)
			return 1;
	return 0;
}

void
delivery_start_ready(struct worker *w)
{
	struct delivery *d, *next;

	w->dirty = 0;
	for (d = w->head; d != NULL && w->nstarted < w->inflight; d = next) {
		next = d->next;		/* only d itself may be freed */
		if (d->started || d->state != DELIVERY_RECEIVED ||
		    delivery_blocked(d))
			continue;
		d->started = 1;
		w->nstarted++;
		if (w->nstarted > 1)
			log_debug("%zu deliveries in flight", w->nstarted);
		delivery_fields(d);
		delivery_plan(d);
		log_clear_fields();
	}
}

void
delivery_stop(struct worker *w)
{
	struct delivery *d, *next;

	for (d = w->head; d != NULL; d = next) {
		next = d->next;
		if (d->abandoned)
			continue;
		delivery_fields(d);
		if (d->state == DELIVERY_RECEIVED || d->state ==
		    DELIVERY_BACKOFF)
			delivery_settle(d, SETTLE_REQUEUE);
		else if (d->state == DELIVERY_CALLING) {
			/* the call's completion frees it */
			delivery_settle_only(d, SETTLE_REQUEUE);
			d->abandoned = 1;
		}
		log_clear_fields();
	}
}

void
delivery_free_all(struct worker *w)
{
	while (w->head != NULL)
		delivery_finish(w->head);
}
