/*
 * The request bodies of the provider contract (docs/providers.md),
 * checked field by field: the members the contract names must have their
 * types and ranges; members it does not name are ignored, as a gateway
 * adapter would. Pure: a parsed body in, borrowed fields out.
 */
#ifndef OMS_SIM_BODIES_H
#define OMS_SIM_BODIES_H

#include <stddef.h>
#include <json-c/json.h>

#include "err.h"

#define BODIES_ID_MAX	128	/* longest id or key accepted */

/* POST /charges. Strings are borrowed from the body. */
struct bodies_charge {
	const char	*order_id;
	const char	*payment_method_id;
	const char	*customer_id;	/* NULL when absent */
	const char	*currency;	/* NULL for an unpriced order */
	long long	 amount;	/* minor units; valid with currency */
	int		 priced;	/* amount and currency are present */
};

/* POST /refunds. */
struct bodies_refund {
	const char	*charge_id;
	const char	*order_id;
	long long	 amount;
	int		 has_amount;	/* 0: the whole charge */
};

/* POST /shipments. items and address are borrowed; address may be NULL. */
struct bodies_shipment {
	const char		*order_id;
	struct json_object	*items;
	struct json_object	*address;
};

/* Each checks body and fills out, returning OMS_OK; or OMS_EINVAL with a
 * sentence naming the member to fix in err. */
enum oms_err bodies_charge(struct json_object *body,
	    struct bodies_charge *out, char *err, size_t errlen);
enum oms_err bodies_refund(struct json_object *body,
	    struct bodies_refund *out, char *err, size_t errlen);
enum oms_err bodies_shipment(struct json_object *body,
	    struct bodies_shipment *out, char *err, size_t errlen);
/* POST /shipments/{id}/void: an object (its members are ignored). */
enum oms_err bodies_void(struct json_object *body, char *err, size_t errlen);

/* Returns 1 if s is an acceptable id or key: 1..BODIES_ID_MAX printable
 * ASCII characters, no space. */
int	bodies_id_valid(const char *s);

#endif
