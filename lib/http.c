/*
 * http.c — the HTTP client (libcurl's multi interface), the only file that
 * includes libcurl.
 *
 * One multi handle per process holds the transfers in flight and the
 * connection cache, so calls to one provider reuse their connections. The
 * caller's loop owns the waiting: http_wait is curl_multi_poll with the
 * caller's descriptors as extra fds (one poll serves the providers and the
 * broker), http_dispatch is curl_multi_perform plus the completions read
 * from curl_multi_info_read. Each transfer is a struct http_xfer: its easy
 * handle, the copied request, the answer's body and Retry-After. Easy
 * handles of finished transfers are kept for reuse (curl_easy_reset).
 *
 * Every transfer: CURLOPT_NOSIGNAL (no SIGALRM for timeouts in a process
 * with its own signal handlers), a total timeout and a connect timeout,
 * http and https only, no redirects (a provider that redirects is
 * misconfigured; following would resend the body elsewhere), TLS peer and
 * host verification on, the CA file when configured. Bodies are bytes with
 * a length, capped at HTTP_BODY_MAX. A request with deny_private (webhook
 * deliveries) is checked where the resolved address is known: the
 * CURLOPT_OPENSOCKETFUNCTION callback refuses to open a socket to a
 * private address, so DNS cannot be used to point a public name at an
 * internal service after the URL was checked.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <curl/curl.h>

#include "http.h"
#include "xmalloc.h"

#define HTTP_CONNECT_TIMEOUT_MS	5000
#define HTTP_SPARE_MAX		64	/* easy handles kept for reuse */

struct http_xfer {
	CURL			*easy;
	struct curl_slist	*headers;	/* owned */
	char			*body;		/* the answer; owned */
	size_t			 len, cap;
	int			 retry_after_s;
	int			 too_big;
	int			 refused;	/* a private address */
	http_done_fn		 done;
	void			*arg;
	struct http_xfer	*prev, *next;	/* the list in flight */
	char			 error[CURL_ERROR_SIZE];
};

struct http {
	CURLM			*multi;
	char			*ca_file;	/* owned; NULL: system store */
	struct http_xfer	*active;	/* in flight */
	size_t			 nactive;
	CURL			*spare[HTTP_SPARE_MAX];
	size_t			 nspare;
};

int
http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
http_global_cleanup(void)
{
	curl_global_cleanup();
}

struct http *
http_new(const char *ca_file)
{
	struct http *h = xcalloc(1, sizeof(*h));

	if ((h->multi = curl_multi_init()) == NULL) {
		free(h);
		return NULL;
	}
	if (ca_file != NULL && *ca_file != '\0')
		h->ca_file = xstrdup(ca_file);
	return h;
}

static void
http_xfer_free(struct http *h, struct http_xfer *x)
{
	if (x->easy != NULL) {
		curl_multi_remove_handle(h->multi, x->easy);
		if (h->nspare < HTTP_SPARE_MAX) {
			curl_easy_reset(x->easy);
			h->spare[h->nspare++] = x->easy;
		} else
			curl_easy_cleanup(x->easy);
	}
	curl_slist_free_all(x->headers);
	free(x->body);
	free(x);
}

void
http_free(struct http *h)
{
	struct http_xfer *x, *next;

	if (h == NULL)
		return;
	for (x = h->active; x != NULL; x = next) {
		struct http_response r;

		next = x->next;
		memset(&r, 0, sizeof(r));
		r.error = "abandoned: the client was closed";
		r.retry_after_s = -1;
		r.body = "";
		x->done(x->arg, &r);
		http_xfer_free(h, x);
	}
	while (h->nspare > 0)
		curl_easy_cleanup(h->spare[--h->nspare]);
	curl_multi_cleanup(h->multi);
	free(h->ca_file);
	free(h);
}

size_t
http_active(const struct http *h)
{
	return h->nactive;
}

/* CURLOPT_WRITEFUNCTION: appends to the answer, up to HTTP_BODY_MAX. */
static size_t
http_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer *x = arg;
	size_t n = size * nmemb;

	if (n > HTTP_BODY_MAX - x->len) {
		x->too_big = 1;
		return 0;		/* fails the transfer */
	}
	if (x->len + n + 1 > x->cap) {
		while (x->len + n + 1 > x->cap)
			x->cap = x->cap == 0 ? 1024 : x->cap * 2;
		x->body = xrealloc(x->body, x->cap, 1);
	}
	memcpy(x->body + x->len, ptr, n);
	x->len += n;
	x->body[x->len] = '\0';
	return n;
}

