/*
 * app.c — the life of one oms-fcgi child.
 *
 * After fork the child opens its own Redis and RabbitMQ clients (a
 * connection is never shared across fork; both connect lazily, so a child
 * starts even while they are down), then accepts requests on the shared
 * FastCGI socket until it has served FCGI_MAX_REQUESTS or is asked to stop.
 * A stop request lets the request in hand finish: the signal only sets
 * libfcgi's shutdown flag, which FCGX_Accept_r checks before waiting for
 * the next connection.
 *
 * app_handle checks what every request must satisfy before routing — a
 * readable Content-Length within OMS_MAX_BODY_BYTES (413 without reading
 * the body) and a JSON media type for any body (415) — then routes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "fault.h"
#include "handlers.h"
#include "log.h"
#include "metrics.h"
#include "prefork.h"
#include "router.h"

#define APP_TIMEOUT_MS	2000

static const struct route app_routes[] = {
	{ "GET",	"/healthz",	handle_healthz },
	{ "GET",	"/readyz",	handle_readyz },
	{ "GET",	"/orders",	handle_orders_list },
	{ "POST",	"/orders",	handle_order_create },
	{ "GET",	"/orders/{id}",	handle_order_get },
	{ "PATCH",	"/orders/{id}",	handle_order_update },
	{ "DELETE",	"/orders/{id}",	handle_order_delete },
	{ "GET",	"/orders/{id}/events",	  handle_order_events },
	{ "PATCH",	"/orders/{id}/cancel",	  handle_order_cancel },
	{ "PATCH",	"/orders/{id}/delivered", handle_order_delivered },
	{ "GET",	"/metrics",	handle_metrics },
	{ "POST",	"/webhooks",	handle_webhook_create },
	{ "GET",	"/webhooks",	handle_webhooks_list },
	{ "GET",	"/webhooks/{id}",	handle_webhook_get },
	{ "PATCH",	"/webhooks/{id}",	handle_webhook_update },
	{ "DELETE",	"/webhooks/{id}",	handle_webhook_delete },
	{ "POST",	"/webhooks/{id}/rotate-secret",	handle_webhook_rotate },
	{ "GET",	"/webhooks/{id}/deliveries", handle_webhook_deliveries },
	{ "POST",	"/webhooks/{id}/deliveries/{eventId}/redeliver",
			    handle_webhook_redeliver },
};
#define APP_NROUTES	(sizeof(app_routes) / sizeof(app_routes[0]))

/* "METHOD /pattern" of each route: the metrics' route label. */
static char app_labels_buf[APP_NROUTES][64];
static const char *app_labels[APP_NROUTES];

int
app_metrics_init(void)
{
	for (size_t i = 0; i < APP_NROUTES; i++) {
		snprintf(app_labels_buf[i], sizeof(app_labels_buf[i]), "%s %s",
		    app_routes[i].method, app_routes[i].pattern);
		app_labels[i] = app_labels_buf[i];
	}
	return metrics_init(app_labels, APP_NROUTES);
}

static double
app_elapsed(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

void
app_on_stop(void)
{
	FCGX_ShutdownPending();
}

/* Routes and answers; the route index (APP_NROUTES: none) goes to *route. */
static void
app_dispatch(struct app *app, struct http_req *req, size_t *route)
{
	struct route_match m;
	char headers[ROUTER_ALLOW_MAX + 16], detail[256];
	long slow_ms = fault_value("fcgi-slow-request-ms");

	if (slow_ms > 0) {	/* tests: a request in flight during a stop */
		log_info("fault injection: this request sleeps %ld ms", slow_ms);
		usleep((useconds_t)slow_ms * 1000);
	}

	if (req->content_length == -2) {
		http_problem(req, 400, "bad-request", "Bad Request",
		    "Content-Length is not a number.", NULL, NULL);
		return;
	}
	if (req->content_length > app->cfg->max_body_bytes) {
		snprintf(detail, sizeof(detail), "The body has %lld bytes; "
		    "the limit is %ld.", req->content_length,
		    app->cfg->max_body_bytes);
		http_problem(req, 413, "body-too-large", "Content Too Large",
		    detail, NULL, NULL);
		return;
	}
	if (req->content_length > 0 &&
	    !http_content_type_is_json(req->content_type)) {
		snprintf(detail, sizeof(detail), "The body must be "
		    "application/json, not %.100s.", req->content_type != NULL ?
		    req->content_type : "a body without Content-Type");
		http_problem(req, 415, "unsupported-media-type",
		    "Unsupported Media Type", detail,
		    "Accept-Post: application/json\r\n", NULL);
		return;
	}

	switch (router_match(app_routes, APP_NROUTES, req->method, req->uri,
	    &m)) {
	case ROUTE_FOUND:
		*route = (size_t)(m.route - app_routes);
		((handler_fn *)m.route->data)(app, req, &m);
		break;
	case ROUTE_METHOD_NOT_ALLOWED:
		snprintf(headers, sizeof(headers), "Allow: %s\r\n", m.allow);
		snprintf(detail, sizeof(detail), "This resource accepts %s.",
		    m.allow);
		http_problem(req, 405, "method-not-allowed",
		    "Method Not Allowed", detail, headers, NULL);
		break;
	case ROUTE_NOT_FOUND:
		http_problem(req, 404, "not-found", "Not Found",
		    "No resource has this path; see docs/api.md for the routes.",
		    NULL, NULL);
		break;
	}
}

void
app_handle(struct app *app, struct http_req *req)
{
	struct timespec t0;
	size_t route = APP_NROUTES;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	app_dispatch(app, req, &route);
	metrics_request(route, req->status, app_elapsed(&t0));
}

int
app_child_main(void *arg)
{
	struct app *app = arg;
	FCGX_Request fcgx;
	char err[256];
	int rc = 0;

	app->store = store_new(app->cfg->redis_url, app->cfg->redis_password,
	    "oms-fcgi", APP_TIMEOUT_MS, err, sizeof(err));
	if (app->store == NULL) {
		log_warnx("redis: %s", err);
		return 1;
	}
	app->mq = mq_new(app->cfg->amqp_url, app->cfg->amqp_password,
	    "oms-fcgi", APP_TIMEOUT_MS, err, sizeof(err));
	if (app->mq == NULL) {
		log_warnx("amqp: %s", err);
		store_free(app->store);
		return 1;
	}
	if (FCGX_InitRequest(&fcgx, app->listen_fd, 0) != 0) {
		log_warnx("FCGX_InitRequest failed");
		rc = 1;
		goto done;
	}

	while (!prefork_stopping() && FCGX_Accept_r(&fcgx) >= 0) {
		struct http_req req;

		http_req_init(&req, &fcgx);
		log_set_field(LOG_FIELD_REQUEST_ID, req.request_id);
		app_handle(app, &req);
		http_req_clear(&req);
		FCGX_Finish_r(&fcgx);
		log_clear_fields();
		app->served++;
		if (app->cfg->fcgi_max_requests > 0 &&
		    app->served >= (unsigned long)app->cfg->fcgi_max_requests) {
			log_debug("served %lu requests; recycling",
			    app->served);
			break;
		}
	}
	FCGX_Free(&fcgx, 0);
done:
	mq_free(app->mq);
	store_free(app->store);
	return rc;
}
