/*
 * HTTP over FastCGI for oms-fcgi: the request as nginx passed it (CGI/1.1
 * variables, RFC 3875), the body, and responses — JSON and RFC 9457 problem
 * documents. HTTP status codes are chosen here and nowhere else.
 */
#ifndef OMS_HTTP_H
#define OMS_HTTP_H

#include <stddef.h>
#include <fcgiapp.h>
#include <json-c/json.h>

#include "err.h"

#define HTTP_PATH_MAX	2048

struct http_req {
	FCGX_Request	*fcgx;		/* borrowed */
	const char	*method;	/* REQUEST_METHOD */
	const char	*uri;		/* REQUEST_URI: raw path and query */
	const char	*query;		/* QUERY_STRING, "" when absent */
	const char	*content_type;	/* CONTENT_TYPE or NULL */
	long long	 content_length; /* -1: absent; -2: not a number */
	const char	*request_id;	/* X-Request-Id set by nginx, or "-" */
	const char	*authorization;	/* never logged */
	int		 head;		/* HEAD: send headers only */
	int		 responded;
	int		 status;	/* of the response sent */
	char		*body;		/* owned; NUL-terminated copy */
	size_t		 body_len;
};

/* Fills req from the FastCGI parameters of fcgx (borrowed strings). */
void	http_req_init(struct http_req *req, FCGX_Request *fcgx);

/* Frees what the request owns (the body). */
void	http_req_clear(struct http_req *req);

/* A FastCGI parameter (borrowed), or NULL. */
const char *http_param(const struct http_req *req, const char *name);

/* 1 when CONTENT_TYPE is application/json or application/<x>+json, with
 * at most a charset=utf-8 parameter. */
int	http_content_type_is_json(const char *content_type);

/* Reads exactly content_length bytes of body (at most max). Returns OMS_OK,
 * OMS_ETOOBIG or OMS_EINVAL (the client sent fewer bytes than announced). */
enum oms_err http_read_body(struct http_req *req, long long max);

/* The status for an error of the service layer. */
int	http_status_of(enum oms_err err);

/* The reason phrase for status ("Not Found"). */
const char *http_reason(int status);

/* Sends a response. extra_headers: "Name: value\r\n" lines, or NULL. */
void	http_respond(struct http_req *req, int status, const char *content_type,
	    const char *extra_headers, const char *body, size_t len);

/* Sends obj (borrowed) as application/json. */
void	http_respond_json(struct http_req *req, int status,
	    const char *extra_headers, struct json_object *obj);

/* Sends an RFC 9457 problem document: type "/problems/<slug>", title,
 * status, detail, instance (the request path) and requestId. errors, when
 * not NULL, is an array of {pointer, detail} whose reference the call
 * takes. */
void	http_problem(struct http_req *req, int status, const char *slug,
	    const char *title, const char *detail, const char *extra_headers,
	    struct json_object *errors);

/* Like http_problem, with the extension member `member` (e.g. "down")
 * instead of "errors"; the call takes value's reference. */
void	http_problem_ext(struct http_req *req, int status, const char *slug,
	    const char *title, const char *detail, const char *extra_headers,
	    const char *member, struct json_object *value);

#endif
