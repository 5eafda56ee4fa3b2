/*
 * calls.c — the provider contract's calls (see calls.h and
 * docs/providers.md).
 *
 * Faults come first and do nothing (a 503 window, then errorRate's 500),
 * so a retry under the same key finds the key unused. A call that gets
 * past the checks is done at once — its record made, its answer stored
 * under the key — and its answer is held for the API's delay plus any
 * stall; until it is out, the key is "in progress" (409, transient for the
 * client). errorAfterRate loses the answer of a call that was done: the
 * client sees a 500 and its retry gets the stored answer, never a second
 * record. A body that fails validation stores nothing; a business refusal
 * (unknown charge or shipment, refund of a declined charge) is stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bodies.h"
#include "calls.h"
#include "clock.h"
#include "idem.h"
#include "json.h"
#include "log.h"
#include "xmalloc.h"

struct calls {
	struct idem	*idem;
	struct records	*records;
	struct faults	 faults;
	char		*payment_token;
	char		*shipping_token;
	unsigned long	 counts[SIM_EP_MAX][SIM_OUT_MAX];
};

struct calls *
calls_new(const struct routes_config *rc)
{
	struct calls *c = xcalloc(1, sizeof(*c));

	c->idem = idem_new();
	c->records = records_new();
	faults_init(&c->faults, rc->payment_delay_ms, rc->shipping_delay_ms,
	    rc->jitter_pct, rc->seed);
	if (rc->payment_token != NULL)
		c->payment_token = xstrdup(rc->payment_token);
	if (rc->shipping_token != NULL)
		c->shipping_token = xstrdup(rc->shipping_token);
	return c;
}

static void
calls_free_secret(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
	free(s);
}

void
calls_free(struct calls *c)
{
	if (c == NULL)
		return;
	idem_free(c->idem);
	records_free(c->records);
	calls_free_secret(c->payment_token);
	calls_free_secret(c->shipping_token);
	free(c);
}

struct records *
calls_records(struct calls *c)
{
	return c->records;
}

struct faults *
calls_faults(struct calls *c)
{
	return &c->faults;
}

/* 1 if authorization is "Bearer <token>" (the scheme in any case, RFC
 * 9110 section 11.1), compared in time independent of where it differs. */
static int
calls_bearer_ok(const char *authorization, const char *token)
{
	size_t n, i;
	unsigned char d = 0;

	if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7))
		return 0;
	authorization += 7;
	n = strlen(token);
	if (strlen(authorization) != n)
		return 0;
	for (i = 0; i < n; i++)
		d |= (unsigned char)(authorization[i] ^ token[i]);
	return d == 0;
}

static void
calls_add_time(struct json_object *rec)
{
	char ts[32];

	sim_timestamp(ts);
	json_add_str(rec, "createdAt", ts);
}

/* The record of a charge, and its answer in *ans (owned). */
static int
calls_charge(struct calls *c, const struct bodies_charge *b, const char *key,
    struct json_object **ans)
{
	struct json_object *rec = json_object_new_object();
	char id[RECORDS_ID_SIZE];
	int declined = strncmp(b->payment_method_id, "pm_decline", 10) == 0;

	records_new_id(c->records, "ch_", id);
	json_add_str(rec, "id", id);
	json_add_str(rec, "orderId", b->order_id);
	json_add_str(rec, "idempotencyKey", key);
	if (b->priced) {
		json_add_int(rec, "amount", b->amount);
		json_add_str(rec, "currency", b->currency);
	}
	json_add_str(rec, "paymentMethodId", b->payment_method_id);
	if (b->customer_id != NULL)
		json_add_str(rec, "customerId", b->customer_id);
	json_add_str(rec, "status", declined ? "declined" : "succeeded");
	if (declined)
		json_add_str(rec, "declineCode", "card_declined");
	calls_add_time(rec);

	*ans = json_object_new_object();
	json_add_str(*ans, "id", id);
	json_add_str(*ans, "status", declined ? "declined" : "succeeded");
	if (declined)
		json_add_str(*ans, "declineCode", "card_declined");
	if (b->priced) {
		json_add_int(*ans, "amount", b->amount);
		json_add_str(*ans, "currency", b->currency);
	}
	records_add(c->records, SIM_EP_CHARGES, rec);
	return declined ? SIM_OUT_DECLINED : SIM_OUT_OK;
}

/* A refund of a known, succeeded charge, at most its amount. */
static int
calls_refund(struct calls *c, const struct bodies_refund *b, const char *key,
    struct json_object **ans, char *why, size_t whylen)
{
	struct json_object *ch, *rec, *v;
	const char *status, *currency;
	char id[RECORDS_ID_SIZE];
	long long amount = b->amount;
	int has_amount = b->has_amount;

