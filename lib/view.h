/*
 * The API representation of orders and events, built from what Redis holds
 * (docs/redis.md): the order hash, the pending record of an accepted create,
 * and entries of the order's event stream.
 */
#ifndef OMS_VIEW_H
#define OMS_VIEW_H

#include <json-c/json.h>

#include "jsonw.h"
#include "store.h"

#define VIEW_ORDER_NFIELDS	26	/* members of an order (DESIGN §4, §10) */

/* An order hash indexed by member: v[i] is the value reply of member i
 * (borrowed from the HGETALL reply, which must outlive it), or NULL. */
struct view_order {
	const struct store_reply	*v[VIEW_ORDER_NFIELDS];
};

/* The order (an owned object) from an HGETALL reply of oms:order:<id>, or
 * NULL when the reply holds no fields (no such order). */
struct json_object *view_order_from_hash(const struct store_reply *r);

/* Indexes an HGETALL reply of oms:order:<id> in one pass over its
 * fields. Returns 0, or -1 when the reply holds no fields (no such
 * order); o then holds nothing. */
int	view_order_index(const struct store_reply *r, struct view_order *o);

/* The string value of member name as view_order_from_hash shows it (up
 * to a NUL; borrowed from the reply), or NULL for null: absent, empty or
 * not a member. */
const char *view_order_get(const struct view_order *o, const char *name);

/* Appends the order's JSON to w: byte for byte json_dump() of
 * view_order_from_hash() of the same reply, written without a tree (a
 * json-c tree only for a stored JSON member that jsonw_stored() does not
 * reproduce). Returns 0, or -1 when w is full. */
int	view_order_write(const struct view_order *o, struct jsonw *w);

/* The order (an owned object) from the JSON text of oms:pending:<id>, or
 * NULL when it does not parse. */
struct json_object *view_order_from_pending(const char *text, size_t len);

/* One event (owned) from an XRANGE entry [id, [field, value, ...]]. */
struct json_object *view_event(const struct store_reply *entry);

/* Adds to o the money, address, email and metadata members of src (a
 * canonical create object, borrowed), in the representation's order and
 * with its empty values for those src lacks: the pending view. */
void	view_add_money(struct json_object *o, struct json_object *src);

/* Borrowed string member of an order object, or NULL. */
const char *view_str(struct json_object *order, const char *key);

#endif
