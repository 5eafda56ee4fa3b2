/*
 * The delays and faults of oms-provider-sim, changed at run time through
 * PUT /_sim/config: a latency per API with jitter, a share of calls that
 * fail with 500 before doing anything (errorRate) or after doing it, the
 * answer lost (errorAfterRate), a window in which every call is 503
 * (unavailableMs) and an extra hold on every answer (stallMs). Draws come
 * from a small PRNG of its own (xorshift64*), seeded at start. Not
 * thread-safe: one thread (the HTTP loop) uses it.
 */
#ifndef OMS_SIM_FAULTS_H
#define OMS_SIM_FAULTS_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "err.h"
#include "sim.h"

#define FAULTS_MS_MAX	3600000		/* any delay, window or stall: 1 h */

struct faults {
	long		 payment_delay_ms;
	long		 shipping_delay_ms;
	int		 jitter_pct;		/* 0..100 */
	double		 error_rate;		/* 0..1 */
	double		 error_after_rate;	/* 0..1 */
	int64_t		 unavailable_until_ms;	/* clock_ms() clock */
	long		 stall_ms;
	uint64_t	 rng;
};

/* Sets the start-up values (all faults off) and seeds the PRNG from seed
 * (0: from the kernel's random source). */
void	faults_init(struct faults *f, long payment_delay_ms,
	    long shipping_delay_ms, int jitter_pct, uint64_t seed);

/* Applies a PUT /_sim/config body: an object with any subset of
 * paymentDelayMs, shippingDelayMs, jitterPct, errorRate, errorAfterRate,
 * unavailableMs (the window starts now; 0 ends it) and stallMs. Nothing
 * changes unless all of it is valid: then OMS_OK, else OMS_EINVAL with
 * the member to fix in err. */
enum oms_err faults_update(struct faults *f, struct json_object *body,
	    int64_t now_ms, char *err, size_t errlen);

/* Returns a new object (owned) with every setting; unavailableMs is what
 * is left of the window. */
struct json_object *faults_json(const struct faults *f, int64_t now_ms);

/* The delay of a new answer of ep, jitter drawn: uniform within
 * +/- jitter_pct percent of the API's delay. */
long	faults_delay_ms(struct faults *f, enum sim_endpoint ep);

/* Milliseconds left of the 503 window; 0 outside it. */
long	faults_unavailable_ms(const struct faults *f, int64_t now_ms);

/* 1 with probability rate (errorRate or errorAfterRate), else 0. */
int	faults_draw(struct faults *f, double rate);

#endif
