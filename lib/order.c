/*
 * Validation of the order bodies of DESIGN.md section 4: POST /orders (the
 * items form and the study's single-product form), PATCH /orders/{id} and
 * PATCH /orders/{id}/delivered. A body is first parsed strictly by
 * json_parse_strict(); any failure there (syntax, UTF-8, trailing bytes,
 * duplicate keys, depth) is "malformed", one error at the root, HTTP 400.
 * A well-formed document is then walked field by field and every problem
 * is recorded with its RFC 6901 pointer (HTTP 422): known fields in schema
 * order, then unknown fields in document order. Numbers must be JSON
 * integers: json-c types "1.0" and "1e2" as doubles, and those are refused
 * rather than rounded. Ids are checked byte by byte, so any non-ASCII id
 * fails the charset rule. The same validators serve the worker on a
 * command's "data", with pointers prefixed by "/data".
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "order.h"
#include "order_impl.h"

/* The single-product form's members, which are also an item's ids. */
static const char *const order_single_keys[] = {
	"productId", "variantId", "quantity", NULL
};
static const char *const order_create_keys[] = {
	"customerId", "paymentMethodId", "storeId", "items", NULL
};
static const char *const order_delivered_keys[] = {
	"trackingId", "confirmationId", NULL
};

void
order_errors_init(struct order_errors *errs)
{
	memset(errs, 0, sizeof(*errs));
}

void
order_errors_add(struct order_errors *errs, const char *pointer,
    const char *detail)
{
	struct order_error	*e;

	errs->found++;
	if (errs->n == ORDER_ERRORS_MAX) {
		errs->more = 1;
		return;
	}
	e = &errs->e[errs->n++];
	snprintf(e->pointer, sizeof(e->pointer), "%s", pointer);
	snprintf(e->detail, sizeof(e->detail), "%s", detail);
}

struct json_object *
order_errors_to_json(const struct order_errors *errs)
{
	struct json_object	*arr;	/* owned */
	size_t			 i;

	if ((arr = json_object_new_array()) == NULL)
		fatalx("order: out of memory");
	for (i = 0; i < errs->n; i++) {
		struct json_object *o;	/* owned, then given to arr */

		if ((o = json_object_new_object()) == NULL)
			fatalx("order: out of memory");
		json_add_str(o, "pointer", errs->e[i].pointer);
		json_add_str(o, "detail", errs->e[i].detail);
		if (json_object_array_add(arr, o) == -1)
			fatalx("order: out of memory");
	}
	return arr;
}

int
order_id_valid(const char *s, size_t len)
{
	size_t	 i;

	if (s == NULL || len == 0 || len > OMS_ID_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		    c == ':' || c == '-'))
			return 0;
	}
	return 1;
}

int
order_pointer(char *buf, size_t size, const char *prefix, const char *key)
{
	size_t	 n;
	int	 r;

	if ((r = snprintf(buf, size, "%s/", prefix)) < 0 || (size_t)r >= size)
		return -1;
	for (n = (size_t)r; *key != '\0'; key++) {
		const char *esc = *key == '~' ? "~0" : *key == '/' ? "~1" : NULL;
		size_t need = esc != NULL ? 2 : 1;

		if (size - n <= need)
			return -1;
		if (esc != NULL)
			memcpy(buf + n, esc, 2);
		else
			buf[n] = *key;
		n += need;
	}
	buf[n] = '\0';
	return 0;
}

void
order_fail(struct order_errors *errs, const char *prefix, const char *key,
    const char *detail)
{
	char	 ptr[ORDER_PTR_MAX];

	if (order_pointer(ptr, sizeof(ptr), prefix, key) == -1)
		fatalx("order: pointer %s/%s too long", prefix, key);
	order_errors_add(errs, ptr, detail);
}

/* Returns 1 if key is in the NULL-terminated list, else 0. */
static int
order_key_in(const char *key, const char *const list[])
{
	for (size_t i = 0; list != NULL && list[i] != NULL; i++)
		if (strcmp(key, list[i]) == 0)
			return 1;
	return 0;
}

/* Reports each member of obj in none of the lists known, more and more2
 * (either may be NULL) at its pointer. */
