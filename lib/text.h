/*
 * Free text from customers (names, address lines, metadata values): UTF-8
 * that is valid and bounded in characters, without control characters.
 * Pure.
 */
#ifndef OMS_TEXT_H
#define OMS_TEXT_H

#include <stddef.h>

/* The bytes a text of n characters may need, its NUL included. */
#define TEXT_SIZE(n)	((n) * 4 + 1)

/*
 * Checks the len bytes at s: valid UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), no control character (U+0000..
 * U+001F, U+007F..U+009F: a line break in an address line breaks labels
 * and logs) and min..max characters (code points). Returns NULL when it
 * passes, or a static detail ("must be valid UTF-8", "must not contain
 * control characters", "has the wrong length") for the first rule broken.
 */
const char *text_check(const char *s, size_t len, size_t min, size_t max);

/* Returns the number of code points in the len bytes of valid UTF-8 at s. */
size_t	text_chars(const char *s, size_t len);

#endif
