/*
 * text.c — the rule for free text (text.h). The UTF-8 decoder follows the
 * table of well-formed byte sequences in RFC 3629 section 4, so that an
 * overlong form or an encoded surrogate is refused here even though the
 * JSON parser in front has checked the encoding already: the worker runs
 * the same rule on what it consumes, and this module trusts nobody.
 */
#include <stdint.h>

#include "text.h"

/* Decodes the sequence at s (n bytes left) into *cp. Returns its length
 * 1..4, or 0 when it is not well-formed. */
static size_t
text_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	size_t		 len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		*cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		*cp = s[0] & 0x0f;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		*cp = s[0] & 0x07;
		if (s[0] == 0xf0)
			lo = 0x90;	/* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xbf))
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return len;
}

const char *
text_check(const char *s, size_t len, size_t min, size_t max)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n = 0, k;
	uint32_t		 cp;

	while (i < len) {
		if ((k = text_decode(p + i, len - i, &cp)) == 0)
			return "must be valid UTF-8";
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return "must not contain control characters";
		i += k;
		n++;
	}
	if (n < min || n > max)
		return "has the wrong length";
	return NULL;
}

size_t
text_chars(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, n = 0;

	for (i = 0; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			n++;
	return n;
}
