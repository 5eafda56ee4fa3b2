/*
 * orders.c — the steps every order route takes before its own work.
 *
 * Authentication failures follow RFC 6750 §3: 401 with
 * `WWW-Authenticate: Bearer realm="oms"` (and error="invalid_token" when a
 * key was given but is not valid). A role that may not use a route gets
 * 403; a customer asking for another customer's order gets 404, like an
 * order that does not exist (DESIGN §4).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "json.h"
#include "log.h"
#include "orders.h"
#include "view.h"

/*
 * A small per-child cache of authenticated keys, by the key's hash: a GET
 * then costs one Redis round trip instead of two. Entries live
 * AUTH_CACHE_TTL_MS, so a revoked key is refused by every child at most
 * that long after `omsctl apikey revoke`. Unknown keys are never cached.
 * The child's request threads share it under a mutex held only to copy an
 * entry in or out.
 */
#define AUTH_CACHE_SIZE		64
#define AUTH_CACHE_TTL_MS	2000

struct auth_cache_entry {
	char			hash[AUTH_HASH_SIZE];
	struct oms_principal	who;
	int64_t			expires_ms;
};

static struct auth_cache_entry auth_cache[AUTH_CACHE_SIZE];
static pthread_mutex_t auth_cache_lock = PTHREAD_MUTEX_INITIALIZER;


/* The cache slot of hash (lower-case hex): its first 16 bits pick it. */
static struct auth_cache_entry *
auth_cache_slot(const char *hash)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++)
		v = v * 16 + (unsigned)(hash[i] <= '9' ? hash[i] - '0' :
		    hash[i] - 'a' + 10);
	return &auth_cache[v % AUTH_CACHE_SIZE];
}

/* Authenticates through the cache; like auth_lookup otherwise. */
static enum oms_err
orders_auth_lookup(struct app *app, const char *authorization,
    struct oms_principal *who)
{
	char key[AUTH_KEY_SIZE], hash[AUTH_HASH_SIZE];
	struct auth_cache_entry *e;
	enum oms_err rc;
	int hashed;

	if (auth_parse_bearer(authorization, key) != OMS_OK)
		return OMS_EAUTH;
	hashed = auth_key_hash(key, hash) == 0;
	explicit_bzero(key, sizeof(key));
	if (hashed) {
		int hit;

		pthread_mutex_lock(&auth_cache_lock);
		e = auth_cache_slot(hash);
		hit = strcmp(e->hash, hash) == 0 &&
		    e->expires_ms > clock_ms();
		if (hit)
			*who = e->who;
		pthread_mutex_unlock(&auth_cache_lock);
		if (hit)
			return OMS_OK;
	}
	rc = auth_lookup(app->store, authorization, who);
	if (rc == OMS_OK && hashed) {
		pthread_mutex_lock(&auth_cache_lock);
		e = auth_cache_slot(hash);
		memcpy(e->hash, hash, sizeof(e->hash));
		e->who = *who;
		e->expires_ms = clock_ms() + AUTH_CACHE_TTL_MS;
		pthread_mutex_unlock(&auth_cache_lock);
	}
	return rc;
}

int
orders_authenticate(struct app *app, struct http_req *req, unsigned roles,
    struct oms_principal *who)
{
	enum oms_err rc = orders_auth_lookup(app, req->authorization, who);

	if (rc == OMS_EUNAVAIL) {
		orders_unavailable(req, "Redis", store_errstr(app->store));
		return -1;
	}
	if (rc != OMS_OK) {
		int given = req->authorization != NULL &&
		    *req->authorization != '\0';

		http_problem(req, 401, "unauthorized", "Unauthorized", given ?
		    "The API key is not valid (or was revoked)." :
		    "Send an API key: Authorization: Bearer <key>.",
		    given ? "WWW-Authenticate: Bearer realm=\"oms\", "
		    "error=\"invalid_token\"\r\n" :
		    "WWW-Authenticate: Bearer realm=\"oms\"\r\n", NULL);
		return -1;
	}
	log_set_field(LOG_FIELD_ACTOR, who->key_id);
	if ((roles & (1u << who->role)) == 0) {
		char detail[96];

		snprintf(detail, sizeof(detail), "The %s role may not do "
		    "this.", auth_role_name(who->role));
		http_problem(req, 403, "forbidden", "Forbidden", detail, NULL,
		    NULL);
		return -1;
	}
	return 0;
}

