/*
 * Allocation wrappers that never return NULL. oms processes are pre-forked
 * and restarted by their master, so running out of memory for a small,
 * program-sized allocation is handled by logging and exiting (fatalx)
 * rather than by an error path in every caller. Sizes derived from input
 * must be bounded by the caller before they get here. A zero size is
 * rounded up to one byte so that success always yields a unique pointer.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"

/* Returns size bytes of uninitialised memory; exits on failure. */
void *
xmalloc(size_t size)
{
	void	*p;

	if (size == 0)
		size = 1;
	if ((p = malloc(size)) == NULL)
		fatalx("xmalloc: cannot allocate %zu bytes", size);
	return p;
}

/* Returns nmemb * size zeroed bytes; exits on overflow or failure. */
void *
xcalloc(size_t nmemb, size_t size)
{
	void	*p;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	if (SIZE_MAX / nmemb < size)
		fatalx("xcalloc: %zu * %zu bytes overflows", nmemb, size);
	if ((p = calloc(nmemb, size)) == NULL)
		fatalx("xcalloc: cannot allocate %zu * %zu bytes", nmemb, size);
	return p;
}

/* Resizes ptr (which may be NULL) to nmemb * size bytes; exits on overflow
 * or failure, in which case ptr is left untouched. */
void *
xrealloc(void *ptr, size_t nmemb, size_t size)
{
	void	*p;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	if (SIZE_MAX / nmemb < size)
		fatalx("xrealloc: %zu * %zu bytes overflows", nmemb, size);
	if ((p = realloc(ptr, nmemb * size)) == NULL)
		fatalx("xrealloc: cannot allocate %zu * %zu bytes", nmemb, size);
	return p;
}

/* Returns a copy of the NUL-terminated s. */
char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

/* Returns a NUL-terminated copy of at most n bytes of s (stopping at a
 * NUL byte in s). */
char *
xstrndup(const char *s, size_t n)
{
	char	*p;
	size_t	 len;

	len = strnlen(s, n);
	if (len == SIZE_MAX)
		fatalx("xstrndup: length overflows");
	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Returns the printf-formatted string; exits on a formatting error. */
char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;
	int	 len, n;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		fatalx("xasprintf: invalid format");
	p = xmalloc((size_t)len + 1);
	va_start(ap, fmt);
	n = vsnprintf(p, (size_t)len + 1, fmt, ap);
	va_end(ap);
	if (n != len)
		fatalx("xasprintf: output changed between calls");
	return p;
}
