/*
 * Allocation that cannot fail: on exhaustion the process logs and exits
 * (a pre-forked child is then respawned by its master). Use these for
 * small, bounded allocations; sizes come from the program, not from input.
 */
#ifndef OMS_XMALLOC_H
#define OMS_XMALLOC_H

#include <stddef.h>

/* Each returns memory the caller owns; free it with free(). */
void	*xmalloc(size_t size);
void	*xcalloc(size_t nmemb, size_t size);	/* checks nmemb * size overflow */
void	*xrealloc(void *ptr, size_t nmemb, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