static void
order_check_unknown3(struct json_object *obj, const char *prefix,
    const char *const known[], const char *const more[],
    const char *const more2[], struct order_errors *errs)
{
	char	 ptr[ORDER_PTR_MAX];

	json_object_object_foreach(obj, key, val) {
		(void)val;
		if (order_key_in(key, known) || order_key_in(key, more) ||
		    order_key_in(key, more2))
			continue;
		if (order_pointer(ptr, sizeof(ptr), prefix, key) == 0)
			order_errors_add(errs, ptr, "is not a known field");
		else
			order_errors_add(errs, prefix,
			    "has an unknown field whose name is too long to show");
	}
}

void
order_check_unknown(struct json_object *obj, const char *prefix,
    const char *const known[], struct order_errors *errs)
{
	order_check_unknown3(obj, prefix, known, NULL, NULL, errs);
}

/* Checks member key of obj as an id and copies it to dst (OMS_ID_MAX + 1
 * bytes). A missing member is an error when required. Returns 1 if the
 * member is present, valid or not. */
static int
order_check_id(struct json_object *obj, const char *prefix, const char *key,
    int required, char *dst, struct order_errors *errs)
{
	struct json_object	*v;	/* borrowed */
	const char		*s;
	size_t			 len;

	dst[0] = '\0';
	if (!json_object_object_get_ex(obj, key, &v)) {
		if (required)
			order_fail(errs, prefix, key, "is required");
		return 0;
	}
	if (!json_object_is_type(v, json_type_string)) {
		order_fail(errs, prefix, key, "must be a string");
		return 1;
	}
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len == 0 || len > OMS_ID_MAX)
		order_fail(errs, prefix, key, "must be 1 to 64 characters long");
	else if (!order_id_valid(s, len))
		order_fail(errs, prefix, key,
		    "may contain only letters, digits and _ . : -");
	else
		memcpy(dst, s, len + 1);
	return 1;
}

/* Checks member key of obj as a quantity, an integer 1..10000. */
static void
order_check_quantity(struct json_object *obj, const char *prefix,
    const char *key, long *dst, struct order_errors *errs)
{
	struct json_object	*v;	/* borrowed */
	int64_t			 q;

	*dst = 0;
	if (!json_object_object_get_ex(obj, key, &v)) {
		order_fail(errs, prefix, key, "is required");
		return;
	}
	if (!json_object_is_type(v, json_type_int)) {
		order_fail(errs, prefix, key, "must be an integer");
		return;
	}
	q = json_object_get_int64(v);
	if (q < 1 || q > OMS_QUANTITY_MAX)
		order_fail(errs, prefix, key, "must be between 1 and 10000");
	else
		*dst = (long)q;
}

/* Checks the three item fields of obj (an object) into dst. */
static void
order_check_item_fields(struct json_object *obj, const char *prefix,
    struct oms_item *dst, struct order_errors *errs)
{
	order_check_id(obj, prefix, "productId", 1, dst->product_id, errs);
	order_check_id(obj, prefix, "variantId", 1, dst->variant_id, errs);
	order_check_quantity(obj, prefix, "quantity", &dst->quantity, errs);
}

/* Checks the "items" member of obj, known to be present. */
static void
order_check_items(struct json_object *obj, const char *prefix,
    struct oms_order_input *out, struct order_errors *errs)
{
	struct json_object	*arr;	/* borrowed */
	struct oms_item		 scratch;
	char			 ptr[ORDER_PTR_MAX];
	size_t			 i, n;

	json_object_object_get_ex(obj, "items", &arr);
	if (!json_object_is_type(arr, json_type_array)) {
		order_fail(errs, prefix, "items", "must be an array");
		return;
	}
	n = json_object_array_length(arr);
	if (n == 0 || n > OMS_ITEMS_MAX)
		order_fail(errs, prefix, "items", "must hold 1 to 100 items");
	for (i = 0; i < n; i++) {
		struct json_object *item = json_object_array_get_idx(arr, i);

		snprintf(ptr, sizeof(ptr), "%s/items/%zu", prefix, i);
		if (i < OMS_ITEMS_MAX)
			memset(&out->items[i], 0, sizeof(out->items[i]));
		if (!json_object_is_type(item, json_type_object)) {
			order_errors_add(errs, ptr, "must be an object");
			continue;
		}
		order_check_item_fields(item, ptr,
		    i < OMS_ITEMS_MAX ? &out->items[i] : &scratch, errs);
		order_check_unknown3(item, ptr, order_single_keys,
		    order_extra_item_keys, NULL, errs);
	}
	out->nitems = n < OMS_ITEMS_MAX ? n : OMS_ITEMS_MAX;
}

