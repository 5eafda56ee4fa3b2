/*
 * order_extra.c — the members of an order that carry money, addresses and
 * metadata (DESIGN.md section 10), beside the ids and items of order.c.
 *
 * Money is all or none: either the order has a currency and every item a
 * unitPrice, or neither, and then no amount may be given either (an order
 * without prices is the study's, and stays valid unless the operator sets
 * OMS_REQUIRE_PRICES). oms computes each line's total, the subtotal and
 * the total (lib/money.c); a body may send them too, and then each must
 * equal what oms computed, which catches a checkout that added up wrongly.
 * A command (flag ORDER_COMPUTED) must send them. An amount that does not
 * add up within 0..2^53 - 1 is reported at the member that made it fail:
 * the line for unitPrice x quantity, /items for the subtotal,
 * /shippingTotal or /taxTotal for an overflow, /discountTotal for a total
 * below zero.
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "order_impl.h"

const char *const order_extra_create_keys[] = {
	"email", "currency", "subtotal", "shippingTotal", "taxTotal",
	"discountTotal", "total", "shippingAddress", "billingAddress",
	"metadata", NULL
};
const char *const order_extra_item_keys[] = {
	"name", "unitPrice", "total", NULL
};
const char *const order_extra_update_keys[] = {
	"shipCompanyId", "trackingNumber", "metadata",
	/* the rest cannot change: order_extra_update() says so */
	"customerId", "paymentMethodId", "storeId", "items", "productId",
	"variantId", "quantity", "email", "currency", "subtotal",
	"shippingTotal", "taxTotal", "discountTotal", "total",
	"shippingAddress", "billingAddress", "orderNumber", NULL
};

#define AMOUNT_RANGE	"must be an integer from 0 to 9007199254740991 " \
			"(minor units)"
#define PRICE_RANGE	"must be an integer from 0 to 1000000000000 " \
			"(minor units)"

/* Reads member key of obj as an amount 0..max into *dst. Returns 1 if it
 * is present (valid or not), 0 if absent; *ok says whether it is valid. */
static int
extra_amount(struct json_object *obj, const char *prefix, const char *key,
    int64_t max, const char *range, int64_t *dst, int *ok,
    struct order_errors *errs)
{
	struct json_object	*v;	/* borrowed */
	int64_t			 a;

	*dst = 0;
	*ok = 0;
	if (!json_object_object_get_ex(obj, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int)) {
		order_fail(errs, prefix, key, "must be an integer (minor units)");
		return 1;
	}
	/* json-c reads an integer beyond int64_t as INT64_MAX or, above
	 * INT64_MAX, as a uint64_t that json_object_get_int64() clamps */
	a = json_object_get_int64(v);
	if (a < 0 || a > max) {
		order_fail(errs, prefix, key, range);
		return 1;
	}
	*dst = a;
	*ok = 1;
	return 1;
}

/* What the items of a create hold beside their ids. */
struct extra_items {
	size_t	 priced;	/* items with a unitPrice, valid or not */
	size_t	 totals;	/* items with a total */
	int	 bad;		/* an invalid unitPrice, name or total */
	int64_t	 given[OMS_ITEMS_MAX];	/* their totals, -1 when absent */
};

/* Checks name, unitPrice and total of each item of doc's "items" array. */
static void
extra_items(struct json_object *doc, const char *prefix,
    struct oms_order_input *out, struct extra_items *xi,
    struct order_errors *errs)
{
	struct json_object	*arr, *it, *v;	/* borrowed */
	char			 ptr[ORDER_PTR_MAX], detail[64];
	const char		*why;
	size_t			 i, n, len;
	int			 ok;

