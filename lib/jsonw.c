/*
 * jsonw.c — JSON written straight into a byte buffer, without json-c trees.
 *
 * The list of orders used to build a json-c object per order and print it;
 * that cost more than anything else in the request (docs/performance.md).
 * Here a document is appended piece by piece to one buffer that doubles
 * as it fills, up to a bound. Every string goes through jsonw_str(), which
 * escapes exactly as json-c's printer does (json_object.c, json_escape_str,
 * with JSON_C_TO_STRING_NOSLASHESCAPE), so the bytes do not change. The
 * JSON text Redis holds for items, addresses and metadata (written by the
 * Functions with cjson, which escapes '/' as "\/") is re-printed by
 * jsonw_stored() in one pass the way json-c's parse-and-print would; what
 * it is not sure to reproduce it hands back to the caller, untouched.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "xmalloc.h"

#define JSONW_CAP_MIN		4096
#define JSONW_DEPTH_MAX		16
#define JSONW_KEYS_MAX		32
#define JSONW_INT_DIGITS_MAX	18	/* always fits an int64 */

void
jsonw_init(struct jsonw *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max;
}

void
jsonw_free(struct jsonw *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

/* Makes room for n more bytes. Returns 0, or -1 (sticky) beyond max. */
static int
jsonw_room(struct jsonw *w, size_t n)
{
	size_t cap;

	if (w->err)
		return -1;
	if (n <= w->cap - w->len)
		return 0;
	if (n > w->max - w->len) {
		w->err = 1;
		return -1;
	}
	for (cap = w->cap > 0 ? w->cap : JSONW_CAP_MIN; cap - w->len < n; )
		cap = cap > w->max / 2 ? w->max : cap * 2;
	if (cap > w->max)
		cap = w->max;
	w->buf = xrealloc(w->buf, cap, 1);
	w->cap = cap;
	return 0;
}

int
jsonw_raw(struct jsonw *w, const char *s, size_t n)
{
	if (jsonw_room(w, n) == -1)
		return -1;
	if (n > 0)
		memcpy(w->buf + w->len, s, n);
	w->len += n;
	return 0;
}

int
jsonw_lit(struct jsonw *w, const char *s)
{
	return jsonw_raw(w, s, strlen(s));
}

/* The short escape of byte c ('n' for a line feed), 'u' for \u00xx, or 0
 * for a byte written as it is. */
static char
jsonw_escape_of(unsigned char c)
{
	switch (c) {
	case '"':
		return '"';
	case '\\':
		return '\\';
	case '\b':
		return 'b';
	case '\f':
		return 'f';
	case '\n':
		return 'n';
	case '\r':
		return 'r';
	case '\t':
		return 't';
	default:
		return c < 0x20 ? 'u' : 0;
	}
}

/* Appends the n bytes at s escaped, without the quotes. */
static int
jsonw_escaped(struct jsonw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t	 i = 0, run;
	char	 e, seq[6];

	while (i < n) {
		for (run = i; run < n &&
		    jsonw_escape_of((unsigned char)s[run]) == 0; run++)
			;
		if (jsonw_raw(w, s + i, run - i) == -1)
			return -1;
		if ((i = run) == n)
			break;
		e = jsonw_escape_of((unsigned char)s[i]);
		seq[0] = '\\';
		seq[1] = e;
		if (e == 'u') {
			seq[2] = '0';
			seq[3] = '0';
			seq[4] = hex[((unsigned char)s[i] >> 4) & 0xf];
			seq[5] = hex[(unsigned char)s[i] & 0xf];
		}
		if (jsonw_raw(w, seq, e == 'u' ? 6 : 2) == -1)
			return -1;
		i++;
	}
	return 0;
}

int
jsonw_str(struct jsonw *w, const char *s, size_t n)
{
	if (jsonw_raw(w, "\"", 1) == -1 || jsonw_escaped(w, s, n) == -1)
		return -1;
	return jsonw_raw(w, "\"", 1);
}

int
jsonw_strz(struct jsonw *w, const char *s)
{
	return s == NULL ? jsonw_raw(w, "null", 4) : jsonw_str(w, s, strlen(s));
}

int
jsonw_int(struct jsonw *w, long long v)
{
	char			 num[24], *p = num + sizeof(num);
	unsigned long long	 u = v < 0 ? 0ULL - (unsigned long long)v :
				    (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (v < 0)
		*--p = '-';
	return jsonw_raw(w, p, (size_t)(num + sizeof(num) - p));
}

/* ------------------------------------------------------------------ */
/* jsonw_stored: the stored JSON text re-printed. Each step returns 0, 1
 * (not reproduced: give up) or -1 (w full). */

struct jsonw_in {
	const unsigned char	*p;
	size_t			 n;
	size_t			 off;
};

static int	jsonw_value(struct jsonw *, struct jsonw_in *, int);

static void
jsonw_ws(struct jsonw_in *in)
{
	while (in->off < in->n && (in->p[in->off] == ' ' ||
	    in->p[in->off] == '\t' || in->p[in->off] == '\n' ||
	    in->p[in->off] == '\r'))
		in->off++;
}

/* The 4 hex digits at in->off as a number, or -1. */
static long
jsonw_hex4(struct jsonw_in *in)
{
	long v = 0;

	if (in->n - in->off < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int c = in->p[in->off++];

		if (c >= '0' && c <= '9')
			v = v * 16 + (c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (c - 'A' + 10);
		else
			return -1;
	}
	return v;
}

/* Appends code point cp (1..0xffff, not a surrogate) as jsonw_str would
 * print its UTF-8 bytes. */
static int
jsonw_codepoint(struct jsonw *w, long cp)
{
	char	 u[3];

	if (cp < 0x80) {
		u[0] = (char)cp;
		return jsonw_escaped(w, u, 1);
	}
	if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		return jsonw_raw(w, u, 2);
	}
	u[0] = (char)(0xe0 | (cp >> 12));
	u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	u[2] = (char)(0x80 | (cp & 0x3f));
	return jsonw_raw(w, u, 3);
}

/* A string; in->off is at its opening quote. */
static int
jsonw_string(struct jsonw *w, struct jsonw_in *in)
{
	size_t	 run;
	long	 cp;
	char	 c;

	if (jsonw_raw(w, "\"", 1) == -1)
		return -1;
	for (in->off++; in->off < in->n; ) {
		for (run = in->off; run < in->n && in->p[run] != '"' &&
		    in->p[run] != '\\' && in->p[run] >= 0x20; run++)
			;
		if (jsonw_raw(w, (const char *)in->p + in->off,
		    run - in->off) == -1)
			return -1;
		if ((in->off = run) == in->n || in->p[run] < 0x20)
			return 1;
		if (in->p[run] == '"') {
			in->off++;
			return jsonw_raw(w, "\"", 1);
		}
		if (++in->off == in->n)
			return 1;
		c = (char)in->p[in->off++];
		if (c == '/')
			cp = '/';
		else if (c != 'u' && strchr("\"\\bfnrt", c) != NULL && c != 0) {
			char esc[2] = { '\\', c };

			if (jsonw_raw(w, esc, 2) == -1)
				return -1;
			continue;
		} else if (c != 'u' || (cp = jsonw_hex4(in)) <= 0 ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 1;
		if (jsonw_codepoint(w, cp) == -1)
			return -1;
	}
	return 1;
}

/* -?(0|[1-9][0-9]*) of at most JSONW_INT_DIGITS_MAX digits. */
static int
jsonw_number(struct jsonw *w, struct jsonw_in *in)
{
	long long	 v = 0;
	size_t		 digits = 0;
	int		 neg = 0;

	if (in->p[in->off] == '-') {
		neg = 1;
		in->off++;
	}
	while (in->off < in->n && in->p[in->off] >= '0' &&
	    in->p[in->off] <= '9') {
		if (digits > 0 && v == 0)
			return 1;		/* a leading zero */
		if (++digits > JSONW_INT_DIGITS_MAX)
			return 1;
		v = v * 10 + (in->p[in->off++] - '0');
	}
	if (digits == 0 || (in->off < in->n && (in->p[in->off] == '.' ||
	    in->p[in->off] == 'e' || in->p[in->off] == 'E')))
		return 1;
	return jsonw_int(w, neg ? -v : v);
}

/* Whether the key just written at w->buf[start..w->len) is one of the
 * object's earlier keys (escaped forms are equal iff the keys are). */
static int
jsonw_dup_key(const struct jsonw *w, const size_t *koff, const size_t *klen,
    size_t nkeys, size_t start)
{
	for (size_t i = 0; i < nkeys; i++)
		if (klen[i] == w->len - start &&
		    memcmp(w->buf + koff[i], w->buf + start, klen[i]) == 0)
			return 1;
	return 0;
}

/* An object or array; in->off is at '{' or '['. */
static int
jsonw_container(struct jsonw *w, struct jsonw_in *in, int depth)
{
	size_t	 koff[JSONW_KEYS_MAX], klen[JSONW_KEYS_MAX], nkeys = 0;
	int	 obj = in->p[in->off] == '{', rc;
	char	 close = obj ? '}' : ']';

	if (depth >= JSONW_DEPTH_MAX)
		return 1;
	if (jsonw_raw(w, obj ? "{" : "[", 1) == -1)
		return -1;
	in->off++;
	jsonw_ws(in);
	if (in->off < in->n && in->p[in->off] == close) {
		in->off++;
		return jsonw_raw(w, &close, 1);
	}
	for (;;) {
		if (obj) {
			size_t start = w->len;

			if (in->off == in->n || in->p[in->off] != '"' ||
			    nkeys == JSONW_KEYS_MAX)
				return 1;
			if ((rc = jsonw_string(w, in)) != 0)
				return rc;
			if (jsonw_dup_key(w, koff, klen, nkeys, start))
				return 1;
			koff[nkeys] = start;
			klen[nkeys++] = w->len - start;
			jsonw_ws(in);
			if (in->off == in->n || in->p[in->off] != ':')
				return 1;
			in->off++;
			if (jsonw_raw(w, ":", 1) == -1)
				return -1;
		}
		if ((rc = jsonw_value(w, in, depth + 1)) != 0)
			return rc;
		jsonw_ws(in);
		if (in->off < in->n && in->p[in->off] == close)
			break;
		if (in->off == in->n || in->p[in->off] != ',')
			return 1;
		in->off++;
		jsonw_ws(in);
		if (jsonw_raw(w, ",", 1) == -1)
			return -1;
	}
	in->off++;
	return jsonw_raw(w, &close, 1);
}

/* One value with its leading whitespace. */
static int
jsonw_value(struct jsonw *w, struct jsonw_in *in, int depth)
{
	static const char *const words[] = { "true", "false", "null" };

	jsonw_ws(in);
	if (in->off == in->n)
		return 1;
	switch (in->p[in->off]) {
	case '{':
	case '[':
		return jsonw_container(w, in, depth);
	case '"':
		return jsonw_string(w, in);
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return jsonw_number(w, in);
	}
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i]);

		if (in->n - in->off >= n &&
		    memcmp(in->p + in->off, words[i], n) == 0) {
			in->off += n;
			return jsonw_raw(w, words[i], n);
		}
	}
	return 1;
}

int
jsonw_stored(struct jsonw *w, const char *text, size_t n, int want_array)
{
	struct jsonw_in	 in = { (const unsigned char *)text, n, 0 };
	size_t		 mark = w->len;
	int		 rc;

	if (w->err)
		return -1;
	jsonw_ws(&in);
	if (in.off == in.n || in.p[in.off] != (want_array ? '[' : '{'))
		return 1;
	rc = jsonw_container(w, &in, 0);
	if (rc == 0) {
		jsonw_ws(&in);
		if (in.off != in.n)
			rc = 1;
	}
	if (rc == 1)
		w->len = mark;
	return rc;
}
