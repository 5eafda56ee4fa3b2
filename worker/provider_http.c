/*
 * provider_http.c — the payment and shipping adapters over HTTP/JSON
 * (docs/providers.md), on lib/http.
 *
 * A call becomes one request: the body built from the order (amount and
 * currency only when the order is priced; the address and items when
 * present), the headers of the contract (Content-Type, Idempotency-Key =
 * the commandId, Authorization: Bearer when a token is configured,
 * X-Request-Id). The answer is sorted here, once, for every caller:
 *   2xx                        the answer (a charge may say "declined")
 *   4xx but 408, 409, 429      a business refusal, settled with a reason
 *   408, 409, 429, 5xx, other,
 *   timeouts, connection errors transient: the caller retries later
 * A 2xx whose body does not carry what the contract promises is treated as
 * transient too (retrying under the same key is safe, and the operator sees
 * a warning), never guessed at.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "provider.h"
#include "xmalloc.h"

struct provider {
	struct http	*http;		/* borrowed */
	char		*payment_url;	/* owned */
	char		*shipping_url;	/* owned */
	char		*payment_auth;	/* owned: "Authorization: Bearer …",
					   wiped on free; NULL: none */
	char		*shipping_auth;
	int		 timeout_ms;
};

/* One call in flight. */
struct provider_req {
	enum provider_op	 op;
	provider_done_fn	 done;
	void			*arg;
};

const char *
provider_op_name(enum provider_op op)
{
	switch (op) {
	case PROVIDER_CHARGE:
		return "charge";
	case PROVIDER_REFUND:
		return "refund";
	case PROVIDER_SHIP:
		return "ship";
	case PROVIDER_VOID:
		return "void";
	}
	return "?";
}

static int
provider_url_ok(const char *url)
{
	return url != NULL && (strncmp(url, "http://", 7) == 0 ||
	    strncmp(url, "https://", 8) == 0) && url[strcspn(url, ":") + 3] !=
	    '\0';
}

/* Whether s may go into a header value: no control characters (a CR or
 * LF would end the header and start another). */
static int
provider_header_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static char *
provider_auth(const char *token)
{
	return token != NULL && *token != '\0' ?
	    xasprintf("Authorization: Bearer %s", token) : NULL;
}

