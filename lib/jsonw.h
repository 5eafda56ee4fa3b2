/*
 * A JSON writer without trees: a bounded, growing byte buffer and the
 * one string escaper the API's documents go through, byte for byte the
 * serialisation of json-c (JSON_C_TO_STRING_PLAIN | NOSLASHESCAPE) that
 * lib/json.c's json_dump() gives, so a document written here equals the
 * one json-c would have printed.
 */
#ifndef OMS_JSONW_H
#define OMS_JSONW_H

#include <stddef.h>

/* A buffer the caller owns (on its stack, say): jsonw_init() it, write,
 * read buf[0..len), jsonw_free() it. err is sticky: once a write would
 * have grown the buffer beyond max, every later write does nothing and
 * returns -1, and the document is not to be used. */
struct jsonw {
	char	*buf;		/* owned; NULL until the first write */
	size_t	 len;
	size_t	 cap;
	size_t	 max;
	int	 err;
};

/* Empties w, which will never hold more than max bytes. No allocation. */
void	jsonw_init(struct jsonw *w, size_t max);

/* Frees w's buffer; w may then be jsonw_init()ed again. */
void	jsonw_free(struct jsonw *w);

/* Each appends to w and returns 0, or -1 (w->err set) if it does not fit.
 * jsonw_raw: n bytes as they are (JSON the caller vouches for);
 * jsonw_lit: a C string as it is;
 * jsonw_str: the n bytes at s as a JSON string, quoted and escaped as
 *   json-c does it: \" \\ \b \f \n \r \t, other bytes below 0x20 (NUL
 *   included) as \u00xx in lower-case hex, every other byte as it is
 *   ('/', DEL, and bytes >= 0x80 even when they are not valid UTF-8,
 *   which json-c also passes through);
 * jsonw_int: a decimal integer, as json-c prints an int64;
 * jsonw_strz: s as jsonw_str up to its NUL, or null when s is NULL. */
int	jsonw_raw(struct jsonw *w, const char *s, size_t n);
int	jsonw_lit(struct jsonw *w, const char *s);
int	jsonw_str(struct jsonw *w, const char *s, size_t n);
int	jsonw_strz(struct jsonw *w, const char *s);
int	jsonw_int(struct jsonw *w, long long v);

/*
 * Appends the JSON text of n bytes at text (an array if want_array, else
 * an object) in the form json-c's parse-and-print would give it: without
 * whitespace, "\/" as '/', \u escapes decoded to UTF-8 and the result
 * escaped as jsonw_str does, integers as jsonw_int prints them. Returns 0;
 * 1 when the text is outside what this reproduces exactly — not strict
 * RFC 8259 JSON, another top-level type, a fraction or an exponent, an
 * integer of more than 18 digits, \u0000, a surrogate escape, a raw
 * control character, a duplicate key, an object of more than 32 members
 * or nesting deeper than 16 — with w as it was, so the caller can let
 * json-c do it; -1 when w is full.
 */
int	jsonw_stored(struct jsonw *w, const char *text, size_t n,
	    int want_array);

#endif
