/*
 * libFuzzer target for fcgi-app/router.c and the GET /orders query parser
 * of lib/order_query.c. The input is read as "METHOD PATH?QUERY": the
 * bytes before the first space are the method, the rest (NUL-terminated,
 * cut at the first NUL byte, as FastCGI parameters are C strings) is the
 * request URI given to router_match(), and what follows its first '?' is
 * given to order_parse_list_query(). The route table is a copy of
 * app_routes in fcgi-app/app.c (keep them in step), with dummy
 * handlers as data. Properties checked, abort() on failure: a found route
 * has the method asked for (or GET for HEAD), as many captures as its
 * pattern has "{...}", each a non-empty, '/'-free slice of the path
 * before the '?'; a 405 lists the methods; a parsed query is in range.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "order.h"
#include "router.h"

#define CHECK(cond)	do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz_route: %s:%d: check failed: %s\n",\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/* Dummy handlers: only their addresses matter. */
static int handle_healthz, handle_readyz, handle_orders_list,
    handle_order_create, handle_order_get, handle_order_update,
    handle_order_delete, handle_order_events, handle_order_cancel,
    handle_order_delivered, handle_metrics, handle_webhook_create,
    handle_webhooks_list, handle_webhook_get, handle_webhook_update,
    handle_webhook_delete, handle_webhook_rotate, handle_webhook_deliveries,
    handle_webhook_redeliver;

/* As app_routes in fcgi-app/app.c. */
static const struct route routes[] = {
	{ "GET",	"/healthz",	&handle_healthz },
	{ "GET",	"/readyz",	&handle_readyz },
	{ "GET",	"/orders",	&handle_orders_list },
	{ "POST",	"/orders",	&handle_order_create },
	{ "GET",	"/orders/{id}",	&handle_order_get },
	{ "PATCH",	"/orders/{id}",	&handle_order_update },
	{ "DELETE",	"/orders/{id}",	&handle_order_delete },
	{ "GET",	"/orders/{id}/events",	  &handle_order_events },
	{ "PATCH",	"/orders/{id}/cancel",	  &handle_order_cancel },
	{ "PATCH",	"/orders/{id}/delivered", &handle_order_delivered },
	{ "GET",	"/metrics",	&handle_metrics },
	{ "POST",	"/webhooks",	&handle_webhook_create },
	{ "GET",	"/webhooks",	&handle_webhooks_list },
	{ "GET",	"/webhooks/{id}",	&handle_webhook_get },
	{ "PATCH",	"/webhooks/{id}",	&handle_webhook_update },
	{ "DELETE",	"/webhooks/{id}",	&handle_webhook_delete },
	{ "POST",	"/webhooks/{id}/rotate-secret",	&handle_webhook_rotate },
	{ "GET",	"/webhooks/{id}/deliveries", &handle_webhook_deliveries },
	{ "POST",	"/webhooks/{id}/deliveries/{eventId}/redeliver",
			    &handle_webhook_redeliver },
};
#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

static void
check_match(enum route_result r, const struct route_match *m,
    const char *method, const char *path)
{
	const char	*q = strchr(path, '?');
	const char	*end = q != NULL ? q : path + strlen(path);
	const char	*p;
	int		 i, braces = 0;

	switch (r) {
	case ROUTE_FOUND:
		CHECK(m->route >= routes && m->route < routes + NROUTES);
		CHECK(strcmp(m->route->method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 &&
		    strcmp(m->route->method, "GET") == 0));
		for (p = m->route->pattern; *p != '\0'; p++)
			braces += *p == '{';
		CHECK(m->ncaptures == braces);
		for (i = 0; i < m->ncaptures; i++) {
			const struct route_capture *c = &m->captures[i];

			CHECK(c->len > 0);
			CHECK(c->ptr >= path && c->ptr + c->len <= end);
			CHECK(memchr(c->ptr, '/', c->len) == NULL);
		}
		break;
	case ROUTE_METHOD_NOT_ALLOWED:
		CHECK(memchr(m->allow, '\0', sizeof(m->allow)) != NULL);
		CHECK(m->allow[0] != '\0');
		break;
	case ROUTE_NOT_FOUND:
		break;
	default:
		CHECK(!"router_match returned an unknown result");
	}
}

static void
check_query(enum oms_err r, const struct order_list_query *q,
    const struct order_errors *e)
{
	CHECK(e->n <= ORDER_ERRORS_MAX && e->n <= e->found);
	CHECK(e->more == (e->found > e->n));
	if (r != OMS_OK) {
		CHECK(r == OMS_EINVAL && e->n >= 1);
		for (size_t i = 0; i < e->n; i++)
			CHECK(e->e[i].pointer[0] == '?');
		return;
	}
	CHECK(e->found == 0);
	CHECK(q->limit >= 1 && q->limit <= ORDER_LIMIT_MAX);
	CHECK((unsigned int)q->status < OMS_STATUS_MAX);
	CHECK(q->include_deleted == 0 || q->include_deleted == 1);
	CHECK(memchr(q->cursor, '\0', sizeof(q->cursor)) != NULL);
	CHECK(memchr(q->customer_id, '\0', sizeof(q->customer_id)) != NULL);
	if (q->customer_id[0] != '\0')
		CHECK(order_id_valid(q->customer_id, strlen(q->customer_id)));
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct order_errors	 errs;
	struct order_list_query		 q;
	struct route_match		 m;
	enum route_result		 r;
	enum oms_err			 qr;
	char				*buf, *method, *path, *query;

	/* An exact-size heap copy, so ASan sees any read past the end. */
	if ((buf = malloc(size + 1)) == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	method = buf;
	if ((path = strchr(buf, ' ')) != NULL)
		*path++ = '\0';
	else
		path = buf + strlen(buf);

	r = router_match(routes, NROUTES, method, path, &m);
	check_match(r, &m, method, path);

	query = strchr(path, '?');
	qr = order_parse_list_query(query != NULL ? query + 1 : NULL, &q,
	    &errs);
	check_query(qr, &q, &errs);
	free(buf);
	return 0;
}
