/*
 * The HTTP client of oms (the only module that includes libcurl): many
 * requests in flight in one thread over the curl multi interface, driven by
 * the caller's loop. One struct http per process, created after fork (a
 * multi handle and its connection cache are never shared across fork).
 *
 * A request goes in with http_submit; its completion callback runs later,
 * from http_dispatch, never from inside http_submit. The loop waits with
 * http_wait, which also watches the caller's own descriptors (the AMQP
 * sockets), then calls http_dispatch.
 */
#ifndef OMS_HTTP_H
#define OMS_HTTP_H

#include <poll.h>
#include <stddef.h>

#include "err.h"

#define HTTP_BODY_MAX	(1024 * 1024)	/* larger answers fail the call */

/* Once per program, before any fork (curl_global_init). 0 or -1. */
int	http_global_init(void);
void	http_global_cleanup(void);

struct http;

/* Creates a client. ca_file (may be NULL: the system's CA store) is the
 * file of trusted certificates for https. TLS peer and host verification
 * are always on; only http and https are spoken; redirects are not
 * followed. The caller owns the result; free it with http_free, which
 * abandons the requests in flight, calling each one's callback with status
 * 0 (so that what they own is freed); a callback must not submit then. */
struct http	*http_new(const char *ca_file);
void		 http_free(struct http *h);

/* A request; every member is borrowed and copied by http_submit. */
struct http_request {
	const char		*method;	/* "GET", "POST", "PUT" */
	const char		*url;
	const char *const	*headers;	/* "Name: value"; NULL-terminated,
						   or NULL */
	const char		*body;		/* may be NULL when len is 0 */
	size_t			 len;
	int			 timeout_ms;	/* the whole call, > 0 */
	int			 deny_private;	/* refuse to connect to a
						   loopback, link-local or
						   private address (SSRF) */
};

/* What came back. status is the HTTP status, or 0 when no answer came (a
 * connection error, a timeout: see error). Everything is borrowed for the
 * duration of the callback only. */
struct http_response {
	int		 status;
	int		 timed_out;	/* status 0 because the deadline passed */
	const char	*error;		/* "" when status != 0 */
	int		 retry_after_s;	/* Retry-After, -1 when absent */
	const char	*body;		/* NUL-terminated; may hold NULs */
	size_t		 len;
};

typedef void	(*http_done_fn)(void *arg, const struct http_response *r);

/* Starts req. OMS_OK: done(arg, …) will be called exactly once, from a
 * later http_dispatch or from http_free. OMS_EINVAL for a
 * request curl refuses (done is not called). */
enum oms_err	 http_submit(struct http *h, const struct http_request *req,
		    http_done_fn done, void *arg);

/* Requests in flight. */
size_t		 http_active(const struct http *h);

/* Waits up to timeout_ms for activity on the transfers or on extra[0..n-1]
 * (whose revents it fills), shortened to what curl's own timers need.
 * 0, or -1 when the wait failed. */
int		 http_wait(struct http *h, struct pollfd *extra, size_t n,
		    int timeout_ms);

/* Moves every transfer on without blocking and calls the callbacks of the
 * finished ones. */
void		 http_dispatch(struct http *h);

/* Pure helpers, unit-tested. */

struct sockaddr;

/* 1 when sa (AF_INET or AF_INET6) is an address a request from outside
 * must not reach: unspecified, loopback, link-local, private (RFC 1918,
 * RFC 4193), shared (RFC 6598), benchmarking, multicast or reserved; an
 * IPv4-mapped IPv6 address is judged as its IPv4 address. Other families:
 * 1. */
int		 http_addr_private(const struct sockaddr *sa);

/* The seconds a Retry-After value (RFC 9110 §10.2.3: delay-seconds or an
 * HTTP-date, relative to now) asks to wait; -1 when unreadable. */
int		 http_retry_after(const char *value, long long now_s);

/* base joined with path (which starts with '/'), with one '/' between
 * them. The caller owns the result; free it with free(). */
char		*http_url_join(const char *base, const char *path);

/* s percent-encoded for one path segment (RFC 3986 unreserved characters
 * kept). The caller owns the result; free it with free(). */
char		*http_escape(const char *s);

#endif
