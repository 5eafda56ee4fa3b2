/*
 * libFuzzer target for lib/jsonw.c against json-c, differentially: the
 * writer must print what json-c prints, byte for byte, since GET /orders
 * promises the documents of the json-c path (docs/redis.md).
 *
 * The first byte picks what the rest is: even, a stored JSON text that
 * jsonw_stored() re-prints (an array if the byte is 0 mod 4, else an
 * object); odd, a string for jsonw_str(). The target abort()s when:
 *  - jsonw_str() differs from json-c's printing of the same bytes;
 *  - jsonw_stored() printed a text (returned 0) that json-c parses to
 *    another document, or to nothing, or of another type;
 *  - jsonw_stored() handed a text back (1) but left the buffer changed;
 *  - the buffer's length or bound is broken (len > cap, len > max).
 * Texts holding a NUL are skipped for jsonw_stored(): json-c reads up to
 * the NUL and lib/view.c never passes them (it lets json-c do them).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jsonw.h"

#define CHECK(cond)	do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz_jsonw: %s:%d: check failed: %s\n",\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

static void
fuzz_str(const char *s, size_t n)
{
	struct json_object *o = json_object_new_string_len(s, (int)n);
	struct jsonw w;
	const char *want;
	size_t len;

	want = json_dump(o, &len);
	jsonw_init(&w, 1 << 20);
	CHECK(jsonw_str(&w, s, n) == 0);
	CHECK(w.len == len && memcmp(w.buf, want, len) == 0);
	CHECK(w.len <= w.cap && w.cap <= w.max);
	jsonw_free(&w);
	json_object_put(o);
}

static void
fuzz_stored(const char *s, size_t n, int want_array)
{
	struct json_object *o;
	struct jsonw w;
	char *text;
	int rc;

	if (memchr(s, '\0', n) != NULL)
		return;
	jsonw_init(&w, 1 << 20);
	CHECK(jsonw_raw(&w, "<", 1) == 0);
	rc = jsonw_stored(&w, s, n, want_array);
	CHECK(rc == 0 || rc == 1);
	CHECK(w.len <= w.cap && w.cap <= w.max);
	if (rc == 1)
		CHECK(w.len == 1);
	if (rc == 0) {
		const char *want;
		size_t len;

		text = malloc(n + 1);
		CHECK(text != NULL);
		memcpy(text, s, n);
		text[n] = '\0';
		o = json_tokener_parse(text);
		free(text);
		CHECK(o != NULL);
		CHECK(json_object_is_type(o, want_array ? json_type_array :
		    json_type_object));
		want = json_dump(o, &len);
		CHECK(w.len == len + 1 && memcmp(w.buf + 1, want, len) == 0);
		json_object_put(o);
	}
	jsonw_free(&w);
}

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > 65536)
		return 0;
	if (data[0] % 2 == 1)
		fuzz_str((const char *)data + 1, size - 1);
	else
		fuzz_stored((const char *)data + 1, size - 1, data[0] % 4 == 0);
	return 0;
}
