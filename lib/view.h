/*
 * The API representation of orders, built from what Redis holds
 * (docs/redis.md): the order hash (whose "~"-prefixed history fields it
 * skips, as it skips every field the API does not show) and the pending
 * record of an accepted create. Events come as the API shows them from the
 * Function oms_events.
 */
#ifndef OMS_VIEW_H
#define OMS_VIEW_H

#include <json-c/json.h>

#include "store.h"

/* The order (an owned object) from an HGETALL reply of oms:order:<id>, or
 * NULL when the reply holds no fields (no such order). */
struct json_object *view_order_from_hash(const struct store_reply *r);

/* The order (an owned object) from the JSON text of oms:pending:<id>, or
 * NULL when it does not parse. */
struct json_object *view_order_from_pending(const char *text, size_t len);

/* Adds to o the money, address, email and metadata members of src (a
 * canonical create object, borrowed), in the representation's order and
 * with its empty values for those src lacks: the pending view. */
void	view_add_money(struct json_object *o, struct json_object *src);

/* Borrowed string member of an order object, or NULL. */
const char *view_str(struct json_object *order, const char *key);

#endif