static void
provider_wipe(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

struct provider *
provider_new(const struct oms_config *cfg, struct http *h, char *err,
    size_t errlen)
{
	struct provider *p;

	if (!provider_url_ok(cfg->payment_url)) {
		snprintf(err, errlen, "OMS_PAYMENT_URL: must be an http:// or "
		    "https:// URL");
		return NULL;
	}
	if (!provider_url_ok(cfg->shipping_url)) {
		snprintf(err, errlen, "OMS_SHIPPING_URL: must be an http:// or "
		    "https:// URL");
		return NULL;
	}
	if ((cfg->payment_token != NULL &&
	    !provider_header_ok(cfg->payment_token)) ||
	    (cfg->shipping_token != NULL &&
	    !provider_header_ok(cfg->shipping_token))) {
		snprintf(err, errlen, "OMS_PAYMENT_TOKEN/OMS_SHIPPING_TOKEN: "
		    "a token must not contain control characters");
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->http = h;
	p->payment_url = xstrdup(cfg->payment_url);
	p->shipping_url = xstrdup(cfg->shipping_url);
	p->payment_auth = provider_auth(cfg->payment_token);
	p->shipping_auth = provider_auth(cfg->shipping_token);
	p->timeout_ms = cfg->provider_timeout_ms;
	return p;
}

void
provider_free(struct provider *p)
{
	if (p == NULL)
		return;
	free(p->payment_url);
	free(p->shipping_url);
	provider_wipe(p->payment_auth);
	provider_wipe(p->shipping_auth);
	free(p);
}

/* The order's field name as a JSON value: oms_get answers every hash
 * field as a string, and structured ones (items, addresses) hold JSON
 * text. Returns an owned value or NULL. */
static struct json_object *
provider_order_json(struct json_object *order, const char *name)
{
	struct json_object *v = NULL, *out = NULL;
	const char *s;
	char err[64];

	if (!json_object_object_get_ex(order, name, &v) || v == NULL)
		return NULL;
	if (!json_object_is_type(v, json_type_string))
		return json_object_get(v);
	s = json_object_get_string(v);
	if (json_parse_strict(s, strlen(s), &out, err, sizeof(err)) != OMS_OK)
		return NULL;
	return out;
}

/* The order's total in minor units, -1 when the order is unpriced (no
 * currency). oms_get answers it as a JSON integer, or as the hash's
 * decimal text. */
static long long
provider_amount(struct json_object *order)
{
	const char *c = json_get_str(order, "currency");
	struct json_object *v = NULL;
	const char *t;
	char *end;
	long long n;

	if (c == NULL || *c == '\0' ||
	    !json_object_object_get_ex(order, "total", &v) || v == NULL)
		return -1;
	if (json_object_is_type(v, json_type_int)) {
		n = (long long)json_object_get_int64(v);
		return n >= 0 ? n : -1;
	}
	if (!json_object_is_type(v, json_type_string))
		return -1;
	t = json_object_get_string(v);
	n = strtoll(t, &end, 10);
	return *t != '\0' && *end == '\0' && n >= 0 ? n : -1;
}

/* The request body of c (owned), and its path (owned) under the base. */
static struct json_object *
provider_body(const struct provider_call *c, char **path)
{
	struct json_object *b = json_object_new_object(), *v;
	long long amount = provider_amount(c->order);
	const char *s;
	char *esc;

	*path = NULL;
	switch (c->op) {
	case PROVIDER_CHARGE:
		*path = xstrdup("/charges");
		json_add_str(b, "orderId", c->order_id);
		if (amount >= 0) {
			json_add_int(b, "amount", amount);
			json_add_str(b, "currency",
			    json_get_str(c->order, "currency"));
		}
		json_add_str(b, "paymentMethodId",
		    json_get_str(c->order, "paymentMethodId"));
		json_add_str(b, "customerId",
		    json_get_str(c->order, "customerId"));
		break;
	case PROVIDER_REFUND:
		*path = xstrdup("/refunds");
		json_add_str(b, "chargeId",
		    json_get_str(c->order, "paymentTransactionId"));
		if (amount >= 0)
			json_add_int(b, "amount", amount);
		json_add_str(b, "orderId", c->order_id);
		break;
	case PROVIDER_SHIP:
		*path = xstrdup("/shipments");
		json_add_str(b, "orderId", c->order_id);
		if ((v = provider_order_json(c->order, "shippingAddress")) !=
		    NULL)
			json_object_object_add(b, "address", v);	/* put */
		if ((v = provider_order_json(c->order, "items")) == NULL)
			v = json_object_new_array();
		json_object_object_add(b, "items", v);		/* put */
		break;
	case PROVIDER_VOID:
		s = json_get_str(c->order, "voidShipmentId");
		esc = http_escape(s != NULL ? s : "");
		*path = xasprintf("/shipments/%s/void", esc);
		free(esc);
		break;
	}
	return b;
}

/* An id the Function accepts (1..64 of [A-Za-z0-9_.:-]). */
static int
provider_id_ok(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n < 1 || n > 64)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.:-") == n;
}

/* A refusal's reason from a problem document or an error body: its
 * title/detail/code when it has them, else the status. */
static void
provider_reason(const struct http_response *r, struct json_object *body,
    char *out, size_t len)
{
	const char *code = json_get_str(body, "code");
	const char *title = json_get_str(body, "title");
	const char *detail = json_get_str(body, "detail");

	if (code == NULL)
		code = json_get_str(body, "declineCode");
	snprintf(out, len, "%d%s%s%s%s%s%s", r->status,
	    code != NULL ? " " : "", code != NULL ? code : "",
	    title != NULL ? " " : "", title != NULL ? title : "",
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

/* Sorts a 2xx answer of op into res. 0, or -1 when it lacks what the
 * contract promises. */
static int
provider_answer(enum provider_op op, struct json_object *body,
    struct provider_result *res)
{
	const char *id = json_get_str(body, "id");
	const char *status = json_get_str(body, "status");
	const char *s;
	struct json_object *d = json_object_new_object();

	res->data = d;
	switch (op) {
	case PROVIDER_CHARGE:
		if (status != NULL && strcmp(status, "declined") == 0) {
			json_add_str(d, "result", "declined");
			s = json_get_str(body, "declineCode");
			if (s != NULL && provider_id_ok(s))
				json_add_str(d, "declineCode", s);
			json_add_str(d, "reason", s != NULL ? s : "declined");
			return 0;
		}
		if (status == NULL || strcmp(status, "succeeded") != 0 ||
		    !provider_id_ok(id))
			return -1;
		json_add_str(d, "result", "success");
		json_add_str(d, "transactionId", id);
		return 0;
	case PROVIDER_REFUND:
		if (!provider_id_ok(id))
			return -1;
		json_add_str(d, "refundTransactionId", id);
		return 0;
	case PROVIDER_SHIP:
		s = json_get_str(body, "trackingNumber");
		if (!provider_id_ok(id) || !provider_id_ok(s) ||
		    !provider_id_ok(json_get_str(body, "carrier")))
			return -1;
		json_add_str(d, "shipCompanyId", json_get_str(body, "carrier"));
		json_add_str(d, "trackingNumber", s);
		json_add_str(d, "shipmentId", id);
		return 0;
	case PROVIDER_VOID:
		if (!provider_id_ok(id))
			return -1;
		json_add_str(d, "shipmentId", id);
		return 0;
	}
	return -1;
}

/* The http_done_fn of every call. */
static void
provider_http_done(void *arg, const struct http_response *r)
{
	struct provider_req *q = arg;
	struct provider_result res;
	struct json_object *body = NULL;
	char err[64], reason[160];

	memset(&res, 0, sizeof(res));
	res.retry_after_s = r->retry_after_s;
	if (r->status != 0 && r->len > 0)
		(void)json_parse_strict(r->body, r->len, &body, err,
		    sizeof(err));

	if (r->status == 0) {
		res.outcome = PROVIDER_TRANSIENT;
		snprintf(res.detail, sizeof(res.detail), "%s: %s",
		    r->timed_out ? "timed out" : "no answer", r->error);
	} else if (r->status >= 200 && r->status < 300) {
		if (provider_answer(q->op, body, &res) == 0) {
			res.outcome = PROVIDER_OK;
			snprintf(res.detail, sizeof(res.detail), "%d", r->status);
		} else {
			json_object_put(res.data);
			res.data = NULL;
			res.outcome = PROVIDER_TRANSIENT;
			snprintf(res.detail, sizeof(res.detail), "%d but the "
			    "answer lacks what docs/providers.md requires "
			    "(ids of 1..64 of [A-Za-z0-9_.:-])", r->status);
		}
	} else if (r->status >= 400 && r->status < 500 && r->status != 408 &&
	    r->status != 409 && r->status != 429) {
		provider_reason(r, body, reason, sizeof(reason));
		res.outcome = PROVIDER_REFUSED;
		res.data = json_object_new_object();
		if (q->op == PROVIDER_CHARGE)
			json_add_str(res.data, "result", "declined");
		else
			json_add_bool(res.data, "skipped", 1);
		json_add_str(res.data, "reason", reason);
		snprintf(res.detail, sizeof(res.detail), "refused: %s", reason);
	} else {
		res.outcome = PROVIDER_TRANSIENT;
		snprintf(res.detail, sizeof(res.detail), "%d", r->status);
	}
	json_object_put(body);
	q->done(q->arg, &res);
	free(q);
}

enum oms_err
provider_start(struct provider *p, const struct provider_call *c,
    provider_done_fn done, void *arg)
{
	int pay = c->op == PROVIDER_CHARGE || c->op == PROVIDER_REFUND;
	struct json_object *body;
	struct http_request req;
	struct provider_req *q;
	const char *headers[6], *text;
	char *path, *url, *key, *rid = NULL;
	size_t len;
	enum oms_err rc;
	int n = 0;

	body = provider_body(c, &path);
	url = http_url_join(pay ? p->payment_url : p->shipping_url, path);
	/* c->key is a commandId the decoder validated (a UUID and suffixes) */
	key = xasprintf("Idempotency-Key: %s", c->key);
	headers[n++] = "Content-Type: application/json";
	headers[n++] = "Accept: application/json";
	headers[n++] = key;
	if ((pay ? p->payment_auth : p->shipping_auth) != NULL)
		headers[n++] = pay ? p->payment_auth : p->shipping_auth;
	/* the correlation id comes from the message: sent only when it is a
	 * plain header value */
	if (c->request_id != NULL && *c->request_id != '\0' &&
	    strlen(c->request_id) <= 128 && provider_header_ok(c->request_id)) {
		rid = xasprintf("X-Request-Id: %s", c->request_id);
		headers[n++] = rid;
	}
	headers[n] = NULL;
	text = json_dump(body, &len);

	q = xcalloc(1, sizeof(*q));
	q->op = c->op;
	q->done = done;
	q->arg = arg;
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.headers = headers;
	req.body = text;
	req.len = len;
	req.timeout_ms = p->timeout_ms;
	rc = http_submit(p->http, &req, provider_http_done, q);
	if (rc != OMS_OK) {
		log_warnx("%s: cannot start the call to %s", provider_op_name(c->op),
		    url);
		free(q);
	} else
		log_debug("%s: POST %s", provider_op_name(c->op), url);
	json_object_put(body);
	free(path);
	free(url);
	free(key);
	free(rid);
	return rc;
}
