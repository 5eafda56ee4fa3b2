/*
 * router.c — table-driven request routing for oms-fcgi.
 *
 * A route's pattern is compared with the raw path (REQUEST_URI before the
 * query) segment by segment. Nothing is decoded: the ids oms uses never need
 * percent-encoding, so "/orders/a%2Fb" simply does not match a route with a
 * literal "%" and the handler validating {id} refuses it. When the path
 * matches some route but not with this method, the result is 405 and the
 * Allow header lists the methods that would match (RFC 9110 §15.5.6).
 */
#include <stdio.h>
#include <string.h>

#include "router.h"

/* Compares one pattern with path; fills captures. Returns 1 on a match. */
static int
router_path_matches(const char *pattern, const char *path, size_t pathlen,
    struct route_match *m)
{
	const char *p = pattern, *s = path, *end = path + pathlen;

	m->ncaptures = 0;
	while (*p != '\0' && s < end) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			const char *seg = s;

			if (close == NULL)
				return 0;
			while (s < end && *s != '/')
				s++;
			if (s == seg || m->ncaptures >= ROUTER_MAX_CAPTURES)
				return 0;
			m->captures[m->ncaptures].ptr = seg;
			m->captures[m->ncaptures].len = (size_t)(s - seg);
			m->ncaptures++;
			p = close + 1;
			continue;
		}
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
	return *p == '\0' && s == end;
}

static void
router_allow_add(char *allow, const char *method)
{
	size_t len = strlen(allow), mlen = strlen(method);
	const char *at = strstr(allow, method);

	/* already listed as a whole word? */
	while (at != NULL) {
		if ((at == allow || at[-1] == ' ') &&
		    (at[mlen] == '\0' || at[mlen] == ','))
			return;
		at = strstr(at + 1, method);
	}
	snprintf(allow + len, ROUTER_ALLOW_MAX - len, "%s%s",
	    len > 0 ? ", " : "", method);
}

enum route_result
router_match(const struct route *table, size_t n, const char *method,
    const char *path, struct route_match *m)
{
	const char *q = strchr(path, '?');
	size_t pathlen = q != NULL ? (size_t)(q - path) : strlen(path);
	int path_known = 0;

	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < n; i++) {
		struct route_match try;

		memset(&try, 0, sizeof(try));
		if (!router_path_matches(table[i].pattern, path, pathlen, &try))
			continue;
		path_known = 1;
		if (strcmp(table[i].method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 &&
		    strcmp(table[i].method, "GET") == 0)) {
			*m = try;
			m->route = &table[i];
			return ROUTE_FOUND;
		}
	}
	if (!path_known)
		return ROUTE_NOT_FOUND;
	for (size_t i = 0; i < n; i++) {
		struct route_match try;

		memset(&try, 0, sizeof(try));
		if (!router_path_matches(table[i].pattern, path, pathlen, &try))
			continue;
		router_allow_add(m->allow, table[i].method);
		if (strcmp(table[i].method, "GET") == 0)
			router_allow_add(m->allow, "HEAD");
	}
	return ROUTE_METHOD_NOT_ALLOWED;
}