	if ((ch = records_find(c->records, SIM_EP_CHARGES, b->charge_id)) ==
	    NULL) {
		snprintf(why, whylen, "no charge %s: refund a chargeId that "
		    "POST /charges answered", b->charge_id);
		return SIM_OUT_NOT_FOUND;
	}
	status = json_get_str(ch, "status");
	if (status == NULL || strcmp(status, "succeeded") != 0) {
		snprintf(why, whylen, "charge %s was declined: there is nothing "
		    "to refund", b->charge_id);
		return SIM_OUT_REFUSED;
	}
	currency = json_get_str(ch, "currency");
	if (json_object_object_get_ex(ch, "amount", &v)) {
		if (has_amount && amount > json_object_get_int64(v)) {
			snprintf(why, whylen, "amount %lld exceeds the charge's "
			    "%lld", amount, (long long)json_object_get_int64(v));
			return SIM_OUT_REFUSED;
		}
		if (!has_amount)
			amount = json_object_get_int64(v);
		has_amount = 1;
	}
	rec = json_object_new_object();
	records_new_id(c->records, "re_", id);
	json_add_str(rec, "id", id);
	json_add_str(rec, "orderId", b->order_id);
	json_add_str(rec, "chargeId", b->charge_id);
	json_add_str(rec, "idempotencyKey", key);
	if (has_amount)
		json_add_int(rec, "amount", amount);
	if (currency != NULL)
		json_add_str(rec, "currency", currency);
	json_add_str(rec, "status", "succeeded");
	calls_add_time(rec);
	*ans = json_object_new_object();
	json_add_str(*ans, "id", id);
	json_add_str(*ans, "status", "succeeded");
	json_add_str(*ans, "chargeId", b->charge_id);
	if (has_amount)
		json_add_int(*ans, "amount", amount);
	records_add(c->records, SIM_EP_REFUNDS, rec);
	return SIM_OUT_OK;
}

static int
calls_shipment(struct calls *c, const struct bodies_shipment *b,
    const char *key, struct json_object **ans)
{
	struct json_object *rec = json_object_new_object();
	char id[RECORDS_ID_SIZE], tracking[RECORDS_ID_SIZE];

	records_new_id(c->records, "sh_", id);
	snprintf(tracking, sizeof(tracking), "SIM%s", id + 3);
	json_add_str(rec, "id", id);
	json_add_str(rec, "orderId", b->order_id);
	json_add_str(rec, "idempotencyKey", key);
	json_add_str(rec, "carrier", "sim-post");
	json_add_str(rec, "trackingNumber", tracking);
	json_object_object_add(rec, "items", json_object_get(b->items));
	if (b->address != NULL)
		json_object_object_add(rec, "address",
		    json_object_get(b->address));
	json_add_str(rec, "status", "booked");
	calls_add_time(rec);
	*ans = json_object_new_object();
	json_add_str(*ans, "id", id);
	json_add_str(*ans, "carrier", "sim-post");
	json_add_str(*ans, "trackingNumber", tracking);
	json_add_str(*ans, "status", "booked");
	records_add(c->records, SIM_EP_SHIPMENTS, rec);
	return SIM_OUT_OK;
}

/* Voids a booked shipment; a second void answers the first's result and
 * makes no record. */
static int
calls_void(struct calls *c, const char *shipment_id, const char *key,
    struct json_object **ans, char *why, size_t whylen)
{
	struct json_object *sh, *rec;
	const char *status, *void_id, *order_id;
	char id[RECORDS_ID_SIZE], ts[32];

	if ((sh = records_find(c->records, SIM_EP_SHIPMENTS, shipment_id)) ==
	    NULL) {
		snprintf(why, whylen, "no shipment %s: void an id that POST "
		    "/shipments answered", shipment_id);
		return SIM_OUT_NOT_FOUND;
	}
	status = json_get_str(sh, "status");
	if (status != NULL && strcmp(status, "voided") == 0) {
		void_id = json_get_str(sh, "voidId");
	} else {
		order_id = json_get_str(sh, "orderId");
		rec = json_object_new_object();
		records_new_id(c->records, "vo_", id);
		sim_timestamp(ts);
		json_add_str(rec, "id", id);
		json_add_str(rec, "orderId", order_id);
		json_add_str(rec, "shipmentId", shipment_id);
		json_add_str(rec, "idempotencyKey", key);
		json_add_str(rec, "createdAt", ts);
		records_add(c->records, SIM_EP_VOIDS, rec);
		json_add_str(sh, "status", "voided");
		json_add_str(sh, "voidId", id);
		json_add_str(sh, "voidedAt", ts);
		void_id = id;
	}
	*ans = json_object_new_object();
	json_add_str(*ans, "id", shipment_id);
	json_add_str(*ans, "status", "voided");
	json_add_str(*ans, "voidId", void_id);
	return SIM_OUT_OK;
}