	memset(xi, 0, sizeof(*xi));
	if (!json_object_object_get_ex(doc, "items", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return;
	n = json_object_array_length(arr);
	for (i = 0; i < n && i < OMS_ITEMS_MAX; i++) {
		struct oms_item *item = &out->items[i];

		xi->given[i] = -1;
		it = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(it, json_type_object))
			continue;
		snprintf(ptr, sizeof(ptr), "%s/items/%zu", prefix, i);
		if (json_object_object_get_ex(it, "name", &v)) {
			len = (size_t)json_object_get_string_len(v);
			if (!json_object_is_type(v, json_type_string))
				why = "must be a string";
			else
				why = text_check(json_object_get_string(v),
				    len, 1, OMS_ITEM_NAME_MAX);
			if (why != NULL && strcmp(why, "has the wrong length") ==
			    0) {
				snprintf(detail, sizeof(detail), "must be 1 to "
				    "%d characters long", OMS_ITEM_NAME_MAX);
				why = detail;
			}
			if (why != NULL) {
				order_fail(errs, ptr, "name", why);
				xi->bad = 1;
			} else
				memcpy(item->name, json_object_get_string(v),
				    len + 1);
		}
		if (extra_amount(it, ptr, "unitPrice", MONEY_UNIT_PRICE_MAX,
		    PRICE_RANGE, &item->unit_price, &ok, errs)) {
			xi->priced++;
			xi->bad |= !ok;
		}
		if (extra_amount(it, ptr, "total", MONEY_MAX, AMOUNT_RANGE,
		    &xi->given[i], &ok, errs)) {
			xi->totals++;
			xi->bad |= !ok;
			if (!ok)
				xi->given[i] = -1;
		} else
			xi->given[i] = -1;
	}
}

/* Reports a computed member that a command must carry or that does not
 * equal what oms computed. */
static void
extra_computed(const char *prefix, const char *key, int present,
    int64_t given, int64_t computed, const char *rule, int flags,
    struct order_errors *errs)
{
	char	 detail[160];

	if (!present) {
		if (flags & ORDER_COMPUTED)
			order_fail(errs, prefix, key, "is required in a command");
		return;
	}
	if (given == computed)
		return;
	snprintf(detail, sizeof(detail), "must equal %s (%lld), or be left "
	    "out", rule, (long long)computed);
	order_fail(errs, prefix, key, detail);
}

/* The totals of a priced order whose members are valid. */
static void
extra_totals(struct json_object *doc, int flags, const char *prefix,
    struct oms_order_input *out, const struct extra_items *xi,
    struct order_errors *errs)
{
	int64_t		 unit[OMS_ITEMS_MAX], line[OMS_ITEMS_MAX], given;
	long		 qty[OMS_ITEMS_MAX];
	char		 ptr[ORDER_PTR_MAX];
	size_t		 i, bad;
	int		 ok, present;

	for (i = 0; i < out->nitems; i++) {
		unit[i] = out->items[i].unit_price;
		qty[i] = out->items[i].quantity;
	}
	switch (money_total(out->nitems, unit, qty, line, out->shipping_total,
	    out->tax_total, out->discount_total, &out->subtotal, &out->total,
	    &bad)) {
	case MONEY_OK:
		break;
	case MONEY_FAIL_LINE:
		snprintf(ptr, sizeof(ptr), "%s/items/%zu", prefix, bad);
		order_errors_add(errs, ptr, "unitPrice x quantity must not "
		    "exceed 9007199254740991");
		return;
	case MONEY_FAIL_SUBTOTAL:
		order_fail(errs, prefix, "items", "the subtotal must not exceed "
		    "9007199254740991");
		return;
	case MONEY_FAIL_SHIPPING:
		order_fail(errs, prefix, "shippingTotal", "subtotal + "
		    "shippingTotal must not exceed 9007199254740991");
		return;
	case MONEY_FAIL_TAX:
		order_fail(errs, prefix, "taxTotal", "subtotal + shippingTotal "
		    "+ taxTotal must not exceed 9007199254740991");
		return;
	case MONEY_FAIL_NEGATIVE:
		order_fail(errs, prefix, "discountTotal", "must not exceed "
		    "subtotal + shippingTotal + taxTotal: the total would be "
		    "negative");
		return;
	}
	for (i = 0; i < out->nitems; i++) {
		out->items[i].total = line[i];
		snprintf(ptr, sizeof(ptr), "%s/items/%zu", prefix, i);
		extra_computed(ptr, "total", xi->given[i] != -1, xi->given[i],
		    line[i], "unitPrice x quantity", flags, errs);
	}
	present = extra_amount(doc, prefix, "subtotal", MONEY_MAX,
	    AMOUNT_RANGE, &given, &ok, errs);
	if (!present || ok)
		extra_computed(prefix, "subtotal", present, given,
		    out->subtotal, "the sum of the items' totals", flags, errs);
	present = extra_amount(doc, prefix, "total", MONEY_MAX, AMOUNT_RANGE,
	    &given, &ok, errs);
	if (!present || ok)
		extra_computed(prefix, "total", present, given, out->total,
		    "subtotal + shippingTotal + taxTotal - discountTotal",
		    flags, errs);
}

/* The money members: currency, the prices, the amounts, all or none. */
static void
extra_money(struct json_object *doc, int flags, const char *prefix,
    struct oms_order_input *out, struct order_errors *errs)
{
	static const char *const computed[] = { "subtotal", "total", NULL };
	struct json_object	*v;	/* borrowed */
	struct extra_items	 xi;
	char			 ptr[ORDER_PTR_MAX];
	size_t			 found = errs->found, i;
	int			 has_cur, amounts = 0, ok, bad = 0;

