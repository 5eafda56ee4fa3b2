/*
 * handlers.c — health and readiness.
 *
 * /healthz says the process answers (liveness: restart me if not).
 * /readyz says this child can do its work now: Redis answers PING and
 * RabbitMQ accepts a connection on which the command exchange exists. Down
 * services are named in the problem document, and Retry-After tells load
 * balancers when to ask again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confirm.h"
#include "handlers.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "waiters.h"

void
handle_healthz(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	struct json_object *o = json_object_new_object();	/* owned */

	(void)app;
	(void)m;
	json_add_str(o, "status", "ok");
	http_respond_json(req, 200, NULL, o);
	json_object_put(o);
}

/* In the confirm window's owner thread (it alone uses the client). */
static enum oms_err
handlers_mq_check(struct mq *mq, void *arg)
{
	(void)arg;
	return mq_check(mq);
}

/* The arguments and results of mq_queue_info, for confirm_call. */
struct handlers_queue {
	const char	*queue;
	uint32_t	 messages, consumers;
};

static enum oms_err
handlers_mq_queue_info(struct mq *mq, void *arg)
{
	struct handlers_queue *q = arg;

	return mq_queue_info(mq, q->queue, &q->messages, &q->consumers);
}

void
handle_readyz(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	char why[128];
	int redis_ok = store_ping(app->store) == OMS_OK;
	int amqp_ok = confirm_call(app->confirm, handlers_mq_check, NULL, why,
	    sizeof(why)) == OMS_OK;
	struct json_object *o, *checks;
	char detail[128];

	(void)m;
	if (redis_ok && amqp_ok) {
		o = json_object_new_object();			/* owned */
		checks = json_object_new_object();	/* owned, then put into o */
		json_add_str(checks, "redis", "ok");
		json_add_str(checks, "rabbitmq", "ok");
		json_add_str(o, "status", "ok");
		json_object_object_add(o, "checks", checks);
		http_respond_json(req, 200, NULL, o);
		json_object_put(o);
		return;
	}

	if (!redis_ok && !amqp_ok)
		snprintf(detail, sizeof(detail),
		    "Redis and RabbitMQ are unreachable");
	else
		snprintf(detail, sizeof(detail), "%s is unreachable",
		    !redis_ok ? "Redis" : "RabbitMQ");
	checks = json_object_new_array();		/* owned, then taken */
	if (!redis_ok) {
		o = json_object_new_object();
		json_add_str(o, "service", "redis");
		json_add_str(o, "detail", store_errstr(app->store));
		json_object_array_add(checks, o);
	}
	if (!amqp_ok) {
		o = json_object_new_object();
		json_add_str(o, "service", "rabbitmq");
		json_add_str(o, "detail", why);
		json_object_array_add(checks, o);
	}
	http_problem_ext(req, 503, "unavailable", "Service Unavailable", detail,
	    "Retry-After: 5\r\n", "down", checks);
}

/* Appends one counter family read from a Redis hash whose fields are
 * "a:b" label pairs (oms-worker writes them, see docs/operations.md). */
static void
metrics_from_hash(struct app *app, char *buf, size_t size, size_t *len,
    const char *key, const char *name, const char *help, const char *l1,
    const char *l2)
{
	struct store_reply *r;
	int n;

	n = snprintf(buf + *len, size - *len, "# HELP %s %s\n# TYPE %s "
	    "counter\n", name, help, name);
	if (n > 0 && (size_t)n < size - *len)
		*len += (size_t)n;
	if (store_cmd_strict(app->store, &r, "HGETALL %s", key) != OMS_OK)
		return;
	for (size_t i = 0; r->type == STORE_ARRAY && i + 1 < r->nelem;
	    i += 2) {
		const char *f = r->elem[i]->str, *colon = strchr(f, ':');

		if (colon == NULL && l2 != NULL)
			continue;
		if (l2 != NULL)
			n = snprintf(buf + *len, size - *len, "%s{%s=\"%.*s\","
			    "%s=\"%s\"} %s\n", name, l1, (int)(colon - f), f,
			    l2, colon + 1, r->elem[i + 1]->str);
		else
			n = snprintf(buf + *len, size - *len, "%s{%s=\"%s\"} "
			    "%s\n", name, l1, f, r->elem[i + 1]->str);
		if (n > 0 && (size_t)n < size - *len)
			*len += (size_t)n;
	}
	store_reply_free(r);
}

/*
 * GET /metrics: the Prometheus text format (0.0.4). The request and
 * publish counters of every oms-fcgi child (shared memory), the worker's
 * command outcomes (kept in Redis by oms-worker) and the queue depths
 * (passive declares). nginx serves it to loopback clients only.
 */
void
handle_metrics(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	static const char *const queues[] = { OMS_MQ_QUEUE, OMS_MQ_DEAD_QUEUE };
	size_t size = 64 * 1024, len;
	char *buf = malloc(size);
	struct handlers_queue q;
	int n;

	(void)m;
	if (buf == NULL) {
		http_problem(req, 503, "unavailable", "Service Unavailable",
		    "Out of memory.", "Retry-After: 1\r\n", NULL);
		return;
	}
	len = metrics_render(buf, size);
	if (len >= size)
		len = strlen(buf);
	metrics_from_hash(app, buf, size, &len, "oms:metrics:commands",
	    "oms_worker_commands_total", "Commands the worker applied, by type "
	    "and outcome (applied, refused, duplicate).", "type", "outcome");
	metrics_from_hash(app, buf, size, &len, "oms:metrics:worker",
	    "oms_worker_events_total", "Worker events: dead-lettered "
	    "messages, redeliveries.", "event", NULL);
	n = snprintf(buf + len, size - len, "# HELP oms_fcgi_waiting "
	    "Requests waiting on Prefer: wait now (of oms_fcgi_waiting_max)."
	    "\n# TYPE oms_fcgi_waiting gauge\noms_fcgi_waiting %d\n"
	    "# HELP oms_fcgi_waiting_max FCGI_MAX_WAITING.\n"
	    "# TYPE oms_fcgi_waiting_max gauge\noms_fcgi_waiting_max %d\n",
	    waiters_held(), waiters_max());
	if (n > 0 && (size_t)n < size - len)
		len += (size_t)n;
	metrics_from_hash(app, buf, size, &len, "oms:metrics:webhooks",
	    "oms_webhook_deliveries_total", "Webhook delivery attempts by "
	    "outcome (delivered, retried, failed), and subscriptions disabled.",
	    "outcome", NULL);
	webhooks_metrics(app, buf, size, &len);
	n = snprintf(buf + len, size - len, "# HELP oms_queue_messages "
	    "Messages ready in a queue.\n# TYPE oms_queue_messages gauge\n"
	    "# HELP oms_queue_consumers Consumers of a queue.\n"
	    "# TYPE oms_queue_consumers gauge\n");
	if (n > 0 && (size_t)n < size - len)
		len += (size_t)n;
	for (size_t i = 0; i < sizeof(queues) / sizeof(queues[0]); i++) {
		q.queue = queues[i];
		if (confirm_call(app->confirm, handlers_mq_queue_info, &q,
		    NULL, 0) != OMS_OK)
			continue;
		n = snprintf(buf + len, size - len, "oms_queue_messages{queue="
		    "\"%s\"} %u\noms_queue_consumers{queue=\"%s\"} %u\n",
		    queues[i], q.messages, queues[i], q.consumers);
		if (n > 0 && (size_t)n < size - len)
			len += (size_t)n;
	}
	http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8",
	    NULL, buf, len);
	free(buf);
}
