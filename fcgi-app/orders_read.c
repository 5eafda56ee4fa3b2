/*
 * orders_read.c — GET /orders, GET /orders/{id}, GET /orders/{id}/events.
 *
 * Reads go straight to Redis (DESIGN §1). The listing walks a sorted-set
 * index newest first (score: createdAt in ms; equal scores in reverse id
 * order) from an opaque cursor "<ms>:<id>" of the last order returned, so a
 * page costs O(log N + page) however many orders exist. Filters (status,
 * deleted orders) are applied while walking; one request examines at most
 * LIST_SCAN_MAX index entries and then returns what it found with a cursor,
 * so a rare status never makes a request slow. With ?orderNumber=N the
 * list is the one order with that number (the buckets oms:ordernumber:<k>
 * map numbers to ids), or empty, after the same filters and the same
 * visibility rule.
 *
 * An applied order is written straight from its HGETALL reply into one
 * buffer (view_order_write, lib/jsonw.c), for the list as for GET by id:
 * no json-c tree per order. The pending record of an accepted create and
 * the rare lookup by number still go through json-c; the bytes are the
 * same either way (t/unit/check_view).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "json.h"
#include "jsonw.h"
#include "log.h"
#include "orders.h"
#include "view.h"

#define LIST_BATCH	100
#define LIST_SCAN_MAX	1000
#define EVENTS_MAX	1000
/* The largest document written: 200 orders at their validated limits
 * (100 items with 200-character names, two addresses, 20 metadata values
 * of 500 characters) stay below 32 MB; beyond it the request fails (500)
 * rather than grow. */
#define READ_DOC_MAX	(64u << 20)

/* True (after freeing h[0..n-1]) if one of the n replies is an error
 * reply: the listing answers 503 rather than skip an order. */
static int
read_any_error(struct store_reply **h, size_t n)
{
	size_t	 i;

	for (i = 0; i < n && h[i]->type != STORE_ERROR; i++)
		;
	if (i == n)
		return 0;
	log_warnx("Redis: error reply: %s", h[i]->str);
	for (i = 0; i < n; i++)
		store_reply_free(h[i]);
	return 1;
}

/* Answers 200 with w's document, or 500 when it did not fit; frees w. */
static void
read_respond(struct http_req *req, struct jsonw *w)
{
	if (w->err) {
		log_warnx("a response outgrew %u bytes", READ_DOC_MAX);
		http_problem(req, 500, "internal", "Internal Server Error",
		    "The answer would be too large; ask for fewer orders "
		    "(limit).", NULL, NULL);
	} else
		http_respond(req, 200, "application/json", NULL, w->buf,
		    w->len);
	jsonw_free(w);
}

/* Whether who may see the order whose customerId is owner (may be NULL). */
static int
read_visible(const struct oms_principal *who, const char *owner)
{
	return who->role != AUTH_ROLE_CUSTOMER || (owner != NULL &&
	    strcmp(owner, who->customer_id) == 0);
}

/* Answers 404 as orders_load_visible() does: no such order, or one this
 * principal may not see (existence is not leaked). */
static void
read_not_found(struct http_req *req)
{
	http_problem(req, 404, "order-not-found", "Not Found",
	    "There is no order with this id.", NULL, NULL);
}

