/*
 * What the modules of oms-provider-sim share: the provider endpoints, the
 * outcomes counted per endpoint, a request as routes.c sees it (bytes and
 * strings borrowed from the HTTP layer) and the answer it gives back.
 * Only httpd.c knows the HTTP library; every other module works on these.
 */
#ifndef OMS_SIM_H
#define OMS_SIM_H

#include <stddef.h>
#include <stdint.h>

/* The provider calls; each has its own idempotency key space. */
enum sim_endpoint {
	SIM_EP_CHARGES = 0,	/* POST /charges */
	SIM_EP_REFUNDS,		/* POST /refunds */
	SIM_EP_SHIPMENTS,	/* POST /shipments */
	SIM_EP_VOIDS,		/* POST /shipments/{id}/void */
	SIM_EP_MAX
};

/* How a provider call was answered (GET /_sim/stats). */
enum sim_outcome {
	SIM_OUT_OK = 0,		/* done, a new record */
	SIM_OUT_DECLINED,	/* a charge declined (a record too) */
	SIM_OUT_REPLAYED,	/* a repeated key: the stored answer */
	SIM_OUT_CONFLICT,	/* 409: the key came with another body */
	SIM_OUT_IN_PROGRESS,	/* 409: the key's first call is still held */
	SIM_OUT_INVALID,	/* 400/413: a bad body or no key */
	SIM_OUT_UNAUTHORIZED,	/* 401 */
	SIM_OUT_NOT_FOUND,	/* 404: no such charge or shipment */
	SIM_OUT_REFUSED,	/* 422: a business refusal */
	SIM_OUT_ERROR,		/* 500 from errorRate: nothing done */
	SIM_OUT_ERROR_AFTER,	/* 500 from errorAfterRate: done, answer lost */
	SIM_OUT_UNAVAILABLE,	/* 503 inside an unavailableMs window */
	SIM_OUT_MAX
};

/* A request; every pointer is borrowed for the duration of the call. */
struct sim_request {
	const char	*method;
	const char	*path;		/* without the query string */
	const char	*order_id;	/* the orderId query parameter, or NULL */
	const char	*idempotency_key;	/* NULL when absent */
	const char	*authorization;		/* NULL when absent */
	const char	*request_id;		/* X-Request-Id, or NULL */
	const char	*body;
	size_t		 body_len;
	int		 body_too_big;	/* more than MAX_BODY_BYTES came */
};

/* An answer; body is owned (free()) and may be NULL for none. */
struct sim_response {
	int		 status;
	const char	*content_type;	/* static */
	char		*body;
	size_t		 body_len;
	int		 retry_after;	/* seconds; 0: no Retry-After */
	const char	*allow;		/* Allow header of a 405, static */
	int		 www_authenticate;	/* 401: add the challenge */
	long		 hold_ms;	/* answer this much later; 0: at once */
};


/* Writes the current UTC time as RFC 3339 with milliseconds
 * ("2026-12-01T09:43:32.123Z") to out. */
void	sim_timestamp(char out[32]);

/* Fills resp with status and obj serialised (application/json); obj is
 * borrowed. */
struct json_object;
void	sim_answer_json(struct sim_response *resp, int status,
	    struct json_object *obj);

/* Fills resp with an RFC 9457 problem document (application/problem+json)
 * of type "/problems/<slug>", saying in detail what to fix. */
void	sim_answer_problem(struct sim_response *resp, int status,
	    const char *slug, const char *title, const char *detail,
	    const struct sim_request *req);

/* Names of endpoints and outcomes as they appear in JSON. */
const char *sim_endpoint_name(enum sim_endpoint ep);
const char *sim_outcome_name(enum sim_outcome out);

#endif
