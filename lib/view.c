/*
 * view.c — turns Redis replies into the JSON the API returns.
 *
 * The worker writes each order as a hash of flat fields (docs/redis.md):
 * strings as they are, `items` as JSON text, `isDeleted` as "0"/"1",
 * `version` as a decimal. Fields not set yet are shown as null, so every
 * representation has every member of DESIGN §4 in the same order.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "view.h"

static const char *const view_fields[] = {
	"id", "customerId", "paymentMethodId", "storeId", "items", "status",
	"isDeleted", "paymentTransactionId", "refundTransactionId",
	"shipCompanyId", "trackingNumber", "confirmationId", "createdAt",
	"updatedAt", "version"
};
#define VIEW_NFIELDS (sizeof(view_fields) / sizeof(view_fields[0]))

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

/* Adds field from v (may be NULL) to o with the field's JSON type. */
static void
view_add_field(struct json_object *o, const char *field,
    const struct store_reply *v)
{
	if (v == NULL || v->str == NULL) {
		if (strcmp(field, "isDeleted") == 0)
			json_add_bool(o, field, 0);
		else if (strcmp(field, "version") == 0)
			json_add_int(o, field, 0);
		else if (strcmp(field, "items") == 0)
			json_object_object_add(o, field,
			    json_object_new_array());
		else
			json_object_object_add(o, field, NULL);
		return;
	}
	if (strcmp(field, "isDeleted") == 0)
		json_add_bool(o, field, strcmp(v->str, "1") == 0 ||
		    strcmp(v->str, "true") == 0);
	else if (strcmp(field, "version") == 0)
		json_add_int(o, field, strtoll(v->str, NULL, 10));
	else if (strcmp(field, "items") == 0) {
		struct json_object *items = json_tokener_parse(v->str);

		json_object_object_add(o, field, items != NULL ? items :
		    json_object_new_array());
	} else if (v->len == 0)
		json_object_object_add(o, field, NULL);
	else
		json_add_str(o, field, v->str);
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