void
handle_order_get(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	struct oms_principal who;
	struct json_object *order = NULL;
	struct store_reply *r;
	struct view_order vo;
	struct jsonw w;
	char id[OMS_ID_MAX + 1];

	if (orders_authenticate(app, req, ROLES_ANY, &who) == -1 ||
	    orders_path_id(req, m, id) == -1)
		return;
	if (store_cmd_strict(app->store, &r, "HGETALL oms:order:%s", id) !=
	    OMS_OK) {
		orders_unavailable(req, "Redis", store_errstr(app->store));
		return;
	}
	if (view_order_index(r, &vo) == 0) {
		if (!read_visible(&who, view_order_get(&vo, "customerId"))) {
			store_reply_free(r);
			read_not_found(req);
			return;
		}
		jsonw_init(&w, READ_DOC_MAX);
		view_order_write(&vo, &w);
		store_reply_free(r);
		read_respond(req, &w);
		return;
	}
	store_reply_free(r);
	/* not applied yet: the accepted create (orders_load's second step) */
	if (store_cmd_strict(app->store, &r, "GET oms:pending:%s", id) !=
	    OMS_OK) {
		orders_unavailable(req, "Redis", store_errstr(app->store));
		return;
	}
	if (r->type == STORE_STRING)
		order = view_order_from_pending(r->str, r->len);
	store_reply_free(r);
	if (order == NULL || !read_visible(&who, view_str(order,
	    "customerId"))) {
		json_object_put(order);
		read_not_found(req);
		return;
	}
	http_respond_json(req, 200, NULL, order);
	json_object_put(order);
}

void
handle_order_events(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	struct oms_principal who;
	struct json_object *order, *doc, *items;
	struct store_reply *r;
	char id[OMS_ID_MAX + 1], err[64];

	if (orders_authenticate(app, req, ROLES_CUSTOMER | ROLES_ADMIN,
	    &who) == -1 || orders_path_id(req, m, id) == -1 ||
	    orders_load_visible(app, req, &who, id, &order) == -1)
		return;
	json_object_put(order);

	/* the Function reads the order's history in every layout
	 * (docs/redis.md "Events") and answers it as a JSON array */
	if (store_cmd_strict(app->store, &r, "FCALL_RO oms_events 1 "
	    "oms:order:%s", id) != OMS_OK) {
		orders_unavailable(req, "Redis", store_errstr(app->store));
		return;
	}
	items = NULL;
	if (r->type == STORE_STRING && (json_parse_strict(r->str, r->len,
	    &items, err, sizeof(err)) != OMS_OK ||
	    !json_object_is_type(items, json_type_array))) {
		json_object_put(items);
		items = NULL;
	}
	store_reply_free(r);
	if (items == NULL) {
		orders_unavailable(req, "Redis", "oms_events answered no array");
		return;
	}
	if (json_object_array_length(items) > EVENTS_MAX)
		json_object_array_del_idx(items, EVENTS_MAX,
		    json_object_array_length(items) - EVENTS_MAX);
	doc = json_object_new_object();			/* owned */
	json_add_str(doc, "orderId", id);
	json_object_object_add(doc, "items", items);
	http_respond_json(req, 200, NULL, doc);
	json_object_put(doc);
}

/* Splits a cursor "<ms>:<id>". Returns 0, or -1 if it is not one. */
static int
list_cursor_parse(const char *cursor, long long *ms, const char **id)
{
	char *end;

	*ms = strtoll(cursor, &end, 10);
	if (end == cursor || *end != ':' || *ms < 0 || end[1] == '\0' ||
	    !order_id_valid(end + 1, strlen(end + 1)))
		return -1;
	*id = end + 1;
	return 0;
}

/* Whether the listed order (by number) passes the query's filters. */
static int
list_keep(struct json_object *order, const struct order_list_query *q)
{
	struct json_object *del;

	if (json_object_object_get_ex(order, "isDeleted", &del) &&
	    json_object_get_boolean(del) && !q->include_deleted)
		return 0;
	return q->status == OMS_STATUS_NONE || orders_status(order) == q->status;
}

/* list_keep for an indexed order hash: isDeleted and status read as
 * view_order_from_hash shows them. */
static int
list_keep_hash(const struct view_order *vo, const struct order_list_query *q)
{
	const char *del = view_order_get(vo, "isDeleted");
	const char *s = view_order_get(vo, "status");
	enum oms_status st;

	if (del != NULL && (strcmp(del, "1") == 0 || strcmp(del, "true") == 0) &&
	    !q->include_deleted)
		return 0;
	if (q->status == OMS_STATUS_NONE)
		return 1;
	return s != NULL && order_status_parse(s, &st) == 0 && st == q->status;
}