/* Resets in to an empty input without writing its large members (about
 * 150 KB, most of it per-item and metadata buffers): a body fills only
 * what it has, and every request pays for what it writes. */
static void
order_input_reset(struct oms_order_input *in)
{
	memset(in, 0, offsetof(struct oms_order_input, items));
	in->shipping_address.present = 0;
	in->billing_address.present = 0;
	in->metadata.present = 0;
	in->metadata.n = 0;
}

enum oms_err
order_validate_create(struct json_object *doc, int flags, const char *prefix,
    struct oms_order_input *out, struct order_errors *errs)
{
	size_t	 found = errs->found, i;
	int	 single = 0;

	order_input_reset(out);
	if (!json_object_is_type(doc, json_type_object)) {
		order_errors_add(errs, prefix, "must be a JSON object");
		return OMS_EINVAL;
	}
	order_check_id(doc, prefix, "customerId", 1, out->customer_id, errs);
	order_check_id(doc, prefix, "paymentMethodId", 1,
	    out->payment_method_id, errs);
	order_check_id(doc, prefix, "storeId", 0, out->store_id, errs);
	if (!(flags & ORDER_ITEMS_ONLY))
		for (i = 0; order_single_keys[i] != NULL; i++)
			if (json_object_object_get_ex(doc, order_single_keys[i],
			    NULL))
				single = 1;
	if (json_object_object_get_ex(doc, "items", NULL)) {
		order_check_items(doc, prefix, out, errs);
		for (i = 0; single && order_single_keys[i] != NULL; i++)
			if (json_object_object_get_ex(doc, order_single_keys[i],
			    NULL))
				order_fail(errs, prefix, order_single_keys[i],
				    "cannot be combined with items");
	} else if (single) {
		memset(&out->items[0], 0, sizeof(out->items[0]));
		order_check_item_fields(doc, prefix, &out->items[0], errs);
		out->nitems = 1;
	} else
		order_fail(errs, prefix, "items", "is required");
	order_extra_create(doc, flags, prefix, out, errs);
	order_check_unknown3(doc, prefix, order_create_keys,
	    order_extra_create_keys, (flags & ORDER_ITEMS_ONLY) ? NULL :
	    order_single_keys, errs);
	return errs->found == found ? OMS_OK : OMS_EINVAL;
}

enum oms_err
order_validate_update(struct json_object *doc, const char *prefix,
    struct oms_order_update *out, struct order_errors *errs)
{
	size_t	 found = errs->found;
	int	 any;

	memset(out, 0, offsetof(struct oms_order_update, metadata));
	out->metadata.present = 0;
	out->metadata.n = 0;
	if (!json_object_is_type(doc, json_type_object)) {
		order_errors_add(errs, prefix, "must be a JSON object");
		return OMS_EINVAL;
	}
	any = order_check_id(doc, prefix, "shipCompanyId", 0,
	    out->ship_company_id, errs);
	any |= order_check_id(doc, prefix, "trackingNumber", 0,
	    out->tracking_number, errs);
	any |= order_extra_update(doc, prefix, out, errs);
	if (!any && errs->found == found)
		order_errors_add(errs, prefix,
		    "must set shipCompanyId, trackingNumber or metadata");
	order_check_unknown(doc, prefix, order_extra_update_keys, errs);
	return errs->found == found ? OMS_OK : OMS_EINVAL;
}

enum oms_err
order_validate_delivered(struct json_object *doc, const char *prefix,
    struct oms_order_delivered *out, struct order_errors *errs)
{
	size_t	 found = errs->found;

	memset(out, 0, sizeof(*out));
	if (!json_object_is_type(doc, json_type_object)) {
		order_errors_add(errs, prefix, "must be a JSON object");
		return OMS_EINVAL;
	}
	order_check_id(doc, prefix, "trackingId", 1, out->tracking_id, errs);
	order_check_id(doc, prefix, "confirmationId", 1, out->confirmation_id,
	    errs);
	order_check_unknown(doc, prefix, order_delivered_keys, errs);
	return errs->found == found ? OMS_OK : OMS_EINVAL;
}

