/*
 * metadata.c — the metadata object of an order (metadata.h). Keys are
 * ASCII and short so that they can be shown in a pointer, a log line or a
 * redis-cli listing as they are; values are free text without control
 * characters. Duplicate keys cannot reach here: the strict JSON parser
 * refuses them. The limit of 20 keys applies to a document and, for a
 * PATCH, to the order once patched (metadata_count_after(), which oms-fcgi
 * checks before publishing and the Redis Function again when applying).
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "metadata.h"
#include "order.h"
#include "order_impl.h"

int
metadata_key_valid(const char *s, size_t len)
{
	size_t	 i;

	if (s == NULL || len == 0 || len > METADATA_KEY_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

int
metadata_validate(struct json_object *v, const char *ptr, int flags,
    struct oms_metadata *out, struct order_errors *errs)
{
	size_t	 found = errs->found;
	char	 kptr[ORDER_PTR_MAX];

	out->present = 1;	/* e[] is 10 KB: written only as filled */
	out->n = 0;
	if (!json_object_is_type(v, json_type_object)) {
		order_errors_add(errs, ptr, "must be an object of strings");
		return -1;
	}
	if (json_object_object_length(v) > METADATA_KEYS_MAX)
		order_errors_add(errs, ptr, "may have at most 20 keys");
	json_object_object_foreach(v, key, val) {
		size_t klen = strlen(key), vlen;
		const char *why;
		struct oms_metadata_entry *e;

		if (!metadata_key_valid(key, klen)) {
			if (order_pointer(kptr, sizeof(kptr), ptr, key) == -1)
				order_errors_add(errs, ptr, "has a key longer "
				    "than 40 characters");
			else
				order_errors_add(errs, kptr, "is not a valid "
				    "key: 1 to 40 of letters, digits and _ . -");
			continue;
		}
		order_pointer(kptr, sizeof(kptr), ptr, key);	/* fits */
		if (val == NULL && (flags & METADATA_PATCH)) {
			why = NULL;
			vlen = 0;
		} else if (!json_object_is_type(val, json_type_string)) {
			order_errors_add(errs, kptr, flags & METADATA_PATCH ?
			    "must be a string, or null to remove the key" :
			    "must be a string");
			continue;
		} else {
			vlen = (size_t)json_object_get_string_len(val);
			why = text_check(json_object_get_string(val), vlen, 0,
			    METADATA_VALUE_MAX);
		}
		if (why != NULL) {
			order_errors_add(errs, kptr, strcmp(why,
			    "has the wrong length") == 0 ?
			    "must be at most 500 characters long" : why);
			continue;
		}
		if (out->n == METADATA_KEYS_MAX)
			continue;	/* reported above */
		e = &out->e[out->n++];
		memcpy(e->key, key, klen + 1);
		e->remove = val == NULL;
		if (val == NULL)
			e->value[0] = '\0';
		else
			memcpy(e->value, json_object_get_string(val), vlen + 1);
	}
	return errs->found == found ? 0 : -1;
}

struct json_object *
metadata_to_json(const struct oms_metadata *m)
{
	struct json_object	*o;	/* owned */
	size_t			 i;

	if ((o = json_object_new_object()) == NULL)
		fatalx("metadata: out of memory");
	for (i = 0; i < m->n; i++)
		json_add_str(o, m->e[i].key, m->e[i].remove ? NULL :
		    m->e[i].value);
	return o;
}

size_t
metadata_count_after(struct json_object *current,
    const struct oms_metadata *patch)
{
	size_t	 n = 0, i;

	if (json_object_is_type(current, json_type_object))
		n = (size_t)json_object_object_length(current);
	for (i = 0; i < patch->n; i++) {
		int had = json_object_is_type(current, json_type_object) &&
		    json_object_object_get_ex(current, patch->e[i].key, NULL);

		if (patch->e[i].remove && had)
			n--;
		else if (!patch->e[i].remove && !had)
			n++;
	}
	return n;
}