/* Checks body for ep and does the call: the outcome, with the answer
 * in *ans (owned) or a refusal's reason in why. */
static int
calls_do(struct calls *c, enum sim_endpoint ep, const char *shipment_id,
    struct json_object *body, const char *key, struct json_object **ans,
    char *why, size_t whylen)
{
	struct bodies_charge ch;
	struct bodies_refund re;
	struct bodies_shipment sh;

	switch (ep) {
	case SIM_EP_CHARGES:
		if (bodies_charge(body, &ch, why, whylen) != OMS_OK)
			return SIM_OUT_INVALID;
		return calls_charge(c, &ch, key, ans);
	case SIM_EP_REFUNDS:
		if (bodies_refund(body, &re, why, whylen) != OMS_OK)
			return SIM_OUT_INVALID;
		return calls_refund(c, &re, key, ans, why, whylen);
	case SIM_EP_SHIPMENTS:
		if (bodies_shipment(body, &sh, why, whylen) != OMS_OK)
			return SIM_OUT_INVALID;
		return calls_shipment(c, &sh, key, ans);
	case SIM_EP_VOIDS:
		if (bodies_void(body, why, whylen) != OMS_OK)
			return SIM_OUT_INVALID;
		return calls_void(c, shipment_id, key, ans, why, whylen);
	default:
		snprintf(why, whylen, "no such call");
		return SIM_OUT_INVALID;
	}
}

/* The answer of a call that passed the checks; stored under the key
 * with fp, the request as the store compares it ([path, body]). */
static void
calls_business(struct calls *c, enum sim_endpoint ep, const char *shipment_id,
    const struct sim_request *req, struct json_object *body,
    struct json_object *fp, struct sim_response *resp, int *outcome)
{
	struct json_object *ans = NULL;
	const char *key = req->idempotency_key;
	char why[384];
	long hold;

	why[0] = '\0';
	*outcome = calls_do(c, ep, shipment_id, body, key, &ans, why,
	    sizeof(why));
	switch (*outcome) {
	case SIM_OUT_INVALID:
		sim_answer_problem(resp, 400, "invalid-body", "The request "
		    "body does not follow the provider contract", why, req);
		return;		/* nothing done, nothing stored */
	case SIM_OUT_NOT_FOUND:
		sim_answer_problem(resp, 404, ep == SIM_EP_VOIDS ?
		    "shipment-not-found" : "charge-not-found", ep ==
		    SIM_EP_VOIDS ? "No such shipment" : "No such charge", why,
		    req);
		break;
	case SIM_OUT_REFUSED:
		sim_answer_problem(resp, 422, "refund-refused",
		    "The refund was refused", why, req);
		break;
	default:
		sim_answer_json(resp, ep == SIM_EP_VOIDS ? 200 : 201, ans);
		json_object_put(ans);
		break;
	}
	hold = faults_delay_ms(&c->faults, ep) + c->faults.stall_ms;
	idem_put(c->idem, ep, key, fp, resp->status, resp->body,
	    resp->body_len, clock_ms() + hold);
	resp->hold_ms = hold;
	if (faults_draw(&c->faults, c->faults.error_after_rate)) {
		*outcome = SIM_OUT_ERROR_AFTER;
		sim_answer_problem(resp, 500, "provider-error", "The provider "
		    "failed", "simulated failure after the call was done "
		    "(errorAfterRate): retry with the same Idempotency-Key",
		    req);
	}
}

