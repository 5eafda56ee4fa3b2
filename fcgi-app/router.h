/*
 * The router: matches a method and a raw request path against a table of
 * routes. Patterns are literal segments and "{name}" captures of one
 * non-empty segment. Pure: no I/O, no allocation.
 */
#ifndef OMS_ROUTER_H
#define OMS_ROUTER_H

#include <stddef.h>

#define ROUTER_MAX_CAPTURES	2
#define ROUTER_ALLOW_MAX	64

struct route {
	const char	*method;	/* "GET", "POST", ... */
	const char	*pattern;	/* "/orders/{id}/cancel" */
	void		*data;		/* the caller's (a handler) */
};

/* A capture borrows from the path given to router_match. */
struct route_capture {
	const char	*ptr;
	size_t		 len;
};

struct route_match {
	const struct route	*route;		/* ROUTE_FOUND only */
	struct route_capture	 captures[ROUTER_MAX_CAPTURES];
	int			 ncaptures;
	char			 allow[ROUTER_ALLOW_MAX]; /* for 405: "GET, HEAD" */
};

enum route_result {
	ROUTE_FOUND = 0,
	ROUTE_NOT_FOUND,
	ROUTE_METHOD_NOT_ALLOWED
};

/* Matches method and path (up to, not including, any '?') against the n
 * routes of table, first match wins. HEAD matches GET routes. On
 * ROUTE_METHOD_NOT_ALLOWED, m->allow lists the methods the path accepts. */
enum route_result router_match(const struct route *table, size_t n,
	    const char *method, const char *path, struct route_match *m);

#endif