/* Parses body strictly into the owned *doc. On failure records the one
 * "malformed" error and returns -1. */
static int
order_parse_json(const char *body, size_t len, struct json_object **doc,
    struct order_errors *errs)
{
	char	 why[128], detail[160];

	order_errors_init(errs);
	if (json_parse_strict(body, len, doc, why, sizeof(why)) == OMS_OK)
		return 0;
	errs->malformed = 1;
	snprintf(detail, sizeof(detail), "malformed JSON: %s", why);
	order_errors_add(errs, "", detail);
	return -1;
}

enum oms_err
order_parse_create(const char *body, size_t len, int flags,
    struct oms_order_input *out, struct order_errors *errs)
{
	struct json_object	*doc;	/* owned */
	enum oms_err		 r;

	order_input_reset(out);
	if (order_parse_json(body, len, &doc, errs) == -1)
		return OMS_EINVAL;
	r = order_validate_create(doc, flags, "", out, errs);
	json_object_put(doc);
	return r;
}

enum oms_err
order_parse_update(const char *body, size_t len, struct oms_order_update *out,
    struct order_errors *errs)
{
	struct json_object	*doc;	/* owned */
	enum oms_err		 r;

	memset(out, 0, offsetof(struct oms_order_update, metadata));
	out->metadata.present = 0;
	out->metadata.n = 0;
	if (order_parse_json(body, len, &doc, errs) == -1)
		return OMS_EINVAL;
	r = order_validate_update(doc, "", out, errs);
	json_object_put(doc);
	return r;
}

enum oms_err
order_parse_delivered(const char *body, size_t len,
    struct oms_order_delivered *out, struct order_errors *errs)
{
	struct json_object	*doc;	/* owned */
	enum oms_err		 r;

	memset(out, 0, sizeof(*out));
	if (order_parse_json(body, len, &doc, errs) == -1)
		return OMS_EINVAL;
	r = order_validate_delivered(doc, "", out, errs);
	json_object_put(doc);
	return r;
}

/* Returns a new, owned, empty object; exits on out of memory. */
static struct json_object *
order_new_object(void)
{
	struct json_object	*o;

	if ((o = json_object_new_object()) == NULL)
		fatalx("order: out of memory");
	return o;
}

struct json_object *
order_input_to_json(const struct oms_order_input *in)
{
	struct json_object	*o, *arr;	/* owned; arr is given to o */
	size_t			 i;

	o = order_new_object();
	json_add_str(o, "customerId", in->customer_id);
	json_add_str(o, "paymentMethodId", in->payment_method_id);
	if (in->store_id[0] != '\0')
		json_add_str(o, "storeId", in->store_id);
	if ((arr = json_object_new_array()) == NULL)
		fatalx("order: out of memory");
	for (i = 0; i < in->nitems && i < OMS_ITEMS_MAX; i++) {
		struct json_object *it = order_new_object();	/* to arr */

		json_add_str(it, "productId", in->items[i].product_id);
		json_add_str(it, "variantId", in->items[i].variant_id);
		json_add_int(it, "quantity", in->items[i].quantity);
		if (json_object_array_add(arr, it) == -1)
			fatalx("order: out of memory");
	}
	if (json_object_object_add(o, "items", arr) == -1)
		fatalx("order: out of memory");
	order_extra_create_json(in, o);
	return o;
}

struct json_object *
order_update_to_json(const struct oms_order_update *up)
{
	struct json_object	*o = order_new_object();	/* owned */

	if (up->ship_company_id[0] != '\0')
		json_add_str(o, "shipCompanyId", up->ship_company_id);
	if (up->tracking_number[0] != '\0')
		json_add_str(o, "trackingNumber", up->tracking_number);
	if (up->metadata.present && json_object_object_add(o, "metadata",
	    metadata_to_json(&up->metadata)) == -1)
		fatalx("order: out of memory");
	return o;
}

struct json_object *
order_delivered_to_json(const struct oms_order_delivered *dl)
{
	struct json_object	*o = order_new_object();	/* owned */

	json_add_str(o, "trackingId", dl->tracking_id);
	json_add_str(o, "confirmationId", dl->confirmation_id);
	return o;
}
