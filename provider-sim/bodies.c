/*
 * bodies.c — checks of the provider contract's request bodies (see
 * bodies.h). Every refusal says which member is wrong and what it must
 * be, so the problem document tells the client what to fix.
 */
#include <stdio.h>
#include <string.h>

#include "bodies.h"

int
bodies_id_valid(const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++)
		if (n >= BODIES_ID_MAX || s[n] <= ' ' || s[n] > '~')
			return 0;
	return n > 0;
}

static enum oms_err
bodies_object(struct json_object *body, char *err, size_t errlen)
{
	if (!json_object_is_type(body, json_type_object)) {
		snprintf(err, errlen, "the body must be a JSON object");
		return OMS_EINVAL;
	}
	return OMS_OK;
}

/* Borrows member key of body as an id into *out: required when req is
 * set, else *out is NULL when absent. */
static enum oms_err
bodies_id(struct json_object *body, const char *key, int req,
    const char **out, char *err, size_t errlen)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(body, key, &v) || v == NULL) {
		if (!req)
			return OMS_OK;
		snprintf(err, errlen, "%s is required", key);
		return OMS_EINVAL;
	}
	if (!json_object_is_type(v, json_type_string) ||
	    !bodies_id_valid(json_object_get_string(v))) {
		snprintf(err, errlen, "%s must be a string of 1 to %d printable "
		    "characters without spaces", key, BODIES_ID_MAX);
		return OMS_EINVAL;
	}
	*out = json_object_get_string(v);
	return OMS_OK;
}

/* Reads member key as an integer in min..max; *has is 0 when absent. */
static enum oms_err
bodies_int(struct json_object *body, const char *key, long long min,
    long long max, long long *out, int *has, char *err, size_t errlen)
{
	struct json_object *v;

	*has = 0;
	*out = 0;
	if (!json_object_object_get_ex(body, key, &v) || v == NULL)
		return OMS_OK;
	if (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < min || json_object_get_int64(v) > max) {
		snprintf(err, errlen, "%s must be an integer in %lld..%lld "
		    "(minor units)", key, min, max);
		return OMS_EINVAL;
	}
	*out = json_object_get_int64(v);
	*has = 1;
	return OMS_OK;
}

#define BODIES_AMOUNT_MAX	1000000000000000LL	/* 10^15 minor units */

enum oms_err
bodies_charge(struct json_object *body, struct bodies_charge *out, char *err,
    size_t errlen)
{
	struct json_object *v;
	const char *c;
	int has_amount;

	memset(out, 0, sizeof(*out));
	if (bodies_object(body, err, errlen) != OMS_OK ||
	    bodies_id(body, "orderId", 1, &out->order_id, err, errlen) ||
	    bodies_id(body, "paymentMethodId", 1, &out->payment_method_id, err,
	    errlen) ||
	    bodies_id(body, "customerId", 0, &out->customer_id, err, errlen) ||
	    bodies_int(body, "amount", 0, BODIES_AMOUNT_MAX, &out->amount,
	    &has_amount, err, errlen))
		return OMS_EINVAL;
	if (json_object_object_get_ex(body, "currency", &v) && v != NULL) {
		c = json_object_is_type(v, json_type_string) ?
		    json_object_get_string(v) : "";
		if (strlen(c) != 3 || strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
		    != 3) {
			snprintf(err, errlen, "currency must be an ISO 4217 "
			    "code of three capital letters");
			return OMS_EINVAL;
		}
		out->currency = c;
	}
	if (has_amount != (out->currency != NULL)) {
		snprintf(err, errlen, "amount and currency come together "
		    "(both for a priced order, neither for an unpriced one)");
		return OMS_EINVAL;
	}
	out->priced = has_amount;
	return OMS_OK;
}

enum oms_err
bodies_refund(struct json_object *body, struct bodies_refund *out, char *err,
    size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (bodies_object(body, err, errlen) != OMS_OK ||
	    bodies_id(body, "chargeId", 1, &out->charge_id, err, errlen) ||
	    bodies_id(body, "orderId", 1, &out->order_id, err, errlen) ||
	    bodies_int(body, "amount", 1, BODIES_AMOUNT_MAX, &out->amount,
	    &out->has_amount, err, errlen))
		return OMS_EINVAL;
	return OMS_OK;
}

enum oms_err
bodies_shipment(struct json_object *body, struct bodies_shipment *out,
    char *err, size_t errlen)
{
	struct json_object *v;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (bodies_object(body, err, errlen) != OMS_OK ||
	    bodies_id(body, "orderId", 1, &out->order_id, err, errlen))
		return OMS_EINVAL;
	if (!json_object_object_get_ex(body, "items", &v) ||
	    !json_object_is_type(v, json_type_array)) {
		snprintf(err, errlen, "items must be an array of objects");
		return OMS_EINVAL;
	}
	for (i = 0; i < json_object_array_length(v); i++)
		if (!json_object_is_type(json_object_array_get_idx(v, i),
		    json_type_object)) {
			snprintf(err, errlen, "items[%zu] must be an object", i);
			return OMS_EINVAL;
		}
	out->items = v;
	if (json_object_object_get_ex(body, "address", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_object)) {
			snprintf(err, errlen, "address must be an object");
			return OMS_EINVAL;
		}
		out->address = v;
	}
	return OMS_OK;
}

enum oms_err
bodies_void(struct json_object *body, char *err, size_t errlen)
{
	return bodies_object(body, err, errlen);
}
