/*
 * http.c — requests and responses of oms-fcgi.
 *
 * nginx hands each request over as CGI/1.1 variables (RFC 3875 §4.1) plus
 * the body on FCGI_STDIN. A response is a CGI response: a "Status:" header
 * line, other headers, a blank line, the body (RFC 3875 §6.2). Errors are
 * RFC 9457 problem documents ("application/problem+json") whose type is a
 * relative URI "/problems/<slug>" described in docs/api.md.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "json.h"
#include "log.h"
#include "xmalloc.h"

const char *
http_param(const struct http_req *req, const char *name)
{
	return FCGX_GetParam(name, req->fcgx->envp);
}

static long long
http_parse_length(const char *s)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	if (!isdigit((unsigned char)*s))
		return -2;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -2;
	return v;
}

void
http_req_init(struct http_req *req, FCGX_Request *fcgx)
{
	const char *v;

	memset(req, 0, sizeof(*req));
	req->fcgx = fcgx;
	req->method = (v = http_param(req, "REQUEST_METHOD")) ? v : "GET";
	req->uri = (v = http_param(req, "REQUEST_URI")) ? v : "/";
	req->query = (v = http_param(req, "QUERY_STRING")) ? v : "";
	v = http_param(req, "CONTENT_TYPE");
	req->content_type = v != NULL && *v != '\0' ? v : NULL;
	req->content_length = http_parse_length(http_param(req,
	    "CONTENT_LENGTH"));
	v = http_param(req, "HTTP_X_REQUEST_ID");
	req->request_id = v != NULL && *v != '\0' ? v : "-";
	req->authorization = http_param(req, "HTTP_AUTHORIZATION");
	req->head = strcmp(req->method, "HEAD") == 0;
}

void
http_req_clear(struct http_req *req)
{
	free(req->body);
	req->body = NULL;
	req->body_len = 0;
}

int
http_content_type_is_json(const char *ct)
{
	const char *semi, *slash, *p;
	size_t len;

	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	semi = strchr(ct, ';');
	len = semi != NULL ? (size_t)(semi - ct) : strlen(ct);
	while (len > 0 && ct[len - 1] == ' ')
		len--;
	if (len < 12 || strncasecmp(ct, "application/", 12) != 0)
		return 0;
	slash = ct + 12;
	if (!((size_t)(slash - ct) + 4 == len &&
	    strncasecmp(slash, "json", 4) == 0) &&
	    !(len >= 17 && strncasecmp(ct + len - 5, "+json", 5) == 0))
		return 0;
	for (p = slash; p < ct + len; p++)
		if (isspace((unsigned char)*p) || *p == '/')
			return 0;
	if (semi == NULL)
		return 1;
	/* RFC 8259 §11: no charset parameter is defined; accept utf-8 only. */
	p = semi + 1;
	while (*p == ' ')
		p++;
	if (strncasecmp(p, "charset=", 8) != 0)
		return 0;
	p += 8;
	if (*p == '"')
		p++;
	if (strncasecmp(p, "utf-8", 5) != 0)
		return 0;
	p += 5;
	if (*p == '"')
		p++;
	while (*p == ' ')
		p++;
	return *p == '\0';
}

enum oms_err
http_read_body(struct http_req *req, long long max)
{
	size_t want, got = 0;

	if (req->content_length <= 0)
		return req->content_length == -2 ? OMS_EINVAL : OMS_OK;
	if (req->content_length > max)
		return OMS_ETOOBIG;
	want = (size_t)req->content_length;
	req->body = xmalloc(want + 1);
	while (got < want) {
		int n = FCGX_GetStr(req->body + got, (int)(want - got),
		    req->fcgx->in);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	req->body[got] = '\0';
	req->body_len = got;
	return got == want ? OMS_OK : OMS_EINVAL;
}

int
http_status_of(enum oms_err err)
{
	switch (err) {
	case OMS_OK:		return 200;
	case OMS_EINVAL:	return 422;
	case OMS_EAUTH:		return 401;
	case OMS_EFORBIDDEN:	return 403;
	case OMS_ENOTFOUND:	return 404;
	case OMS_ECONFLICT:	return 409;
	case OMS_ETOOBIG:	return 413;
	case OMS_EUNAVAIL:	return 503;
	case OMS_ETIMEOUT:	return 503;
	default:		return 500;
	}
}

const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default:  return "Unknown";
	}
}

void
http_respond(struct http_req *req, int status, const char *content_type,
    const char *extra_headers, const char *body, size_t len)
{
	FCGX_Stream *out = req->fcgx->out;
	char head[512];
	int n;

	if (req->responded) {
		log_warnx("second response to one request ignored");
		return;
	}
	req->responded = 1;
	req->status = status;
	/* libfcgi's own printf lacks %zu: format the header here. */
	n = snprintf(head, sizeof(head), "Status: %d %s\r\n%s%s%s"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n",
	    status, http_reason(status),
	    content_type != NULL ? "Content-Type: " : "",
	    content_type != NULL ? content_type : "",
	    content_type != NULL ? "\r\n" : "", len);
	if (n < 0 || (size_t)n >= sizeof(head)) {
		log_warnx("response header too long");
		return;
	}
	FCGX_PutStr(head, n, out);
	if (extra_headers != NULL)
		FCGX_PutS(extra_headers, out);
	FCGX_PutS("\r\n", out);
	if (!req->head && len > 0)
		FCGX_PutStr(body, (int)len, out);
	log_debug("%s %s -> %d", req->method, req->uri, status);
}

void
http_respond_json(struct http_req *req, int status, const char *extra_headers,
    struct json_object *obj)
{
	size_t len;
	const char *s = json_dump(obj, &len);

	http_respond(req, status, "application/json", extra_headers, s, len);
}

void
http_problem(struct http_req *req, int status, const char *slug,
    const char *title, const char *detail, const char *extra_headers,
    struct json_object *errors)
{
	http_problem_ext(req, status, slug, title, detail, extra_headers,
	    "errors", errors);
}

void
http_problem_ext(struct http_req *req, int status, const char *slug,
    const char *title, const char *detail, const char *extra_headers,
    const char *member, struct json_object *value)
{
	struct json_object *doc = json_object_new_object();	/* owned */
	char type[96], instance[HTTP_PATH_MAX];
	const char *q = strchr(req->uri, '?');
	size_t len;
	const char *s;

	snprintf(type, sizeof(type), "/problems/%s", slug);
	snprintf(instance, sizeof(instance), "%.*s",
	    (int)(q != NULL ? (size_t)(q - req->uri) : strlen(req->uri)),
	    req->uri);
	json_add_str(doc, "type", type);
	json_add_str(doc, "title", title);
	json_add_int(doc, "status", status);
	json_add_str(doc, "detail", detail);
	json_add_str(doc, "instance", instance);
	json_add_str(doc, "requestId", req->request_id);
	if (value != NULL)
		json_object_object_add(doc, member, value);	/* takes it */
	s = json_dump(doc, &len);
	http_respond(req, status, "application/problem+json", extra_headers,
	    s, len);
	if (status >= 500)
		log_warnx("%s %s -> %d %s: %s", req->method, instance, status,
		    slug, detail);
	else
		log_info("%s %s -> %d %s", req->method, instance, status, slug);
	json_object_put(doc);
}