int
orders_path_id(struct http_req *req, const struct route_match *m,
    char id[OMS_ID_MAX + 1])
{
	const struct route_capture *c = &m->captures[0];

	if (m->ncaptures < 1 || !order_id_valid(c->ptr, c->len)) {
		http_problem(req, 400, "bad-id", "Bad Request",
		    "An order id is 1 to 64 characters of A-Z, a-z, 0-9, "
		    "'_', '.', ':' and '-'.", NULL, NULL);
		return -1;
	}
	memcpy(id, c->ptr, c->len);
	id[c->len] = '\0';
	log_set_field(LOG_FIELD_ORDER_ID, id);
	/* oms mints order ids as UUIDs: no other id names an order, and
	 * one such as "<id>:events" must not reach another key. */
	if (!command_order_id_valid(id)) {
		http_problem(req, 404, "order-not-found", "Not Found",
		    "There is no order with this id.", NULL, NULL);
		return -1;
	}
	return 0;
}

enum oms_err
orders_load(struct app *app, const char *id, struct json_object **order)
{
	struct store_reply *r;

	*order = NULL;
	if (store_cmd_strict(app->store, &r, "HGETALL oms:order:%s", id) !=
	    OMS_OK)
		return OMS_EUNAVAIL;
	*order = view_order_from_hash(r);
	store_reply_free(r);
	if (*order != NULL)
		return OMS_OK;

	if (store_cmd_strict(app->store, &r, "GET oms:pending:%s", id) !=
	    OMS_OK)
		return OMS_EUNAVAIL;
	if (r->type == STORE_STRING)
		*order = view_order_from_pending(r->str, r->len);
	store_reply_free(r);
	return *order != NULL ? OMS_OK : OMS_ENOTFOUND;
}

int
orders_load_visible(struct app *app, struct http_req *req,
    const struct oms_principal *who, const char *id, struct json_object **order)
{
	enum oms_err rc = orders_load(app, id, order);
	const char *owner;

	if (rc == OMS_EUNAVAIL) {
		orders_unavailable(req, "Redis", store_errstr(app->store));
		return -1;
	}
	owner = rc == OMS_OK ? view_str(*order, "customerId") : NULL;
	if (rc == OMS_OK && who->role == AUTH_ROLE_CUSTOMER &&
	    (owner == NULL || strcmp(owner, who->customer_id) != 0)) {
		json_object_put(*order);
		*order = NULL;
		rc = OMS_ENOTFOUND;
	}
	if (rc != OMS_OK) {
		http_problem(req, 404, "order-not-found", "Not Found",
		    "There is no order with this id.", NULL, NULL);
		return -1;
	}
	return 0;
}

enum oms_status
orders_status(struct json_object *order)
{
	enum oms_status st;
	const char *s = view_str(order, "status");

	if (s == NULL || order_status_parse(s, &st) == -1)
		return OMS_STATUS_NONE;
	return st;
}

int
orders_update_allowed(struct http_req *req, const struct oms_principal *who,
    const struct oms_order_update *up, struct json_object *order,
    int *any_status)
{
	struct json_object *current = NULL;	/* borrowed from order */
	struct order_errors errs;

	*any_status = up->metadata.present && up->ship_company_id[0] == '\0' &&
	    up->tracking_number[0] == '\0';
	if (!up->metadata.present)
		return 0;
	if (who->role != AUTH_ROLE_ADMIN) {
		http_problem(req, 403, "forbidden", "Forbidden", "Only an admin "
		    "may change an order's metadata.", NULL, NULL);
		return -1;
	}
	json_object_object_get_ex(order, "metadata", &current);
	if (metadata_count_after(current, &up->metadata) > METADATA_KEYS_MAX) {
		order_errors_init(&errs);
		order_errors_add(&errs, "/metadata", "would give the order more "
		    "than 20 keys; remove some with null");
		orders_invalid(req, &errs);
		return -1;
	}
	return 0;
}

void
orders_invalid(struct http_req *req, const struct order_errors *errs)
{
	char detail[256];

	if (errs->malformed) {
		snprintf(detail, sizeof(detail), "The body is not valid JSON: "
		    "%s", errs->n > 0 ? errs->e[0].detail : "unreadable");
		http_problem(req, 400, "malformed-json", "Bad Request", detail,
		    NULL, order_errors_to_json(errs));
		return;
	}
	snprintf(detail, sizeof(detail), "%zu problem%s found%s; see errors.",
	    errs->found, errs->found == 1 ? "" : "s",
	    errs->more ? " (the first ones are listed)" : "");
	http_problem(req, 422, "validation-failed", "Unprocessable Content",
	    detail, NULL, order_errors_to_json(errs));
}

void
orders_unavailable(struct http_req *req, const char *service, const char *why)
{
	char detail[256];

	log_warnx("%s unavailable: %s", service, why);
	snprintf(detail, sizeof(detail), "%s is unreachable; nothing was "
	    "changed. Retry later.", service);
	http_problem(req, 503, "unavailable", "Service Unavailable", detail,
	    "Retry-After: 2\r\n", NULL);
}
