/*
 * webhooks.c — the admin routes of webhook subscriptions (docs/webhooks.md):
 *
 *   POST   /webhooks                      create; 201 with the secret, once
 *   GET    /webhooks                      list
 *   GET    /webhooks/{id}                 one
 *   PATCH  /webhooks/{id}                 url, events, enabled, description
 *   DELETE /webhooks/{id}                 204
 *   POST   /webhooks/{id}/rotate-secret   200 with the new secret, once
 *   GET    /webhooks/{id}/deliveries      the recent attempts
 *   POST   /webhooks/{id}/deliveries/{eventId}/redeliver   202
 *
 * Only admins may use them. Bodies are strict JSON objects: unknown members
 * are refused (422) like everywhere in the API. A URL must be https://, or
 * http:// when the operator set OMS_WEBHOOK_ALLOW_HTTP=1 (read from the
 * environment of oms-fcgi); which addresses it resolves to is checked by
 * oms-notify when it connects. Subscriptions are not commands: they are
 * written to Redis directly, not through the queue, because no order
 * state changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "json.h"
#include "log.h"
#include "orders.h"
#include "uuid.h"
#include "webhook_redeliver.h"
#include "webhook_store.h"

/* A PATCH or POST body, as read. Borrowed from the parsed object. */
struct wh_body {
	const char		*url;
	struct json_object	*events;
	const char		*description;
	int			 enabled;	/* -1: absent */
};

static int
wh_allow_http(void)
{
	const char *s = getenv("OMS_WEBHOOK_ALLOW_HTTP");

	return s != NULL && strcmp(s, "1") == 0;
}

/* Adds {pointer, detail} to errs. */
static void
wh_error(struct json_object *errs, const char *pointer, const char *detail)
{
	struct json_object *e = json_object_new_object();

	json_add_str(e, "pointer", pointer);
	json_add_str(e, "detail", detail);
	json_object_array_add(errs, e);
}

/* Reads and checks the body; create: url and events required. Returns 0
 * with *obj (owned) and b filled, or -1 after answering. */
static int
wh_parse(struct app *app, struct http_req *req, int create,
    struct json_object **obj, struct wh_body *b)
{
	struct json_object *errs, *v;
	char err[256];

	*obj = NULL;
	memset(b, 0, sizeof(*b));
	b->enabled = -1;
	switch (http_read_body(req, app->cfg->max_body_bytes)) {
	case OMS_OK:
		break;
	case OMS_ETOOBIG:
		http_problem(req, 413, "body-too-large", "Content Too Large",
		    "The body is over the limit.", NULL, NULL);
		return -1;
	default:
		http_problem(req, 400, "bad-request", "Bad Request",
		    "The body is shorter than its Content-Length.", NULL, NULL);
		return -1;
	}
	if (json_parse_strict(req->body != NULL ? req->body : "",
	    req->body_len, obj, err, sizeof(err)) != OMS_OK) {
		char detail[300];

		snprintf(detail, sizeof(detail), "The body is not valid JSON: "
		    "%s", err);
		http_problem(req, 400, "malformed-json", "Bad Request", detail,
		    NULL, NULL);
		return -1;
	}
	errs = json_object_new_array();
	if (!json_object_is_type(*obj, json_type_object))
		wh_error(errs, "", "The body must be a JSON object.");
	else {
		json_object_object_foreach(*obj, k, val) {
			if (strcmp(k, "url") != 0 && strcmp(k, "events") != 0 &&
			    strcmp(k, "description") != 0 &&
			    strcmp(k, "enabled") != 0) {
				char p[80];

				snprintf(p, sizeof(p), "/%.64s", k);
				wh_error(errs, p, "Unknown member; a "
				    "subscription has url, events, description "
				    "and enabled.");
			}
			(void)val;
		}
		if (json_object_object_get_ex(*obj, "url", &v)) {
			if ((b->url = json_object_is_type(v, json_type_string) ?
			    json_object_get_string(v) : NULL) == NULL)
				wh_error(errs, "/url", "url must be a string.");
			else if (webhook_url_check(b->url, wh_allow_http(), err,
			    sizeof(err)) == -1)
				wh_error(errs, "/url", err);
		} else if (create)
			wh_error(errs, "/url", "url is required.");
		if (json_object_object_get_ex(*obj, "events", &v)) {
			b->events = v;
			if (webhook_events_check(v, err, sizeof(err)) == -1)
				wh_error(errs, "/events", err);
		} else if (create)
			wh_error(errs, "/events", "events is required: the "
			    "event types to receive, or [\"*\"].");
		if (json_object_object_get_ex(*obj, "description", &v)) {
			b->description = json_object_is_type(v,
			    json_type_string) ? json_object_get_string(v) :
			    NULL;
			if (b->description == NULL ||
			    strlen(b->description) > WEBHOOK_DESC_MAX)
				wh_error(errs, "/description", "description "
				    "must be a string of at most 256 bytes.");
		}
		if (json_object_object_get_ex(*obj, "enabled", &v)) {
			if (!json_object_is_type(v, json_type_boolean))
				wh_error(errs, "/enabled", "enabled must be "
				    "true or false.");
			else
				b->enabled = json_object_get_boolean(v);
		}
	}
	if (json_object_array_length(errs) > 0) {
		char detail[64];

		snprintf(detail, sizeof(detail), "%zu problem%s found; see "
		    "errors.", json_object_array_length(errs),
		    json_object_array_length(errs) == 1 ? "" : "s");
		http_problem(req, 422, "validation-failed",
		    "Unprocessable Content", detail, NULL, errs);
		json_object_put(*obj);
		*obj = NULL;
		return -1;
	}
	json_object_put(errs);
	return 0;
}

