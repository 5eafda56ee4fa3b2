/*
 * app.c — the life of one oms-fcgi child.
 *
 * After fork the child opens its RabbitMQ client, handed to the confirm
 * window's owner thread (confirm.c), and starts FCGI_THREADS request
 * threads, each with its own Redis client (connections are never shared
 * across fork or threads; all connect lazily, so a child starts even while
 * they are down). Each request thread takes its turn in FCGX_Accept_r on
 * the shared FastCGI socket (one at a time, under a mutex, as libfcgi's
 * threaded example does) with its own FCGX_Request, then serves the
 * request; so up to FCGI_THREADS requests of a child are in flight, and
 * their publishes share the window. After FCGI_MAX_REQUESTS requests, or
 * when asked to stop, no thread accepts again and the child exits once
 * every request in hand was answered (its confirm included).
 *
 * Signals: SIGTERM and SIGINT are blocked in the request and owner threads
 * except while a thread waits in accept, so the handler (prefork.c: it sets
 * the stop flag and libfcgi's shutdown flag) runs in the child's main
 * thread or in the accepting one, whose accept(2) it interrupts. The main
 * thread only supervises: once stopping it signals the thread in accept
 * (again every APP_TICK_MS, in case the signal came just before it
 * entered), then joins the threads.
 *
 * app_handle checks what every request must satisfy before routing — a
 * readable Content-Length within OMS_MAX_BODY_BYTES (413 without reading
 * the body) and a JSON media type for any body (415) — then routes.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "app.h"
#include "confirm.h"
#include "fault.h"
#include "handlers.h"
#include "log.h"
#include "metrics.h"
#include "prefork.h"
#include "router.h"
#include "xmalloc.h"

#define APP_TIMEOUT_MS	2000
#define APP_TICK_MS	50	/* the main thread's supervision */

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

/* A request thread. */
struct app_thread {
	struct app	 app;		/* this thread's: its Redis client */
	pthread_t	 thread;
	int		 started;
	int		 in_accept;	/* atomic: waiting in FCGX_Accept_r */
	int		 done;		/* atomic: left its loop */
};

static pthread_mutex_t app_accept_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long app_served;	/* atomic: requests of the child */
static int app_recycle;			/* atomic: max requests reached */

/* The signals that stop a child, blocked (how SIG_BLOCK) or not. */
static void
app_stop_signals(int how)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(how, &set, NULL);
}

static int
app_leaving(void)
{
	return prefork_stopping() ||
	    __atomic_load_n(&app_recycle, __ATOMIC_ACQUIRE);
}

/* Accepts and serves requests until the child stops or recycles. */
static void *
app_thread_main(void *arg)
{
	struct app_thread *t = arg;
	struct app *app = &t->app;
	FCGX_Request fcgx;
	unsigned long served;
	int rc;

	if (FCGX_InitRequest(&fcgx, app->listen_fd, 0) != 0) {
		log_warnx("FCGX_InitRequest failed");
		__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
		return NULL;
	}
	for (;;) {
		struct http_req req;

		pthread_mutex_lock(&app_accept_lock);
		if (app_leaving()) {
			pthread_mutex_unlock(&app_accept_lock);
			break;
		}
		__atomic_store_n(&t->in_accept, 1, __ATOMIC_SEQ_CST);
		app_stop_signals(SIG_UNBLOCK);
		rc = FCGX_Accept_r(&fcgx);
		app_stop_signals(SIG_BLOCK);
		__atomic_store_n(&t->in_accept, 0, __ATOMIC_SEQ_CST);
		pthread_mutex_unlock(&app_accept_lock);
		if (rc < 0)
			break;

		http_req_init(&req, &fcgx);
		log_set_field(LOG_FIELD_REQUEST_ID, req.request_id);
		app_handle(app, &req);
		http_req_clear(&req);
		FCGX_Finish_r(&fcgx);
		log_clear_fields();
		served = __atomic_add_fetch(&app_served, 1, __ATOMIC_ACQ_REL);
		if (app->cfg->fcgi_max_requests > 0 &&
		    served >= (unsigned long)app->cfg->fcgi_max_requests &&
		    !__atomic_exchange_n(&app_recycle, 1, __ATOMIC_ACQ_REL))
			log_debug("served %lu requests; recycling", served);
	}
	FCGX_Free(&fcgx, 0);
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The main thread, once the request threads run: waits until each left
 * its loop, waking the one in accept once the child is leaving. */
static void
app_supervise(struct app_thread *t, int n)
{
	struct timespec tick = { 0, APP_TICK_MS * 1000000L };
	int running;

	for (;;) {
		running = 0;
		for (int i = 0; i < n; i++) {
			if (!t[i].started ||
			    __atomic_load_n(&t[i].done, __ATOMIC_ACQUIRE))
				continue;
			running++;
			if (app_leaving() &&
			    __atomic_load_n(&t[i].in_accept, __ATOMIC_SEQ_CST))
				pthread_kill(t[i].thread, SIGTERM);
		}
		if (running == 0)
			return;
		nanosleep(&tick, NULL);	/* a signal ends it early */
	}
}

int
app_child_main(void *arg)
{
	const struct app *proto = arg;
	int n = proto->cfg->fcgi_threads > 0 ? proto->cfg->fcgi_threads : 1;
	struct app_thread *t = xcalloc((size_t)n, sizeof(*t));
	struct confirm *window;
	struct mq *mq;
	pthread_t owner;
	char err[256];
	int rc = 0;

	mq = mq_new(proto->cfg->amqp_url, proto->cfg->amqp_password,
	    "oms-fcgi", APP_TIMEOUT_MS, err, sizeof(err));
	if (mq == NULL) {
		log_warnx("amqp: %s", err);
		free(t);
		return 1;
	}
	if ((window = confirm_new(mq, APP_TIMEOUT_MS)) == NULL) {
		log_warnx("confirm window: cannot create it");
		mq_free(mq);
		free(t);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		t[i].app = *proto;
		t[i].app.confirm = window;
		t[i].app.store = store_new(proto->cfg->redis_url,
		    proto->cfg->redis_password, "oms-fcgi", APP_TIMEOUT_MS, err,
		    sizeof(err));
		if (t[i].app.store == NULL) {
			log_warnx("redis: %s", err);
			rc = 1;
			goto done;
		}
	}

	/* json-c seeds its hash function on first use, without a lock in
	 * some versions: seed it here, before there are threads. */
	json_object_put(json_tokener_parse("{\"seed\":1}"));
	/* The threads start with the stop signals blocked. */
	app_stop_signals(SIG_BLOCK);
	if (pthread_create(&owner, NULL, confirm_main, window) != 0) {
		app_stop_signals(SIG_UNBLOCK);
		log_warnx("confirm window: cannot start its thread");
		rc = 1;
		goto done;
	}
	for (int i = 0; i < n; i++)
		t[i].started = pthread_create(&t[i].thread, NULL,
		    app_thread_main, &t[i]) == 0;
	app_stop_signals(SIG_UNBLOCK);
	for (int i = 0; i < n; i++)
		if (!t[i].started) {
			log_warnx("cannot start request thread %d of %d", i + 1,
			    n);
			rc = 1;		/* a crash for the master: backoff */
		}
	app_supervise(t, n);
	for (int i = 0; i < n; i++)
		if (t[i].started)
			pthread_join(t[i].thread, NULL);
	/* Every request was answered: nothing is queued or in flight. */
	confirm_quit(window);
	pthread_join(owner, NULL);
done:
	for (int i = 0; i < n; i++)
		store_free(t[i].app.store);
	confirm_free(window);
	free(t);
	return rc;
}