	has_cur = json_object_object_get_ex(doc, "currency", &v);
	if (has_cur) {
		if (!json_object_is_type(v, json_type_string) ||
		    money_exponent(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v)) == -1) {
			order_fail(errs, prefix, "currency", "must be an active "
			    "ISO 4217 currency code in capitals (\"EUR\")");
			bad = 1;
		} else
			memcpy(out->currency, json_object_get_string(v),
			    MONEY_CODE_LEN + 1);
	}
	extra_items(doc, prefix, out, &xi, errs);
	amounts |= extra_amount(doc, prefix, "shippingTotal", MONEY_MAX,
	    AMOUNT_RANGE, &out->shipping_total, &ok, errs);
	bad |= amounts && !ok;
	if (extra_amount(doc, prefix, "taxTotal", MONEY_MAX, AMOUNT_RANGE,
	    &out->tax_total, &ok, errs)) {
		amounts = 1;
		bad |= !ok;
	}
	if (extra_amount(doc, prefix, "discountTotal", MONEY_MAX, AMOUNT_RANGE,
	    &out->discount_total, &ok, errs)) {
		amounts = 1;
		bad |= !ok;
	}

	if (!has_cur && xi.priced == 0) {
		/* unpriced: nothing about money may be given */
		if (flags & ORDER_REQUIRE_PRICES) {
			order_fail(errs, prefix, "currency", "is required: this "
			    "service requires prices");
			if (!json_object_object_get_ex(doc, "items", NULL))
				order_fail(errs, prefix, "items", "is required, "
				    "with a unitPrice each: this service "
				    "requires prices");
			for (i = 0; json_object_object_get_ex(doc, "items",
			    NULL) && i < out->nitems; i++) {
				snprintf(ptr, sizeof(ptr), "%s/items/%zu",
				    prefix, i);
				order_fail(errs, ptr, "unitPrice", "is "
				    "required: this service requires prices");
			}
			return;
		}
		if (amounts || xi.totals > 0)
			order_fail(errs, prefix, "currency", "is required when "
			    "the order gives amounts");
		for (i = 0; computed[i] != NULL; i++)
			if (json_object_object_get_ex(doc, computed[i], NULL))
				order_fail(errs, prefix, computed[i], "is only "
				    "for an order with prices");
		return;
	}
	if (!has_cur)
		order_fail(errs, prefix, "currency", "is required when items "
		    "have a unitPrice");
	else if (xi.priced < out->nitems) {
		for (i = 0; i < out->nitems; i++) {
			struct json_object *arr, *it;

			if (!json_object_object_get_ex(doc, "items", &arr) ||
			    !json_object_is_type(arr, json_type_array))
				break;	/* the single-product form */
			it = json_object_array_get_idx(arr, i);
			if (!json_object_is_type(it, json_type_object) ||
			    json_object_object_get_ex(it, "unitPrice", NULL))
				continue;
			snprintf(ptr, sizeof(ptr), "%s/items/%zu", prefix, i);
			order_fail(errs, ptr, "unitPrice", "is required when "
			    "the order has a currency");
		}
		if (i == 0 && out->nitems > 0)
			order_fail(errs, prefix, "items", "must be given, with "
			    "a unitPrice each, when the order has a currency");
	}
	if (bad || xi.bad || errs->found != found)
		return;
	out->priced = 1;
	extra_totals(doc, flags, prefix, out, &xi, errs);
	if (errs->found != found)
		out->priced = 0;
}