/* The {id} capture (index i) of m, checked. Returns 0, or -1 after 404. */
static int
wh_path_id(struct http_req *req, const struct route_match *m, int i,
    char *out, size_t outlen)
{
	int event = i == 1;
	size_t len = m->captures[i].len;

	if (len < outlen) {
		memcpy(out, m->captures[i].ptr, len);
		out[len] = '\0';
		if (event ? webhook_store_event_id_valid(out) : uuid_valid(out))
			return 0;
	}
	http_problem(req, 404, "not-found", "Not Found", event ?
	    "No such event: an event id is evt_ and the command id." :
	    "No such webhook subscription: ids are UUIDs.", NULL, NULL);
	return -1;
}

/* Answers a store error other than OMS_OK. */
static void
wh_store_failed(struct app *app, struct http_req *req, enum oms_err rc)
{
	switch (rc) {
	case OMS_ENOTFOUND:
		http_problem(req, 404, "not-found", "Not Found",
		    "No such webhook subscription.", NULL, NULL);
		break;
	case OMS_ECONFLICT:
		http_problem(req, 409, "conflict", "Conflict", "The "
		    "subscription changed meanwhile, or the limit of 1000 "
		    "subscriptions is reached; retry or delete one.", NULL,
		    NULL);
		break;
	case OMS_EIO:
		http_problem(req, 503, "unavailable", "Service Unavailable",
		    "No randomness for a secret.", "Retry-After: 1\r\n", NULL);
		break;
	default:
		orders_unavailable(req, "Redis", store_errstr(app->store));
		break;
	}
}

/* The prologue of the routes on one subscription: an admin, a well-formed
 * {id} (copied to id) and, when rec is not NULL, the subscription's record
 * (owned by the caller) read from Redis. Returns 0, or -1 after answering. */
static int
wh_begin(struct app *app, struct http_req *req, const struct route_match *m,
    char id[UUID_STR_LEN + 1], struct json_object **rec)
{
	struct oms_principal who;
	enum oms_err rc;

	if (orders_authenticate(app, req, ROLES_ADMIN, &who) == -1 ||
	    wh_path_id(req, m, 0, id, UUID_STR_LEN + 1) == -1)
		return -1;
	if (rec != NULL && (rc = webhook_store_get(app->store, id, rec)) !=
	    OMS_OK) {
		wh_store_failed(app, req, rc);
		return -1;
	}
	return 0;
}

/* Answers status with rec's public view (with its secret when
 * with_secret: shown on create and rotate only, never stored by a cache),
 * then frees rec. */
static void
wh_respond_view(struct http_req *req, int status, const char *headers,
    struct json_object *rec, int with_secret)
{
	struct json_object *view = webhook_store_view(rec);

