/*
 * An order's metadata (the Stripe convention): an object of at most 20
 * string values, keys 1..40 of [A-Za-z0-9_.-], values 0..500 characters
 * of text (text.h). Set at create; changed by an admin's PATCH, where a
 * null value removes the key. Pure.
 */
#ifndef OMS_METADATA_H
#define OMS_METADATA_H

#include <stddef.h>
#include <json-c/json.h>

#include "text.h"

#define METADATA_KEYS_MAX	20
#define METADATA_KEY_MAX	40
#define METADATA_VALUE_MAX	500

struct order_errors;

struct oms_metadata_entry {
	char	 key[METADATA_KEY_MAX + 1];
	char	 value[TEXT_SIZE(METADATA_VALUE_MAX)];
	int	 remove;		/* null in a PATCH */
};

/* present: the member was in the document (an empty object counts). */
struct oms_metadata {
	int				 present;
	size_t				 n;
	struct oms_metadata_entry	 e[METADATA_KEYS_MAX];
};

/* Flags for metadata_validate(). */
#define METADATA_PATCH	0x01	/* a null value removes the key */

/* Returns 1 if the len bytes at s are a valid key, else 0. */
int	metadata_key_valid(const char *s, size_t len);

/* Checks v (borrowed; the member at pointer ptr) into *out, in document
 * order; only out->e[0..n) is written. Errors are appended to errs.
 * Returns 0 if valid, else -1. */
int	metadata_validate(struct json_object *v, const char *ptr, int flags,
	    struct oms_metadata *out, struct order_errors *errs);

/* Returns an owned object of the entries (null for a removal); release
 * with json_object_put(). */
struct json_object *metadata_to_json(const struct oms_metadata *m);

/* Returns the number of keys current (an object of strings, borrowed; NULL
 * for none) has once patch is applied. */
size_t	metadata_count_after(struct json_object *current,
	    const struct oms_metadata *patch);

#endif
