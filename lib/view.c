/*
 * view.c — turns Redis replies into the JSON the API returns.
 *
 * The worker writes each order as a hash of flat fields (docs/redis.md):
 * strings as they are; `items`, the addresses and `metadata` as JSON text;
 * `isDeleted` as "0"/"1"; `version`, `orderNumber` and the amounts as
 * decimals. Fields not set yet are shown as null (`items` as [] and
 * `metadata` as {}), so every representation has every member of DESIGN
 * §4 and §10 in the same order, priced or not.
 *
 * The same representation comes two ways: as a json-c object
 * (view_order_from_hash, for the routes that look inside an order before
 * writing a command) and as bytes written straight from the hash with
 * lib/jsonw.c (view_order_write, for GET and the list: no tree, no
 * allocation per member). check_view proves the two print the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "view.h"

/* How a hash field is shown. */
enum view_kind { VIEW_STR, VIEW_INT, VIEW_BOOL, VIEW_ARRAY, VIEW_OBJECT,
	VIEW_OBJECT_OR_NULL };

/* The representation's members, in order: the name, its length, the
 * member's key as written ("name":), and how it is shown. */
#define F(n, k)	{ #n, sizeof(#n) - 1, "\"" #n "\":", k }
static const struct {
	const char	*name;
	size_t		 len;
	const char	*key;
	enum view_kind	 kind;
} view_fields[] = {
	F(id, VIEW_STR),
	F(orderNumber, VIEW_INT),
	F(customerId, VIEW_STR),
	F(paymentMethodId, VIEW_STR),
	F(storeId, VIEW_STR),
	F(items, VIEW_ARRAY),
	F(currency, VIEW_STR),		/* VIEW_MONEY_FIRST */
	F(subtotal, VIEW_INT),
	F(shippingTotal, VIEW_INT),
	F(taxTotal, VIEW_INT),
	F(discountTotal, VIEW_INT),
	F(total, VIEW_INT),
	F(shippingAddress, VIEW_OBJECT_OR_NULL),
	F(billingAddress, VIEW_OBJECT_OR_NULL),
	F(email, VIEW_STR),
	F(metadata, VIEW_OBJECT),		/* VIEW_MONEY_LAST */
	F(status, VIEW_STR),
	F(isDeleted, VIEW_BOOL),
	F(paymentTransactionId, VIEW_STR),
	F(refundTransactionId, VIEW_STR),
	F(shipCompanyId, VIEW_STR),
	F(trackingNumber, VIEW_STR),
	F(confirmationId, VIEW_STR),
	F(createdAt, VIEW_STR),
	F(updatedAt, VIEW_STR),
	F(version, VIEW_INT),
};
#undef F
#define VIEW_NFIELDS (sizeof(view_fields) / sizeof(view_fields[0]))
_Static_assert(VIEW_NFIELDS == VIEW_ORDER_NFIELDS,
    "struct view_order has a slot per member");

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

int
view_order_index(const struct store_reply *r, struct view_order *o)
{
	memset(o, 0, sizeof(*o));
	if (r == NULL || r->type != STORE_ARRAY || r->nelem < 2)
		return -1;
	for (size_t i = 0; i + 1 < r->nelem; i += 2) {
		const char *f = r->elem[i]->str;
		size_t n = r->elem[i]->len;

		for (size_t j = 0; f != NULL && j < VIEW_NFIELDS; j++)
			if (n == view_fields[j].len && f[0] ==
			    view_fields[j].name[0] && memcmp(f,
			    view_fields[j].name, n) == 0) {
				o->v[j] = r->elem[i + 1];
				break;
			}
	}
	return 0;
}

const char *
view_order_get(const struct view_order *o, const char *name)
{
	for (size_t i = 0; i < VIEW_NFIELDS; i++)
		if (strcmp(view_fields[i].name, name) == 0)
			return o->v[i] != NULL && o->v[i]->str != NULL &&
			    o->v[i]->len > 0 ? o->v[i]->str : NULL;
	return NULL;
}

struct json_object *
view_order_from_hash(const struct store_reply *r)
{
	struct view_order vo;
	struct json_object *o;

	if (view_order_index(r, &vo) == -1)
		return NULL;
	o = json_object_new_object();
	for (size_t i = 0; i < VIEW_NFIELDS; i++)
		view_add_field(o, i, vo.v[i]);
	return o;
}

/* Writes the stored JSON text v of field i through json-c, as
 * view_add_field() shows it: the path for text jsonw_stored() leaves. */
static int
view_write_parsed(struct jsonw *w, size_t i, const struct store_reply *v)
{
	struct json_object *j, *o;
	const char *s;
	size_t len;
	int rc;

	o = json_object_new_object();			/* owned */
	view_add_field(o, i, v);
	json_object_object_get_ex(o, view_fields[i].name, &j);	/* borrowed */
	s = json_dump(j, &len);
	rc = jsonw_raw(w, s, len);
	json_object_put(o);
	return rc;
}

/* Writes the value of field i (v may be NULL) as view_add_field() shows
 * it. */
static int
view_write_field(struct jsonw *w, size_t i, const struct store_reply *v)
{
	enum view_kind k = view_fields[i].kind;
	int rc;

	if (v == NULL || v->str == NULL || v->len == 0) {
		switch (k) {
		case VIEW_BOOL:
			return jsonw_raw(w, "false", 5);
		case VIEW_INT:
			return i == VIEW_NFIELDS - 1 ? jsonw_raw(w, "0", 1) :
			    jsonw_raw(w, "null", 4);
		case VIEW_ARRAY:
			return jsonw_raw(w, "[]", 2);
		case VIEW_OBJECT:
			return jsonw_raw(w, "{}", 2);
		default:
			return jsonw_raw(w, "null", 4);
		}
	}
	switch (k) {
	case VIEW_BOOL:
		return strcmp(v->str, "1") == 0 || strcmp(v->str, "true") == 0 ?
		    jsonw_raw(w, "true", 4) : jsonw_raw(w, "false", 5);
	case VIEW_INT:
		return jsonw_int(w, strtoll(v->str, NULL, 10));
	case VIEW_ARRAY:
	case VIEW_OBJECT:
	case VIEW_OBJECT_OR_NULL:
		/* json-c reads the text up to a NUL, jsonw_stored all of it */
		rc = memchr(v->str, '\0', v->len) != NULL ? 1 :
		    jsonw_stored(w, v->str, v->len, k == VIEW_ARRAY);
		return rc == 1 ? view_write_parsed(w, i, v) : rc;
	default:
		return jsonw_strz(w, v->str);
	}
}

int
view_order_write(const struct view_order *o, struct jsonw *w)
{
	for (size_t i = 0; i < VIEW_NFIELDS; i++)
		if (jsonw_raw(w, i == 0 ? "{" : ",", 1) == -1 ||
		    jsonw_raw(w, view_fields[i].key, view_fields[i].len + 3) ==
		    -1 || view_write_field(w, i, o->v[i]) == -1)
			return -1;
	return jsonw_raw(w, "}", 1);
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
