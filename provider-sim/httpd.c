/*
 * httpd.c — libmicrohttpd glue (see httpd.h).
 *
 * The access handler is called several times per request: first with no
 * state (we allocate it), then once per chunk of body (copied, up to the
 * limit), then once with no more data, when the request goes to routes.c.
 * An answer to hold is kept in the state, the connection suspended
 * (MHD_suspend_connection) and the state queued on the timer; at its due
 * time the timer thread resumes the connection (MHD_resume_connection may
 * be called from any thread) and MHD calls the handler again, which
 * queues the answer. A suspended connection is never closed by MHD, so
 * the state the timer holds stays valid until it fires; it is freed by
 * the request-completed callback.
 */
#include <netdb.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>

#include "clock.h"
#include "httpd.h"
#include "log.h"
#include "sim.h"
#include "xmalloc.h"

#define HTTPD_CONN_LIMIT	16384
#define HTTPD_BACKLOG		4096
#define HTTPD_IDLE_TIMEOUT_S	300
#define HTTPD_STOP_WAIT_MS	5000	/* for held answers to go out */

enum httpd_state {
	HTTPD_READING = 0,	/* the body is coming */
	HTTPD_HELD,		/* answered, held on the timer */
};

struct httpd_conn {
	struct MHD_Connection	*c;
	enum httpd_state	 state;
	char			*body;
	size_t			 len, cap;
	int			 too_big;
	struct sim_response	 resp;
};

struct httpd {
	struct MHD_Daemon	*d;
	struct routes		*r;
	struct timerq		*tq;
	size_t			 max_body;
	atomic_long		 held;	/* held, not yet completed */
};

void
httpd_timer_fire(void *item, void *arg)
{
	struct httpd_conn *hc = item;

	(void)arg;
	MHD_resume_connection(hc->c);
}

static void
httpd_logger(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	log_warnx("microhttpd: %s", buf);
}

/* Copies a chunk of body, up to the limit; beyond it only notes it. */
static void
httpd_append(struct httpd *h, struct httpd_conn *hc, const char *data,
    size_t n)
{
	if (hc->too_big || n > h->max_body - hc->len) {
		hc->too_big = 1;
		return;
	}
	if (hc->len + n > hc->cap) {
		hc->cap = hc->cap == 0 ? 1024 : hc->cap;
		while (hc->cap < hc->len + n)
			hc->cap *= 2;
		hc->body = xrealloc(hc->body, 1, hc->cap);
	}
	memcpy(hc->body + hc->len, data, n);
	hc->len += n;
}

