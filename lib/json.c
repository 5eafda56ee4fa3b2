/*
 * JSON for oms: a strict front door to json-c and a few typed helpers.
 * json-c's JSON_TOKENER_STRICT still lets through things RFC 8259 forbids
 * (NaN and Infinity, "1." and "-01", single-quoted keys, raw control
 * characters in strings, UTF-8 encoded surrogates and overlong forms) and
 * silently keeps the last of duplicate object keys. So json_parse_strict()
 * first runs a small recursive-descent validator over the bytes — the
 * RFC 8259 grammar, RFC 3629 UTF-8, a nesting limit, and the oms policy of
 * refusing \u0000 and unpaired surrogate escapes, which cannot survive C
 * strings — and only then lets json-c (strict, UTF-8 validating) build
 * the tree. Duplicate keys are found cheaply: the validator counts object
 * members, and if the tree holds fewer, the input is scanned again, this
 * time remembering each object's keys, to report where the first
 * duplicate is. Every error names a byte offset into the input.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "log.h"

#define JSON_DUMP_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct json_scan {
	const unsigned char	*p;
	size_t			 len;
	size_t			 off;		/* next byte; at the error on failure */
	size_t			 members;	/* object members seen */
	const char		*why;		/* static reason on failure */
	struct json_tokener	*keytok;	/* non-NULL: find duplicate keys */
};

static int	json_scan_value(struct json_scan *, int);

static int
json_scan_fail(struct json_scan *s, const char *why)
{
	s->why = why;
	return -1;
}

/* Skips RFC 8259 whitespace: space, tab, line feed, carriage return. */
static void
json_scan_ws(struct json_scan *s)
{
	while (s->off < s->len && (s->p[s->off] == ' ' ||
	    s->p[s->off] == '\t' || s->p[s->off] == '\n' ||
	    s->p[s->off] == '\r'))
		s->off++;
}

/* Returns the length of the valid UTF-8 sequence at p (n > 0 bytes
 * available), or 0: overlong, surrogate, > U+10FFFF or cut short. */
static size_t
json_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	size_t		 need, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	need = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < need || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return need;
}

/* Reads the 4 hex digits of a \u escape at s->off; -1 if malformed. */
static long
json_scan_hex4(struct json_scan *s)
{
	long	 v = 0;
	size_t	 i;

	if (s->len - s->off < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		int c = s->p[s->off + i];

		if (c >= '0' && c <= '9')
			v = v * 16 + (c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (c - 'A' + 10);
		else
			return -1;
	}
	s->off += 4;
	return v;
}

/* Scans a string; s->off is at its opening quote (RFC 8259, section 7). */
static int
json_scan_string(struct json_scan *s)
{
	long	 cp;
	size_t	 k;

	for (s->off++; s->off < s->len; ) {
		unsigned char c = s->p[s->off];

		if (c == '"') {
			s->off++;
			return 0;
		}
		if (c < 0x20)
			return json_scan_fail(s, "control character in string");
		if (c >= 0x80) {
			if ((k = json_utf8_len(s->p + s->off,
			    s->len - s->off)) == 0)
				return json_scan_fail(s, "invalid UTF-8");
			s->off += k;
			continue;
		}
		if (c != '\\') {
			s->off++;
			continue;
		}
		if (++s->off == s->len)
			break;
		if (strchr("\"\\/bfnrt", s->p[s->off]) != NULL &&
		    s->p[s->off] != '\0') {
			s->off++;
			continue;
		}
		if (s->p[s->off++] != 'u' || (cp = json_scan_hex4(s)) == -1)
			return json_scan_fail(s, "invalid escape in string");
		if (cp == 0)
			return json_scan_fail(s, "\\u0000 is not allowed");
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return json_scan_fail(s, "unpaired surrogate escape");
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (s->len - s->off < 2 || s->p[s->off] != '\\' ||
			    s->p[s->off + 1] != 'u')
				return json_scan_fail(s,
				    "unpaired surrogate escape");
			s->off += 2;
			if ((cp = json_scan_hex4(s)) < 0xdc00 || cp > 0xdfff)
				return json_scan_fail(s,
				    "unpaired surrogate escape");
		}
	}
	return json_scan_fail(s, "unterminated string");
}

/* Scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
json_scan_number(struct json_scan *s)
{
#define DIGIT()	(s->off < s->len && s->p[s->off] >= '0' && s->p[s->off] <= '9')
	if (s->p[s->off] == '-')
		s->off++;
	if (!DIGIT())
		return json_scan_fail(s, "invalid number");
	if (s->p[s->off++] != '0')
		while (DIGIT())
			s->off++;
	if (s->off < s->len && s->p[s->off] == '.') {
		s->off++;
		if (!DIGIT())
			return json_scan_fail(s, "invalid number");
		while (DIGIT())
			s->off++;
	}
	if (s->off < s->len && (s->p[s->off] == 'e' || s->p[s->off] == 'E')) {
		s->off++;
		if (s->off < s->len &&
		    (s->p[s->off] == '+' || s->p[s->off] == '-'))
			s->off++;
		if (!DIGIT())
			return json_scan_fail(s, "invalid number");
		while (DIGIT())
			s->off++;
	}
	return 0;
#undef DIGIT
}

/* In duplicate-finding mode, adds the key scanned from start to s->off to
 * keys, failing if it is already there. */
static int
json_scan_key(struct json_scan *s, struct json_object *keys, size_t start)
{
	struct json_object	*k;	/* owned */
	int			 dup;

	json_tokener_reset(s->keytok);
	k = json_tokener_parse_ex(s->keytok, (const char *)s->p + start,
	    (int)(s->off - start));
	if (k == NULL)
		fatalx("json: cannot decode a key the validator accepted");
	dup = json_object_object_get_ex(keys, json_object_get_string(k), NULL);
	if (!dup && json_object_object_add(keys, json_object_get_string(k),
	    NULL) == -1)
		fatalx("json: out of memory");
	json_object_put(k);
	if (dup) {
		s->off = start;
		return json_scan_fail(s, "duplicate object key");
	}
	return 0;
}

/* Scans an object or array; s->off is at '{' or '['. depth counts the
 * containers around it. */
static int
json_scan_container(struct json_scan *s, int depth)
{
	struct json_object	*keys = NULL;	/* owned */
	int			 obj = (s->p[s->off] == '{');
	char			 close = obj ? '}' : ']';
	size_t			 start;

	if (depth >= OMS_JSON_MAX_DEPTH)
		return json_scan_fail(s, "nesting too deep");
	if (obj && s->keytok != NULL && (keys = json_object_new_object()) == NULL)
		fatalx("json: out of memory");
	s->off++;
	json_scan_ws(s);
	if (s->off < s->len && s->p[s->off] == close) {
		s->off++;
		json_object_put(keys);
		return 0;
	}
	for (;;) {
		if (obj) {
			if (s->off == s->len || s->p[s->off] != '"') {
				json_scan_fail(s, "expected a string key");
				goto fail;
			}
			start = s->off;
			if (json_scan_string(s) == -1)
				goto fail;
			if (keys != NULL && json_scan_key(s, keys, start) == -1)
				goto fail;
			s->members++;
			json_scan_ws(s);
			if (s->off == s->len || s->p[s->off] != ':') {
				json_scan_fail(s, "expected ':'");
				goto fail;
			}
			s->off++;
		}
		if (json_scan_value(s, depth + 1) == -1)
			goto fail;
		json_scan_ws(s);
		if (s->off < s->len && s->p[s->off] == close)
			break;
		if (s->off == s->len || s->p[s->off] != ',') {
			json_scan_fail(s, obj ? "expected ',' or '}'" :
			    "expected ',' or ']'");
			goto fail;
		}
		s->off++;
		json_scan_ws(s);
	}
	s->off++;
	json_object_put(keys);
	return 0;
fail:
	json_object_put(keys);
	return -1;
}

/* Scans one value with its leading whitespace. */
static int
json_scan_value(struct json_scan *s, int depth)
{
	static const char *const words[] = { "true", "false", "null" };
	size_t	 i;

	json_scan_ws(s);
	if (s->off == s->len)
		return json_scan_fail(s, "unexpected end of input");
	switch (s->p[s->off]) {
	case '{':
	case '[':
		return json_scan_container(s, depth);
	case '"':
		return json_scan_string(s);
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return json_scan_number(s);
	}
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i]);

		if (s->len - s->off >= n &&
		    memcmp(s->p + s->off, words[i], n) == 0) {
			s->off += n;
			return 0;
		}
	}
	return json_scan_fail(s, "unexpected character");
}

/* Scans the whole input: one value and optional whitespace. */
static int
json_scan_document(struct json_scan *s)
{
	if (json_scan_value(s, 0) == -1)
		return -1;
	json_scan_ws(s);
	if (s->off != s->len)
		return json_scan_fail(s, "trailing characters after the value");
	return 0;
}

/* Returns the number of object members in the tree under o. */
static size_t
json_count_members(struct json_object *o)
{
	size_t	 n = 0, i;

	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, val) {
			(void)key;
			n += 1 + json_count_members(val);
		}
	} else if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++)
			n += json_count_members(json_object_array_get_idx(o, i));
	}
	return n;
}