/* The reply (owned) to the look-up of order number n: its bucket of 100
 * numbers, oms:ordernumber:<n div 100> (docs/redis.md), else the one hash
 * that indexed the numbers drawn before issue 17. */
static enum oms_err
list_number_lookup(struct app *app, long long n, struct store_reply **r)
{
	if (store_cmd(app->store, r, "HGET oms:ordernumber:%lld %lld",
	    n / 100, n) != OMS_OK)
		return OMS_EUNAVAIL;
	if ((*r)->type != STORE_NIL)
		return OMS_OK;
	store_reply_free(*r);
	return store_cmd(app->store, r, "HGET oms:ordernumber %lld", n);
}

/* GET /orders?orderNumber=N: answers a list of zero or one order. */
static void
list_by_number(struct app *app, struct http_req *req,
    const struct oms_principal *who, const struct order_list_query *q)
{
	struct json_object *doc, *items, *order = NULL;
	struct store_reply *r;
	const char *cid;

	if (list_number_lookup(app, (long long)q->order_number, &r) !=
	    OMS_OK) {
		orders_unavailable(req, "Redis", store_errstr(app->store));
		return;
	}
	if (r->type == STORE_STRING && order_id_valid(r->str, r->len) &&
	    orders_load(app, r->str, &order) == OMS_EUNAVAIL) {
		store_reply_free(r);
		orders_unavailable(req, "Redis", store_errstr(app->store));
		return;
	}
	store_reply_free(r);
	cid = view_str(order, "customerId");
	if (order != NULL && (!list_keep(order, q) || (who->role ==
	    AUTH_ROLE_CUSTOMER && (cid == NULL || strcmp(cid,
	    who->customer_id) != 0)) || (q->customer_id[0] != '\0' &&
	    (cid == NULL || strcmp(cid, q->customer_id) != 0)))) {
		json_object_put(order);
		order = NULL;
	}
	doc = json_object_new_object();			/* owned */
	items = json_object_new_array();		/* put into doc */
	if (order != NULL)
		json_object_array_add(items, order);
	json_object_object_add(doc, "items", items);
	json_add_str(doc, "nextCursor", NULL);
	http_respond_json(req, 200, NULL, doc);
	json_object_put(doc);
}

