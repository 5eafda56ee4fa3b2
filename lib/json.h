/*
 * Small helpers over json-c: strict parsing with limits, typed member
 * access, and serialisation. json-c objects are reference counted: the
 * functions below say which references they return (owned: release with
 * json_object_put(); borrowed: valid while the parent lives).
 */
#ifndef OMS_JSON_H
#define OMS_JSON_H

#include <stddef.h>
#include <json-c/json.h>

#include "err.h"

#define OMS_JSON_MAX_DEPTH	16

/* Parses exactly len bytes of buf as one JSON value: strict RFC 8259
 * syntax, valid UTF-8, nesting at most OMS_JSON_MAX_DEPTH, nothing but
 * whitespace after the value, no NUL bytes. On success *out is an owned
 * reference. On failure returns OMS_EINVAL and writes a reason, with the
 * byte offset, to err. */
enum oms_err json_parse_strict(const char *buf, size_t len,
	    struct json_object **out, char *err, size_t errlen);

/* Borrowed member lookups: NULL (or the given fallback) when obj is not an
 * object, the key is missing, or the member has another type. */
const char	*json_get_str(struct json_object *obj, const char *key);
struct json_object *json_get_obj(struct json_object *obj, const char *key);
struct json_object *json_get_arr(struct json_object *obj, const char *key);

/* Adds key=value to obj (an object); value is copied. A NULL value adds
 * JSON null. */
void	json_add_str(struct json_object *obj, const char *key, const char *value);
void	json_add_int(struct json_object *obj, const char *key, long long value);
void	json_add_bool(struct json_object *obj, const char *key, int value);

/* Serialises obj compactly, without escaping '/'. The string is borrowed
 * from obj (freed with it); *len receives its length when len != NULL. */
const char *json_dump(struct json_object *obj, size_t *len);

#endif