/* A JSON null document is returned as *out == NULL, json-c's null. */
enum oms_err
json_parse_strict(const char *buf, size_t len, struct json_object **out,
    char *err, size_t errlen)
{
	struct json_scan	 s;
	struct json_tokener	*tok = NULL;
	struct json_object	*obj = NULL;	/* owned */
	enum json_tokener_error	 jerr;
	const char		*nul;

	*out = NULL;
	memset(&s, 0, sizeof(s));
	s.p = (const unsigned char *)buf;
	s.len = len;
	if (len > INT_MAX - 1) {
		json_scan_fail(&s, "document too large");
		goto fail;
	}
	if (len > 0 && (nul = memchr(buf, '\0', len)) != NULL) {
		s.off = (size_t)(nul - buf);
		json_scan_fail(&s, "NUL byte");
		goto fail;
	}
	if (json_scan_document(&s) == -1)
		goto fail;

	if ((tok = json_tokener_new_ex(OMS_JSON_MAX_DEPTH + 1)) == NULL)
		fatalx("json: out of memory");
	json_tokener_set_flags(tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	/* A bare top-level number or literal waits for more input; a NUL
	 * byte ends it (json_tokener.h). */
	if ((jerr = json_tokener_get_error(tok)) == json_tokener_continue)
		obj = json_tokener_parse_ex(tok, "", 1);
	if ((jerr = json_tokener_get_error(tok)) != json_tokener_success) {
		s.off = json_tokener_get_parse_end(tok);
		json_scan_fail(&s, json_tokener_error_desc(jerr));
		goto fail;
	}

	if (json_count_members(obj) != s.members) {
		memset(&s, 0, sizeof(s));
		s.p = (const unsigned char *)buf;
		s.len = len;
		s.keytok = tok;
		if (json_scan_document(&s) == 0)
			json_scan_fail(&s, "object members lost by json-c");
		goto fail;
	}
	json_tokener_free(tok);
	*out = obj;
	return OMS_OK;
fail:
	json_object_put(obj);
	if (tok != NULL)
		json_tokener_free(tok);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s at byte offset %zu", s.why, s.off);
	return OMS_EINVAL;
}

/* Returns the borrowed member key of obj if it has type t, else NULL. */
static struct json_object *
json_get_typed(struct json_object *obj, const char *key, enum json_type t)
{
	struct json_object	*v;	/* borrowed */

	if (!json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, t))
		return NULL;
	return v;
}

const char *
json_get_str(struct json_object *obj, const char *key)
{
	struct json_object	*v = json_get_typed(obj, key, json_type_string);

	return v != NULL ? json_object_get_string(v) : NULL;
}

struct json_object *
json_get_obj(struct json_object *obj, const char *key)
{
	return json_get_typed(obj, key, json_type_object);
}

struct json_object *
json_get_arr(struct json_object *obj, const char *key)
{
	return json_get_typed(obj, key, json_type_array);
}

/* Gives obj the owned reference v under key; exits on out of memory.
 * Does nothing (releasing v) if obj is not an object. */
static void
json_add(struct json_object *obj, const char *key, struct json_object *v)
{
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(v);
		return;
	}
	if (json_object_object_add(obj, key, v) == -1)
		fatalx("json: out of memory");
}

void
json_add_str(struct json_object *obj, const char *key, const char *value)
{
	struct json_object	*v = NULL;	/* owned, then given to obj */

	if (value != NULL && (v = json_object_new_string(value)) == NULL)
		fatalx("json: out of memory");
	json_add(obj, key, v);
}

void
json_add_int(struct json_object *obj, const char *key, long long value)
{
	struct json_object	*v;	/* owned, then given to obj */

	if ((v = json_object_new_int64((int64_t)value)) == NULL)
		fatalx("json: out of memory");
	json_add(obj, key, v);
}

void
json_add_bool(struct json_object *obj, const char *key, int value)
{
	struct json_object	*v;	/* owned, then given to obj */

	if ((v = json_object_new_boolean(value != 0)) == NULL)
		fatalx("json: out of memory");
	json_add(obj, key, v);
}

/* json-c keeps the string in obj and frees it with obj. A NULL obj
 * serialises as "null". */
const char *
json_dump(struct json_object *obj, size_t *len)
{
	const char	*s;
	size_t		 n = 0;

	s = json_object_to_json_string_length(obj, JSON_DUMP_FLAGS, &n);
	if (s == NULL)
		fatalx("json: out of memory");
	if (len != NULL)
		*len = n;
	return s;
}