static enum MHD_Result
httpd_send(struct httpd_conn *hc)
{
	struct sim_response *resp = &hc->resp;
	struct MHD_Response *r;
	enum MHD_Result rc;
	char num[16];

	r = MHD_create_response_from_buffer(resp->body_len,
	    resp->body != NULL ? resp->body : (void *)"",
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	if (resp->content_type != NULL)
		MHD_add_response_header(r, "Content-Type", resp->content_type);
	if (resp->retry_after > 0) {
		snprintf(num, sizeof(num), "%d", resp->retry_after);
		MHD_add_response_header(r, "Retry-After", num);
	}
	if (resp->allow != NULL)
		MHD_add_response_header(r, "Allow", resp->allow);
	if (resp->www_authenticate)
		MHD_add_response_header(r, "WWW-Authenticate",
		    "Bearer realm=\"oms-provider-sim\"");
	rc = MHD_queue_response(hc->c, (unsigned int)resp->status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
httpd_access(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct httpd *h = cls;
	struct httpd_conn *hc = *con_cls;
	struct sim_request req;

	(void)version;
	if (hc == NULL) {
		hc = xcalloc(1, sizeof(*hc));
		hc->c = c;
		*con_cls = hc;
		return MHD_YES;
	}
	if (hc->state == HTTPD_HELD)
		return httpd_send(hc);	/* resumed: the answer is due */
	if (*upload_data_size > 0) {
		httpd_append(h, hc, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = url;
	req.order_id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "orderId");
	req.idempotency_key = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Idempotency-Key");
	req.authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Authorization");
	req.request_id = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "X-Request-Id");
	req.body = hc->body != NULL ? hc->body : "";
	req.body_len = hc->len;
	req.body_too_big = hc->too_big;
	routes_handle(h->r, &req, &hc->resp);
	if (hc->resp.hold_ms <= 0)
		return httpd_send(hc);
	hc->state = HTTPD_HELD;
	atomic_fetch_add(&h->held, 1);
	MHD_suspend_connection(c);
	timerq_add(h->tq, clock_ms() + hc->resp.hold_ms, hc);
	return MHD_YES;
}

static void
httpd_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct httpd *h = cls;
	struct httpd_conn *hc = *con_cls;

	(void)c;
	(void)toe;
	if (hc == NULL)
		return;
	if (hc->state == HTTPD_HELD)
		atomic_fetch_sub(&h->held, 1);
	free(hc->body);
	free(hc->resp.body);
	free(hc);
	*con_cls = NULL;
}

/* Splits "host:port" or "[v6]:port" and resolves it (numeric port). */
static struct addrinfo *
httpd_resolve(const char *listen, char *err, size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	char host[256];
	const char *colon = strrchr(listen, ':'), *h = listen;
	size_t hlen;
	int rc;

	if (colon == NULL || colon[1] == '\0') {
		snprintf(err, errlen, "listen address %s: want host:port",
		    listen);
		return NULL;
	}
	hlen = (size_t)(colon - listen);
	if (hlen >= 2 && listen[0] == '[' && listen[hlen - 1] == ']') {
		h = listen + 1;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		snprintf(err, errlen, "listen address %s: bad host", listen);
		return NULL;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, colon + 1, &hints, &ai)) != 0) {
		snprintf(err, errlen, "listen address %s: %s", listen,
		    gai_strerror(rc));
		return NULL;
	}
	return ai;
}

struct httpd *
httpd_start(const char *listen, struct routes *r, struct timerq *tq,
    long max_body, char *err, size_t errlen)
{
	struct httpd *h;
	struct addrinfo *ai;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;

	if ((ai = httpd_resolve(listen, err, errlen)) == NULL)
		return NULL;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h = xcalloc(1, sizeof(*h));
	h->r = r;
	h->tq = tq;
	h->max_body = (size_t)max_body;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, httpd_access, h,
	    MHD_OPTION_EXTERNAL_LOGGER, httpd_logger, NULL,
	    MHD_OPTION_SOCK_ADDR, ai->ai_addr,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTPD_CONN_LIMIT,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)HTTPD_BACKLOG,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTPD_IDLE_TIMEOUT_S,
	    MHD_OPTION_NOTIFY_COMPLETED, httpd_completed, h,
	    MHD_OPTION_END);
	freeaddrinfo(ai);
	if (h->d == NULL) {
		snprintf(err, errlen, "cannot listen on %s (in use, or not an "
		    "address of this host?)", listen);
		free(h);
		return NULL;
	}
	return h;
}

/*
 * No new connection is accepted; every held answer is resumed (MHD must
 * not stop with a connection suspended) and given up to
 * HTTPD_STOP_WAIT_MS to go out, since MHD_stop_daemon() closes what is
 * still open.
 */
void
httpd_stop(struct httpd *h)
{
	struct timespec ts = { 0, 10 * 1000000 };
	MHD_socket fd;
	int i;

	if (h == NULL)
		return;
	fd = MHD_quiesce_daemon(h->d);
	timerq_drain(h->tq);
	for (i = 0; i < HTTPD_STOP_WAIT_MS / 10 && atomic_load(&h->held) > 0;
	    i++)
		nanosleep(&ts, NULL);
	if (atomic_load(&h->held) > 0)
		log_warnx("stopping with %ld held answers not sent",
		    (long)atomic_load(&h->held));
	MHD_stop_daemon(h->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	free(h);
}
