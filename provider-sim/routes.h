/*
 * The routes of oms-provider-sim: the provider contract (POST /charges,
 * /refunds, /shipments, /shipments/{id}/void), the record lists (GET of
 * the same collections and /voids), /_sim/config, /_sim/stats and
 * /healthz. A request in, an answer out (with how long to hold it); no
 * I/O. Not thread-safe: the HTTP loop's one thread calls it.
 */
#ifndef OMS_SIM_ROUTES_H
#define OMS_SIM_ROUTES_H

#include "sim.h"
#include "timerq.h"

struct routes;

struct routes_config {
	const char	*payment_token;		/* NULL: no token asked */
	const char	*shipping_token;
	long		 payment_delay_ms;
	long		 shipping_delay_ms;
	int		 jitter_pct;
	uint64_t	 seed;			/* 0: random */
};

/* Returns new routes; the tokens are copied. tq (borrowed, may be NULL)
 * only feeds /_sim/stats. Free with routes_free(). */
struct routes	*routes_new(const struct routes_config *rc, struct timerq *tq);
void		 routes_free(struct routes *r);

/* Answers req into resp (resp->body is then owned by the caller). */
void	routes_handle(struct routes *r, const struct sim_request *req,
	    struct sim_response *resp);

#endif