	if (with_secret)
		json_add_str(view, "secret", json_get_str(rec, "secret"));
	http_respond_json(req, status, headers, view);
	json_object_put(view);
	json_object_put(rec);
}

void
handle_webhook_create(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	struct oms_principal who;
	struct json_object *obj, *rec = NULL;
	struct wh_body b;
	char loc[128];
	enum oms_err rc;

	(void)m;
	if (orders_authenticate(app, req, ROLES_ADMIN, &who) == -1 ||
	    wh_parse(app, req, 1, &obj, &b) == -1)
		return;
	rc = webhook_store_create(app->store, b.url, b.events, b.description,
	    &rec);
	if (rc == OMS_OK && b.enabled == 0) {
		struct webhook_change ch = { NULL, NULL, NULL, 0,
		    "disabled by an admin" };
		char id[UUID_STR_LEN + 1];

		snprintf(id, sizeof(id), "%s", json_get_str(rec, "id"));
		json_object_put(rec);
		rec = NULL;
		rc = webhook_store_update(app->store, id, &ch, &rec);
	}
	json_object_put(obj);
	if (rc != OMS_OK) {
		wh_store_failed(app, req, rc);
		return;
	}
	log_info("webhook %s created for %s", json_get_str(rec, "id"),
	    json_get_str(rec, "url"));
	snprintf(loc, sizeof(loc), "Location: /webhooks/%s\r\n"
	    "Cache-Control: no-store\r\n", json_get_str(rec, "id"));
	/* The secret shown once: Redis keeps it to sign, no API reads it
	 * back. */
	wh_respond_view(req, 201, loc, rec, 1);
}

void
handle_webhooks_list(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	struct oms_principal who;
	struct json_object *recs, *items, *out;
	enum oms_err rc;

	(void)m;
	if (orders_authenticate(app, req, ROLES_ADMIN, &who) == -1)
		return;
	if ((rc = webhook_store_list(app->store, &recs)) != OMS_OK) {
		wh_store_failed(app, req, rc);
		return;
	}
	items = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(recs); i++)
		json_object_array_add(items, webhook_store_view(
		    json_object_array_get_idx(recs, i)));
	out = json_object_new_object();
	json_object_object_add(out, "items", items);
	http_respond_json(req, 200, NULL, out);
	json_object_put(out);
	json_object_put(recs);
}

void
handle_webhook_get(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	struct json_object *rec;
	char id[UUID_STR_LEN + 1];

	if (wh_begin(app, req, m, id, &rec) == -1)
		return;
	wh_respond_view(req, 200, NULL, rec, 0);
}

void
handle_webhook_update(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	struct json_object *obj, *rec;
	struct webhook_change ch;
	struct wh_body b;
	char id[UUID_STR_LEN + 1];
	enum oms_err rc;

	if (wh_begin(app, req, m, id, NULL) == -1 ||
	    wh_parse(app, req, 0, &obj, &b) == -1)
		return;
	ch.url = b.url;
	ch.events = b.events;
	ch.description = b.description;
	ch.enabled = b.enabled;
	ch.disabled_reason = b.enabled == 0 ? "disabled by an admin" : NULL;
	rc = webhook_store_update(app->store, id, &ch, &rec);
	json_object_put(obj);
	if (rc != OMS_OK) {
		wh_store_failed(app, req, rc);
		return;
	}
	log_info("webhook %s updated", id);
	wh_respond_view(req, 200, NULL, rec, 0);
}

void
handle_webhook_delete(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	char id[UUID_STR_LEN + 1];
	enum oms_err rc;

	if (wh_begin(app, req, m, id, NULL) == -1)
		return;
	if ((rc = webhook_store_delete(app->store, id)) != OMS_OK) {
		wh_store_failed(app, req, rc);
		return;
	}
	log_info("webhook %s deleted", id);
	http_respond(req, 204, NULL, NULL, "", 0);
}