void
handle_orders_list(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	struct oms_principal who;
	struct order_list_query q;
	struct order_errors errs;
	struct jsonw w;
	char key[128], max[32], next[ORDER_CURSOR_MAX + 1] = "";
	const char *after_id = NULL;
	long long after_ms = -1;
	long offset = 0, scanned = 0, found = 0;
	int more = 1, batch;

	(void)m;
	if (orders_authenticate(app, req, ROLES_CUSTOMER | ROLES_ADMIN,
	    &who) == -1)
		return;
	order_errors_init(&errs);
	if (order_parse_list_query(req->query, &q, &errs) != OMS_OK) {
		orders_invalid(req, &errs);
		return;
	}
	if (q.cursor[0] != '\0' &&
	    list_cursor_parse(q.cursor, &after_ms, &after_id) == -1) {
		order_errors_add(&errs, "?cursor", "not a cursor this service "
		    "returned");
		orders_invalid(req, &errs);
		return;
	}
	if (who.role == AUTH_ROLE_CUSTOMER) {
		if (q.include_deleted || (q.customer_id[0] != '\0' &&
		    strcmp(q.customer_id, who.customer_id) != 0)) {
			http_problem(req, 403, "forbidden", "Forbidden",
			    "Customers list their own orders, without deleted "
			    "ones.", NULL, NULL);
			return;
		}
		snprintf(key, sizeof(key), "oms:customer:%s:orders",
		    who.customer_id);
	} else if (q.customer_id[0] != '\0')
		snprintf(key, sizeof(key), "oms:customer:%s:orders",
		    q.customer_id);
	else
		snprintf(key, sizeof(key), "oms:orders");
	if (q.order_number > 0) {
		list_by_number(app, req, &who, &q);
		return;
	}
	if (after_ms >= 0)
		snprintf(max, sizeof(max), "%lld", after_ms);
	else
		snprintf(max, sizeof(max), "+inf");

	/*
	 * The first batch is the page and one more (the previous page's last
	 * entry, which a cursor's inclusive bound returns again): Redis 7.0
	 * prints each score with "%.17g", a cost per entry that the list
	 * profile shows. Later batches, when filters dropped entries, are
	 * LIST_BATCH.
	 */
	batch = q.limit < LIST_BATCH ? (int)q.limit + 1 : LIST_BATCH;
	jsonw_init(&w, READ_DOC_MAX);
	jsonw_lit(&w, "{\"items\":[");
	while (more && found < q.limit && scanned < LIST_SCAN_MAX) {
		struct store_reply *r;

		if (store_cmd_strict(app->store, &r, "ZREVRANGEBYSCORE %s %s "
		    "-inf WITHSCORES LIMIT %ld %d", key, max, offset, batch) !=
		    OMS_OK || r->type != STORE_ARRAY) {
			store_reply_free(r);
			jsonw_free(&w);
			orders_unavailable(req, "Redis",
			    store_errstr(app->store));
			return;
		}
		more = r->nelem == 2 * (size_t)batch;
		offset += batch;
		batch = LIST_BATCH;
		/* The entries of this batch not returned on an earlier page. */
		const char *ids[LIST_BATCH];
		long long scores[LIST_BATCH];
		size_t nids = 0, done = 0;

		for (size_t i = 0; i + 1 < r->nelem; i += 2) {
			long long ms = strtoll(r->elem[i + 1]->str, NULL, 10);

			if (after_id != NULL && ms == after_ms &&
			    strcmp(r->elem[i]->str, after_id) >= 0)
				continue;
			ids[nids] = r->elem[i]->str;
			scores[nids++] = ms;
		}
		/* Read them a page's worth at a time, one round trip each. */
		while (done < nids && found < q.limit &&
		    scanned < LIST_SCAN_MAX) {
			struct store_reply *h[LIST_BATCH];
			size_t want = (size_t)(q.limit - found);

			if (want > nids - done)
				want = nids - done;
			if (want > (size_t)(LIST_SCAN_MAX - scanned))
				want = (size_t)(LIST_SCAN_MAX - scanned);
			if (store_pipeline(app->store, "HGETALL oms:order:%s",
			    ids + done, want, h) != OMS_OK ||
			    read_any_error(h, want)) {
				store_reply_free(r);
				jsonw_free(&w);
				orders_unavailable(req, "Redis",
				    store_errstr(app->store));
				return;
			}
			for (size_t j = 0; j < want; j++) {
				struct view_order vo;

				if (view_order_index(h[j], &vo) == 0 &&
				    list_keep_hash(&vo, &q)) {
					if (found++ > 0)
						jsonw_raw(&w, ",", 1);
					view_order_write(&vo, &w);
				}
				store_reply_free(h[j]);
				scanned++;
			}
			done += want;
			snprintf(next, sizeof(next), "%lld:%s",
			    scores[done - 1], ids[done - 1]);
		}
		if (found >= q.limit || scanned >= LIST_SCAN_MAX)
			more = 1;	/* stopped early: maybe more */
		else if (!more)
			next[0] = '\0';	/* walked to the end */
		store_reply_free(r);
	}
	jsonw_lit(&w, "],\"nextCursor\":");
	jsonw_strz(&w, more && next[0] != '\0' ? next : NULL);
	jsonw_lit(&w, "}");
	read_respond(req, &w);
}
