/*
 * view.c — turns Redis replies into the JSON the API returns.
 *
 * The worker writes each order as a hash of flat fields (docs/redis.md):
 * strings as they are; `items`, the addresses and `metadata` as JSON text;
 * `isDeleted` as "0"/"1"; `version`, `orderNumber` and the amounts as
 * decimals. Fields not set yet are shown as null (`items` as [] and
 * `metadata` as {}), so every representation has every member of DESIGN
 * §4 and §10 in the same order, priced or not.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "view.h"

static const char *const view_fields[] = {
	"id", "orderNumber", "customerId", "paymentMethodId", "storeId",
	"items", "currency", "subtotal", "shippingTotal", "taxTotal",
	"discountTotal", "total", "shippingAddress", "billingAddress", "email",
	"metadata", "status", "isDeleted", "paymentTransactionId",
	"refundTransactionId", "shipCompanyId", "trackingNumber",
	"confirmationId", "createdAt", "updatedAt", "version"
};
#define VIEW_NFIELDS (sizeof(view_fields) / sizeof(view_fields[0]))

/* The fields view_add_money() copies, a slice of view_fields. */
#define VIEW_MONEY_FIRST	6	/* "currency" */
#define VIEW_MONEY_LAST		15	/* "metadata" */

/* How a hash field is shown. */
enum view_kind { VIEW_STR, VIEW_INT, VIEW_BOOL, VIEW_ARRAY, VIEW_OBJECT,
	VIEW_OBJECT_OR_NULL };

static enum view_kind
view_kind(const char *field)
{
	static const char *const ints[] = { "version", "orderNumber",
	    "subtotal", "shippingTotal", "taxTotal", "discountTotal", "total",
	    NULL };

	for (size_t i = 0; ints[i] != NULL; i++)
		if (strcmp(field, ints[i]) == 0)
			return VIEW_INT;
	if (strcmp(field, "isDeleted") == 0)
		return VIEW_BOOL;
	if (strcmp(field, "items") == 0)
		return VIEW_ARRAY;
	if (strcmp(field, "metadata") == 0)
		return VIEW_OBJECT;
	if (strcmp(field, "shippingAddress") == 0 ||
	    strcmp(field, "billingAddress") == 0)
		return VIEW_OBJECT_OR_NULL;
	return VIEW_STR;
}

/* The value of field in an HGETALL reply, or NULL. */
static const struct store_reply *
view_hash_get(const struct store_reply *r, const char *field)
{
	for (size_t i = 0; i + 1 < r->nelem; i += 2)
		if (r->elem[i]->str != NULL &&
		    strcmp(r->elem[i]->str, field) == 0)
			return r->elem[i + 1];
	return NULL;
}

/* The empty value of a field of kind k (owned; NULL is JSON null). */
static struct json_object *
view_empty(const char *field, enum view_kind k)
{
	switch (k) {
	case VIEW_BOOL:
		return json_object_new_boolean(0);
	case VIEW_INT:
		return strcmp(field, "version") == 0 ? json_object_new_int64(0) :
		    NULL;
	case VIEW_ARRAY:
		return json_object_new_array();
	case VIEW_OBJECT:
		return json_object_new_object();
	default:
		return NULL;
	}
}

/* Adds field from v (may be NULL) to o with the field's JSON type. */
static void
view_add_field(struct json_object *o, const char *field,
    const struct store_reply *v)
{
	enum view_kind k = view_kind(field);
	struct json_object *j = NULL;
	char err[64];

	if (v == NULL || v->str == NULL || v->len == 0) {
		json_object_object_add(o, field, view_empty(field, k));
		return;
	}
	switch (k) {
	case VIEW_BOOL:
		json_add_bool(o, field, strcmp(v->str, "1") == 0 ||
		    strcmp(v->str, "true") == 0);
		break;
	case VIEW_INT:
		json_add_int(o, field, strtoll(v->str, NULL, 10));
		break;
	case VIEW_ARRAY:
	case VIEW_OBJECT:
	case VIEW_OBJECT_OR_NULL:
		/* JSON text written by the worker */
		if (json_parse_strict(v->str, v->len, &j, err, sizeof(err)) !=
		    OMS_OK || !json_object_is_type(j, k == VIEW_ARRAY ?
		    json_type_array : json_type_object)) {
			json_object_put(j);
			j = view_empty(field, k);
		}
		json_object_object_add(o, field, j);
		break;
	default:
		json_add_str(o, field, v->str);
		break;
	}
}

void
view_add_money(struct json_object *o, struct json_object *src)
{
	for (size_t i = VIEW_MONEY_FIRST; i <= VIEW_MONEY_LAST; i++) {
		const char *f = view_fields[i];
		struct json_object *v;	/* borrowed from src */

		if (json_object_object_get_ex(src, f, &v))
			json_object_object_add(o, f, json_object_get(v));
		else
			json_object_object_add(o, f, view_empty(f,
			    view_kind(f)));
	}
}

struct json_object *
view_order_from_hash(const struct store_reply *r)
{
	struct json_object *o;

	if (r == NULL || r->type != STORE_ARRAY || r->nelem < 2)
		return NULL;
	o = json_object_new_object();
	for (size_t i = 0; i < VIEW_NFIELDS; i++)
		view_add_field(o, view_fields[i],
		    view_hash_get(r, view_fields[i]));
	return o;
}

struct json_object *
view_order_from_pending(const char *text, size_t len)
{
	struct json_object *o = NULL;
	char err[64];

	if (json_parse_strict(text, len, &o, err, sizeof(err)) != OMS_OK)
		return NULL;
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct json_object *
view_event(const struct store_reply *entry)
{
	struct json_object *o = json_object_new_object();
	const struct store_reply *fields;

	if (entry->type != STORE_ARRAY || entry->nelem != 2)
		return o;
	json_add_str(o, "id", entry->elem[0]->str);
	fields = entry->elem[1];
	for (size_t i = 0; i + 1 < fields->nelem; i += 2) {
		const char *k = fields->elem[i]->str, *v = fields->elem[i + 1]->str;
		struct json_object *j = NULL;
		char err[64];

		if (k == NULL || v == NULL)
			continue;
		if (strcmp(k, "version") == 0) {
			json_add_int(o, k, strtoll(v, NULL, 10));
			continue;
		}
		/* actor, detail and followUps are JSON text written by the
		 * worker; a detail may also be plain text */
		if ((strcmp(k, "actor") == 0 || strcmp(k, "detail") == 0 ||
		    strcmp(k, "followUps") == 0) &&
		    json_parse_strict(v, fields->elem[i + 1]->len, &j, err,
		    sizeof(err)) == OMS_OK && j != NULL) {
			if (!json_object_is_type(j, json_type_string)) {
				json_object_object_add(o, k, j);
				continue;
			}
			json_object_put(j);
		}
		json_add_str(o, k, v);
	}
	return o;
}

const char *
view_str(struct json_object *order, const char *key)
{
	return json_get_str(order, key);
}
