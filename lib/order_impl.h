/*
 * What the files of the order module (order.c, order_extra.c, address.c,
 * metadata.c) share and nobody else needs: error recording at a member's
 * pointer, the unknown-field check, and the money, address and metadata
 * members of the create and update bodies (order_extra.c).
 */
#ifndef OMS_ORDER_IMPL_H
#define OMS_ORDER_IMPL_H

#include <json-c/json.h>

#include "order.h"

#define ORDER_PTR_MAX	sizeof(((struct order_error *)0)->pointer)

/* Records detail at prefix/key (key must fit: exits otherwise). */
void	order_fail(struct order_errors *errs, const char *prefix,
	    const char *key, const char *detail);

/* Reports each member of obj not named in known[] at its pointer. */
void	order_check_unknown(struct json_object *obj, const char *prefix,
	    const char *const known[], struct order_errors *errs);

/* The members of a create body beside the ids and the item ids (known to
 * order.c's unknown-field check through these lists). */
extern const char *const order_extra_create_keys[];
extern const char *const order_extra_item_keys[];
/* Every member an update body may name, changeable or not. */
extern const char *const order_extra_update_keys[];

/* Validates the money, address and metadata members of doc (an object)
 * into out, whose ids and items order.c has filled; flags as for
 * order_validate_create(). Errors are appended to errs. */
void	order_extra_create(struct json_object *doc, int flags,
	    const char *prefix, struct oms_order_input *out,
	    struct order_errors *errs);

/* Adds those members of in to o, the canonical create object (the item
 * objects are its "items" array, in order). */
void	order_extra_create_json(const struct oms_order_input *in,
	    struct json_object *o);

/* Validates metadata (null removes a key) and refuses the members that
 * cannot change after create. Returns 1 if metadata is present. */
int	order_extra_update(struct json_object *doc, const char *prefix,
	    struct oms_order_update *out, struct order_errors *errs);

#endif