void
order_extra_create(struct json_object *doc, int flags, const char *prefix,
    struct oms_order_input *out, struct order_errors *errs)
{
	struct json_object	*v;	/* borrowed */
	char			 ptr[ORDER_PTR_MAX];
	const char		*why;

	extra_money(doc, flags, prefix, out, errs);
	if (json_object_object_get_ex(doc, "shippingAddress", &v)) {
		snprintf(ptr, sizeof(ptr), "%s/shippingAddress", prefix);
		address_validate(v, ptr, &out->shipping_address, errs);
	} else if (flags & ORDER_REQUIRE_ADDRESS)
		order_fail(errs, prefix, "shippingAddress", "is required: this "
		    "service ships only to a given address");
	if (json_object_object_get_ex(doc, "billingAddress", &v)) {
		snprintf(ptr, sizeof(ptr), "%s/billingAddress", prefix);
		address_validate(v, ptr, &out->billing_address, errs);
	}
	if (json_object_object_get_ex(doc, "email", &v)) {
		if (!json_object_is_type(v, json_type_string))
			order_fail(errs, prefix, "email", "must be a string");
		else if ((why = address_email_check(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v))) != NULL)
			order_fail(errs, prefix, "email", why);
		else
			memcpy(out->email, json_object_get_string(v),
			    (size_t)json_object_get_string_len(v) + 1);
	}
	if (json_object_object_get_ex(doc, "metadata", &v)) {
		snprintf(ptr, sizeof(ptr), "%s/metadata", prefix);
		metadata_validate(v, ptr, 0, &out->metadata, errs);
	}
}

/* Adds an owned value to o; exits on out of memory. */
static void
extra_put(struct json_object *o, const char *key, struct json_object *v)
{
	if (json_object_object_add(o, key, v) == -1)
		fatalx("order: out of memory");
}

void
order_extra_create_json(const struct oms_order_input *in,
    struct json_object *o)
{
	struct json_object	*items = NULL;	/* borrowed from o */
	size_t			 i;

	if (in->email[0] != '\0')
		json_add_str(o, "email", in->email);
	json_object_object_get_ex(o, "items", &items);
	for (i = 0; i < in->nitems && items != NULL; i++) {
		struct json_object *it = json_object_array_get_idx(items, i);

		if (in->items[i].name[0] != '\0')
			json_add_str(it, "name", in->items[i].name);
		if (in->priced) {
			json_add_int(it, "unitPrice", in->items[i].unit_price);
			json_add_int(it, "total", in->items[i].total);
		}
	}
	if (in->priced) {
		json_add_str(o, "currency", in->currency);
		json_add_int(o, "subtotal", in->subtotal);
		json_add_int(o, "shippingTotal", in->shipping_total);
		json_add_int(o, "taxTotal", in->tax_total);
		json_add_int(o, "discountTotal", in->discount_total);
		json_add_int(o, "total", in->total);
	}
	if (in->shipping_address.present)
		extra_put(o, "shippingAddress",
		    address_to_json(&in->shipping_address));
	if (in->billing_address.present)
		extra_put(o, "billingAddress",
		    address_to_json(&in->billing_address));
	if (in->metadata.n > 0)
		extra_put(o, "metadata", metadata_to_json(&in->metadata));
}

int
order_extra_update(struct json_object *doc, const char *prefix,
    struct oms_order_update *out, struct order_errors *errs)
{
	struct json_object	*v;	/* borrowed */
	char			 ptr[ORDER_PTR_MAX];
	size_t			 i;

	/* order_extra_update_keys[3..] cannot change */
	for (i = 3; order_extra_update_keys[i] != NULL; i++)
		if (json_object_object_get_ex(doc, order_extra_update_keys[i],
		    NULL))
			order_fail(errs, prefix, order_extra_update_keys[i],
			    "cannot be changed after the order is created");
	if (!json_object_object_get_ex(doc, "metadata", &v))
		return 0;
	snprintf(ptr, sizeof(ptr), "%s/metadata", prefix);
	metadata_validate(v, ptr, METADATA_PATCH, &out->metadata, errs);
	return 1;
}