/* CURLOPT_HEADERFUNCTION: keeps Retry-After (of the last response: a 100
 * Continue comes first). */
static size_t
http_header(char *buf, size_t size, size_t nitems, void *arg)
{
	struct http_xfer *x = arg;
	size_t n = size * nitems;
	static const char name[] = "retry-after:";
	char value[64];
	size_t i, j = 0;

	if (n > 5 && strncmp(buf, "HTTP/", 5) == 0)
		x->retry_after_s = -1;	/* a new status line */
	if (n <= sizeof(name) - 1 || strncasecmp(buf, name, sizeof(name) - 1))
		return n;
	for (i = sizeof(name) - 1; i < n && j < sizeof(value) - 1; i++)
		if (buf[i] != '\r' && buf[i] != '\n')
			value[j++] = buf[i];
	value[j] = '\0';
	x->retry_after_s = http_retry_after(value, (long long)time(NULL));
	return n;
}

int
http_addr_private(const struct sockaddr *sa)
{
	const unsigned char *a;

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0,
		    0, 0, 0, 0xff, 0xff };
		static const unsigned char zero[16];

		a = s6->sin6_addr.s6_addr;
		if (memcmp(a, mapped, 12) == 0)
			a += 12;	/* ::ffff:a.b.c.d: as IPv4 below */
		else
			return memcmp(a, zero, 15) == 0 ||	/* :: and ::1 */
			    (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
			    (a[0] & 0xfe) == 0xfc ||	/* fc00::/7 */
			    a[0] == 0xff;		/* multicast */
	} else if (sa->sa_family == AF_INET)
		a = (const unsigned char *)&((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr.s_addr;
	else
		return 1;
	return a[0] == 0 || a[0] == 10 || a[0] == 127 || a[0] >= 224 ||
	    (a[0] == 100 && (a[1] & 0xc0) == 64) ||
	    (a[0] == 169 && a[1] == 254) ||
	    (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	    (a[0] == 192 && a[1] == 168) ||
	    (a[0] == 192 && a[1] == 0 && a[2] == 0) ||
	    (a[0] == 198 && (a[1] & 0xfe) == 18);
}

/* CURLOPT_OPENSOCKETFUNCTION of a deny_private request. */
static curl_socket_t
http_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct http_xfer *x = arg;

	if (purpose != CURLSOCKTYPE_IPCXN ||
	    http_addr_private(&addr->addr)) {
		x->refused = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(addr->family, addr->socktype, addr->protocol);
}

enum oms_err
http_submit(struct http *h, const struct http_request *req, http_done_fn done,
    void *arg)
{
	struct http_xfer *x = xcalloc(1, sizeof(*x));
	CURL *e = h->nspare > 0 ? h->spare[--h->nspare] : curl_easy_init();
	CURLcode c = CURLE_OK;
	size_t i;

	if (e == NULL) {
		free(x);
		return OMS_ENOMEM;
	}
	x->easy = e;
	x->done = done;
	x->arg = arg;
	x->retry_after_s = -1;
	/* No "Expect: 100-continue" round trip for larger bodies. */
	x->headers = curl_slist_append(NULL, "Expect:");
	for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++)
		x->headers = curl_slist_append(x->headers, req->headers[i]);

#define SET(opt, val)	do { if (c == CURLE_OK) \
	c = curl_easy_setopt(e, opt, val); } while (0)
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)(req->timeout_ms <
	    HTTP_CONNECT_TIMEOUT_MS ? req->timeout_ms :
	    HTTP_CONNECT_TIMEOUT_MS));
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->ca_file != NULL)
		SET(CURLOPT_CAINFO, h->ca_file);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_HTTPHEADER, x->headers);
	SET(CURLOPT_WRITEFUNCTION, http_write);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_HEADERFUNCTION, http_header);
	SET(CURLOPT_HEADERDATA, x);
	SET(CURLOPT_ERRORBUFFER, x->error);
	SET(CURLOPT_PRIVATE, x);
	if (req->deny_private) {
		SET(CURLOPT_OPENSOCKETFUNCTION, http_open_socket);
		SET(CURLOPT_OPENSOCKETDATA, x);
	}
	if (strcmp(req->method, "GET") != 0) {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->len);
		SET(CURLOPT_COPYPOSTFIELDS, req->len > 0 ? req->body : "");
		if (strcmp(req->method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, req->method);
	}
