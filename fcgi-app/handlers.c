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
#include <string.h>

#include "handlers.h"
#include "json.h"
#include "log.h"

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

void
handle_readyz(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	int redis_ok = store_ping(app->store) == OMS_OK;
	int amqp_ok = mq_check(app->mq) == OMS_OK;
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
		json_add_str(o, "detail", mq_errstr(app->mq));
		json_object_array_add(checks, o);
	}
	http_problem_ext(req, 503, "unavailable", "Service Unavailable", detail,
	    "Retry-After: 5\r\n", "down", checks);
}