/* The checks before the business; returns 1 when resp is the answer. */
static int
calls_check(struct calls *c, enum sim_endpoint ep,
    const struct sim_request *req, struct sim_response *resp, int *outcome)
{
	const char *token = (ep == SIM_EP_CHARGES || ep == SIM_EP_REFUNDS) ?
	    c->payment_token : c->shipping_token;
	long left = faults_unavailable_ms(&c->faults, clock_ms());
	char why[256];

	resp->hold_ms = c->faults.stall_ms;
	if (left > 0) {
		*outcome = SIM_OUT_UNAVAILABLE;
		snprintf(why, sizeof(why), "simulated outage (unavailableMs): "
		    "%ld ms left; retry after Retry-After", left);
		sim_answer_problem(resp, 503, "provider-unavailable",
		    "The provider is unavailable", why, req);
		resp->retry_after = 1;
		return 1;
	}
	if (faults_draw(&c->faults, c->faults.error_rate)) {
		*outcome = SIM_OUT_ERROR;
		sim_answer_problem(resp, 500, "provider-error", "The provider "
		    "failed", "simulated failure before anything was done "
		    "(errorRate): retry with the same Idempotency-Key", req);
		return 1;
	}
	if (token != NULL && !calls_bearer_ok(req->authorization, token)) {
		*outcome = SIM_OUT_UNAUTHORIZED;
		sim_answer_problem(resp, 401, "unauthorized", "Missing or wrong "
		    "token", "send Authorization: Bearer with this API's token",
		    req);
		resp->www_authenticate = 1;
		return 1;
	}
	*outcome = SIM_OUT_INVALID;
	if (!bodies_id_valid(req->idempotency_key)) {
		sim_answer_problem(resp, 400, "idempotency-key-missing",
		    "Idempotency-Key is missing or malformed", "send "
		    "Idempotency-Key: the id of the command that causes the "
		    "call (1 to 128 printable characters, no spaces)", req);
		return 1;
	}
	if (req->body_too_big) {
		sim_answer_problem(resp, 413, "body-too-large", "The request "
		    "body is too large", "send at most OMS_MAX_BODY_BYTES "
		    "bytes", req);
		return 1;
	}
	return 0;
}

void
calls_handle(struct calls *c, enum sim_endpoint ep, const char *shipment_id,
    const struct sim_request *req, struct sim_response *resp)
{
	struct json_object *body = NULL, *fp;
	struct idem_answer ans;
	char why[256];
	int outcome;

	if (calls_check(c, ep, req, resp, &outcome))
		goto done;
	if (json_parse_strict(req->body, req->body_len, &body, why,
	    sizeof(why)) != OMS_OK) {
		sim_answer_problem(resp, 400, "invalid-body", "The request body "
		    "is not JSON", why, req);
		goto done;
	}
	fp = json_object_new_array();
	json_object_array_add(fp, json_object_new_string(req->path));
	json_object_array_add(fp, json_object_get(body));
	switch (idem_check(c->idem, ep, req->idempotency_key, fp, clock_ms(),
	    &ans)) {
	case IDEM_CONFLICT:
		outcome = SIM_OUT_CONFLICT;
		sim_answer_problem(resp, 409, "idempotency-key-reused",
		    "Idempotency-Key reused with another request", "this key "
		    "was first used with another body or path; use a new key "
		    "for another call", req);
		break;
	case IDEM_IN_PROGRESS:
		outcome = SIM_OUT_IN_PROGRESS;
		sim_answer_problem(resp, 409, "idempotency-key-in-progress",
		    "A call with this Idempotency-Key is in progress", "retry "
		    "later with the same key and body: the first call's answer "
		    "is not out yet", req);
		resp->retry_after = 1;
		break;
	case IDEM_REPLAY:
		outcome = SIM_OUT_REPLAYED;
		free(resp->body);
		resp->status = ans.status;
		resp->content_type = ans.status < 300 ? "application/json" :
		    "application/problem+json";
		resp->body = xstrndup(ans.body, ans.body_len);
		resp->body_len = ans.body_len;
		break;
	case IDEM_NEW:
		calls_business(c, ep, shipment_id, req, body, fp, resp,
		    &outcome);
		break;
	}
	json_object_put(fp);
done:
	json_object_put(body);
	c->counts[ep][outcome]++;
	log_info("POST %s key=%s -> %d %s (held %ld ms)", req->path,
	    req->idempotency_key != NULL ? req->idempotency_key : "-",
	    resp->status, sim_outcome_name((enum sim_outcome)outcome),
	    resp->hold_ms);
}

struct json_object *
calls_stats(const struct calls *c)
{
	struct json_object *o = json_object_new_object(), *per, *recs;
	int ep, out;

	per = json_object_new_object();
	recs = json_object_new_object();
	for (ep = 0; ep < SIM_EP_MAX; ep++) {
		struct json_object *e = json_object_new_object();
		unsigned long total = 0;

		for (out = 0; out < SIM_OUT_MAX; out++) {
			total += c->counts[ep][out];
			json_add_int(e, sim_outcome_name((enum sim_outcome)out),
			    (long long)c->counts[ep][out]);
		}
		json_add_int(e, "total", (long long)total);
		json_object_object_add(per, sim_endpoint_name(
		    (enum sim_endpoint)ep), e);
		json_add_int(recs, sim_endpoint_name((enum sim_endpoint)ep),
		    (long long)records_count(c->records,
		    (enum sim_endpoint)ep));
	}
	json_object_object_add(o, "requests", per);
	json_object_object_add(o, "records", recs);
	json_add_int(o, "idempotencyKeys", (long long)idem_count(c->idem));
	return o;
}