#undef SET
	if (c != CURLE_OK || curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		http_xfer_free(h, x);
		return OMS_EINVAL;
	}
	x->next = h->active;
	if (h->active != NULL)
		h->active->prev = x;
	h->active = x;
	h->nactive++;
	return OMS_OK;
}

int
http_wait(struct http *h, struct pollfd *extra, size_t n, int timeout_ms)
{
	struct curl_waitfd w[8];
	size_t i;
	int numfds;

	if (n > sizeof(w) / sizeof(w[0]))
		n = sizeof(w) / sizeof(w[0]);
	for (i = 0; i < n; i++) {
		w[i].fd = extra[i].fd;
		w[i].events = 0;
		if (extra[i].events & POLLIN)
			w[i].events |= CURL_WAIT_POLLIN;
		if (extra[i].events & POLLOUT)
			w[i].events |= CURL_WAIT_POLLOUT;
		w[i].revents = 0;
	}
	if (curl_multi_poll(h->multi, w, (unsigned)n, timeout_ms, &numfds) !=
	    CURLM_OK)
		return -1;
	for (i = 0; i < n; i++) {
		extra[i].revents = 0;
		if (w[i].revents & CURL_WAIT_POLLIN)
			extra[i].revents |= POLLIN;
		if (w[i].revents & CURL_WAIT_POLLOUT)
			extra[i].revents |= POLLOUT;
	}
	return 0;
}

/* Unlinks x from the list in flight and reports its outcome. */
static void
http_finish(struct http *h, struct http_xfer *x, CURLcode result)
{
	struct http_response r;
	long status = 0;

	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		h->active = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	h->nactive--;

	memset(&r, 0, sizeof(r));
	if (result == CURLE_OK)
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	r.status = (int)status;
	r.timed_out = result == CURLE_OPERATION_TIMEDOUT;
	if (result != CURLE_OK)
		r.error = x->too_big ? "the answer is larger than 1 MiB" :
		    x->refused ? "refused: the host resolves to a loopback, "
		    "link-local or private address" :
		    x->error[0] != '\0' ? x->error : curl_easy_strerror(result);
	else
		r.error = "";
	r.retry_after_s = x->retry_after_s;
	r.body = x->body != NULL ? x->body : "";
	r.len = x->len;
	x->done(x->arg, &r);
	http_xfer_free(h, x);
}

void
http_dispatch(struct http *h)
{
	CURLMsg *m;
	int running, left;

	curl_multi_perform(h->multi, &running);
	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		struct http_xfer *x = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (x != NULL)
			http_finish(h, x, m->data.result);
	}
}

int
http_retry_after(const char *value, long long now_s)
{
	const char *s = value;
	long long v = 0;
	time_t t;

	while (*s == ' ' || *s == '\t')
		s++;
	if (isdigit((unsigned char)*s)) {
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (*s++ - '0');
			if (v > INT_MAX)
				v = INT_MAX;
		}
		while (*s == ' ' || *s == '\t')
			s++;
		return *s == '\0' ? (int)v : -1;
	}
	if (*s == '\0' || (t = curl_getdate(s, NULL)) == -1)
		return -1;
	v = (long long)t - now_s;
	return v < 0 ? 0 : v > INT_MAX ? INT_MAX : (int)v;
}

char *
http_url_join(const char *base, const char *path)
{
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	while (*path == '/')
		path++;
	return xasprintf("%.*s/%s", (int)n, base, path);
}

char *
http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), i, j = 0;
	char *out = xcalloc(n * 3 + 1, 1);

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' ||
		    ch == '~')
			out[j++] = (char)ch;
		else {
			out[j++] = '%';
			out[j++] = hex[ch >> 4];
			out[j++] = hex[ch & 15];
		}
	}
	out[j] = '\0';
	return out;
}