void
handle_webhook_rotate(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	struct json_object *rec;
	char id[UUID_STR_LEN + 1];
	enum oms_err rc;

	if (wh_begin(app, req, m, id, NULL) == -1)
		return;
	if (req->content_length > 0 && http_read_body(req,
	    app->cfg->max_body_bytes) == OMS_OK && req->body_len > 0 &&
	    strspn(req->body, " \t\r\n{}") != req->body_len) {
		http_problem(req, 422, "validation-failed",
		    "Unprocessable Content", "rotate-secret takes no body "
		    "(or {}).", NULL, NULL);
		return;
	}
	if ((rc = webhook_store_rotate(app->store, id, &rec)) != OMS_OK) {
		wh_store_failed(app, req, rc);
		return;
	}
	log_info("webhook %s: secret rotated", id);
	wh_respond_view(req, 200, "Cache-Control: no-store\r\n", rec, 1);
}

void
handle_webhook_deliveries(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	struct json_object *rec, *items, *out;
	char id[UUID_STR_LEN + 1];
	const char *q = strstr(req->query, "limit=");
	int limit = q != NULL ? atoi(q + 6) : 50;
	enum oms_err rc;

	if (wh_begin(app, req, m, id, &rec) == -1)
		return;
	json_object_put(rec);		/* it exists */
	if (limit < 1 || limit > WEBHOOK_LOG_MAX) {
		http_problem(req, 400, "bad-request", "Bad Request", "limit "
		    "must be 1 to 100.", NULL, NULL);
		return;
	}
	if ((rc = webhook_store_deliveries(app->store, id, limit, &items)) !=
	    OMS_OK) {
		wh_store_failed(app, req, rc);
		return;
	}
	out = json_object_new_object();
	json_object_object_add(out, "items", items);
	http_respond_json(req, 200, NULL, out);
	json_object_put(out);
}

void
handle_webhook_redeliver(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	struct json_object *rec, *out;
	char id[UUID_STR_LEN + 1], eid[80], loc[96];
	enum oms_err rc;

	if (wh_begin(app, req, m, id, &rec) == -1)
		return;
	json_object_put(rec);		/* it exists */
	if (wh_path_id(req, m, 1, eid, sizeof(eid)) == -1)
		return;
	if ((rc = webhook_redeliver(app->store, id, eid)) != OMS_OK) {
		if (rc == OMS_ENOTFOUND)
			http_problem(req, 404, "not-found", "Not Found", "This "
			    "subscription has no delivery of that event (or "
			    "the event is older than the retention).", NULL,
			    NULL);
		else
			wh_store_failed(app, req, rc);
		return;
	}
	log_info("webhook %s: event %s scheduled again", id, eid);
	out = json_object_new_object();
	json_add_str(out, "eventId", eid);
	json_add_str(out, "state", "pending");
	snprintf(loc, sizeof(loc), "Location: /webhooks/%s/deliveries\r\n", id);
	http_respond_json(req, 202, loc, out);
	json_object_put(out);
}

void
webhooks_metrics(struct app *app, char *buf, size_t size, size_t *len)
{
	struct store_reply *ids = NULL, **cards = NULL;
	const char **args = NULL;
	int k;

	k = snprintf(buf + *len, size - *len, "# HELP oms_webhook_backlog "
	    "Deliveries not yet settled, per subscription.\n"
	    "# TYPE oms_webhook_backlog gauge\n");
	if (k > 0 && (size_t)k < size - *len)
		*len += (size_t)k;
	if (store_cmd(app->store, &ids, "ZRANGE oms:webhook:subs 0 -1") !=
	    OMS_OK)
		return;
	if (ids->type != STORE_ARRAY || ids->nelem == 0 ||
	    (args = calloc(ids->nelem, sizeof(*args))) == NULL ||
	    (cards = calloc(ids->nelem, sizeof(*cards))) == NULL)
		goto done;
	for (size_t i = 0; i < ids->nelem; i++)
		args[i] = ids->elem[i]->str;
	if (store_pipeline(app->store, "SCARD oms:webhook:pending:%s", args,
	    ids->nelem, cards) != OMS_OK)
		goto done;
	for (size_t i = 0; i < ids->nelem; i++) {
		k = snprintf(buf + *len, size - *len, "oms_webhook_backlog{"
		    "subscription=\"%s\"} %lld\n", args[i],
		    cards[i]->type == STORE_INTEGER ? cards[i]->integer : 0);
		if (k > 0 && (size_t)k < size - *len)
			*len += (size_t)k;
		store_reply_free(cards[i]);
	}
done:
	free(args);
	free(cards);
	store_reply_free(ids);
}
