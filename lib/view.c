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

/* How a hash field is shown. */
enum view_kind { VIEW_STR, VIEW_INT, VIEW_BOOL, VIEW_ARRAY, VIEW_OBJECT,
	VIEW_OBJECT_OR_NULL };

/* The representation's members, in order, and how each is shown. */
static const struct {
	const char	*name;
	enum view_kind	 kind;
} view_fields[] = {
	{ "id", VIEW_STR },
	{ "orderNumber", VIEW_INT },
	{ "customerId", VIEW_STR },
	{ "paymentMethodId", VIEW_STR },
	{ "storeId", VIEW_STR },
	{ "items", VIEW_ARRAY },
	{ "currency", VIEW_STR },		/* VIEW_MONEY_FIRST */
	{ "subtotal", VIEW_INT },
	{ "shippingTotal", VIEW_INT },
	{ "taxTotal", VIEW_INT },
	{ "discountTotal", VIEW_INT },
	{ "total", VIEW_INT },
	{ "shippingAddress", VIEW_OBJECT_OR_NULL },
	{ "billingAddress", VIEW_OBJECT_OR_NULL },
	{ "email", VIEW_STR },
	{ "metadata", VIEW_OBJECT },		/* VIEW_MONEY_LAST */
	{ "status", VIEW_STR },
	{ "isDeleted", VIEW_BOOL },
	{ "paymentTransactionId", VIEW_STR },
	{ "refundTransactionId", VIEW_STR },
	{ "shipCompanyId", VIEW_STR },
	{ "trackingNumber", VIEW_STR },
	{ "confirmationId", VIEW_STR },
	{ "createdAt", VIEW_STR },
	{ "updatedAt", VIEW_STR },
	{ "version", VIEW_INT },
};
#define VIEW_NFIELDS (sizeof(view_fields) / sizeof(view_fields[0]))

/* The fields view_add_money() copies, a slice of view_fields. */
#define VIEW_MONEY_FIRST	6
#define VIEW_MONEY_LAST		15

/* The empty value of field i (owned; NULL is JSON null): false, 0 for
 * version, [] for items, {} for metadata, null for the rest. */
static struct json_object *
view_empty(size_t i)
{
	switch (view_fields[i].kind) {
	case VIEW_BOOL:
		return json_object_new_boolean(0);
	case VIEW_INT:
		return i == VIEW_NFIELDS - 1 ? json_object_new_int64(0) : NULL;
	case VIEW_ARRAY:
		return json_object_new_array();
	case VIEW_OBJECT:
		return json_object_new_object();
	default:
		return NULL;
	}
}

/* Adds field i from v (may be NULL) to o with the field's JSON type. */
static void
view_add_field(struct json_object *o, size_t i, const struct store_reply *v)
{
	enum view_kind k = view_fields[i].kind;
	const char *field = view_fields[i].name;
	struct json_object *j;

	if (v == NULL || v->str == NULL || v->len == 0) {
		json_object_object_add(o, field, view_empty(i));
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
		/* JSON text the worker's Function wrote: trusted, so the
		 * plain parser (the strict one costs as much again) */
		j = json_tokener_parse(v->str);
		if (!json_object_is_type(j, k == VIEW_ARRAY ? json_type_array :
		    json_type_object)) {
			json_object_put(j);
			j = view_empty(i);
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
		const char *f = view_fields[i].name;
		struct json_object *v;	/* borrowed from src */

		if (json_object_object_get_ex(src, f, &v))
			json_object_object_add(o, f, json_object_get(v));
		else
			json_object_object_add(o, f, view_empty(i));
	}
}

struct json_object *
view_order_from_hash(const struct store_reply *r)
{
	const struct store_reply *vals[VIEW_NFIELDS];
	struct json_object *o;

	if (r == NULL || r->type != STORE_ARRAY || r->nelem < 2)
		return NULL;
	/* one pass over the hash, then the members in order */
	memset(vals, 0, sizeof(vals));
	for (size_t i = 0; i + 1 < r->nelem; i += 2) {
		const char *f = r->elem[i]->str;

		for (size_t j = 0; f != NULL && j < VIEW_NFIELDS; j++)
			if (f[0] == view_fields[j].name[0] &&
			    strcmp(f, view_fields[j].name) == 0) {
				vals[j] = r->elem[i + 1];
				break;
			}
	}
	o = json_object_new_object();
	for (size_t i = 0; i < VIEW_NFIELDS; i++)
		view_add_field(o, i, vals[i]);
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

const char *
view_str(struct json_object *order, const char *key)
{
	return json_get_str(order, key);
}
