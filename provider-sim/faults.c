/*
 * faults.c — delays and fault switches (see faults.h). faults_update()
 * checks the whole body into a copy first, so a bad member leaves the
 * running configuration as it was.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "faults.h"

void
faults_init(struct faults *f, long payment_delay_ms, long shipping_delay_ms,
    int jitter_pct, uint64_t seed)
{
	memset(f, 0, sizeof(*f));
	f->payment_delay_ms = payment_delay_ms;
	f->shipping_delay_ms = shipping_delay_ms;
	f->jitter_pct = jitter_pct;
	if (seed == 0 && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	f->rng = seed != 0 ? seed : 0x9e3779b97f4a7c15ULL;
}

/* A uniform double in [0, 1). */
static double
faults_uniform(struct faults *f)
{
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return (double)((f->rng * 0x2545f4914f6cdd1dULL) >> 11) /
	    9007199254740992.0;	/* 2^53 */
}

int
faults_draw(struct faults *f, double rate)
{
	return rate > 0 && faults_uniform(f) < rate;
}

long
faults_delay_ms(struct faults *f, enum sim_endpoint ep)
{
	long base = (ep == SIM_EP_CHARGES || ep == SIM_EP_REFUNDS) ?
	    f->payment_delay_ms : f->shipping_delay_ms;
	double span = (double)base * f->jitter_pct / 100.0;

	if (base == 0 || span == 0)
		return base;
	return (long)((double)base - span + 2 * span * faults_uniform(f) + 0.5);
}

long
faults_unavailable_ms(const struct faults *f, int64_t now_ms)
{
	return f->unavailable_until_ms > now_ms ?
	    (long)(f->unavailable_until_ms - now_ms) : 0;
}

/* Reads member key of body, if present, as an integer 0..max into *out. */
static int
faults_int(struct json_object *body, const char *key, long max, long *out,
    char *err, size_t errlen)
{
	struct json_object *v;

	if (!json_object_object_get_ex(body, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0 || json_object_get_int64(v) > max) {
		snprintf(err, errlen, "%s must be an integer in 0..%ld", key,
		    max);
		return -1;
	}
	*out = (long)json_object_get_int64(v);
	return 0;
}

/* Reads member key, if present, as a number 0..1 into *out. */
static int
faults_rate(struct json_object *body, const char *key, double *out,
    char *err, size_t errlen)
{
	struct json_object *v;
	double d;

	if (!json_object_object_get_ex(body, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		goto bad;
	d = json_object_get_double(v);
	if (!(d >= 0 && d <= 1))
		goto bad;
	*out = d;
	return 0;
bad:
	snprintf(err, errlen, "%s must be a number from 0 to 1", key);
	return -1;
}

enum oms_err
faults_update(struct faults *f, struct json_object *body, int64_t now_ms,
    char *err, size_t errlen)
{
	static const char *const known[] = {
		"paymentDelayMs", "shippingDelayMs", "jitterPct", "errorRate",
		"errorAfterRate", "unavailableMs", "stallMs", NULL
	};
	struct faults n = *f;
	long jitter = f->jitter_pct, unavail = -1;
	size_t i;

	if (!json_object_is_type(body, json_type_object)) {
		snprintf(err, errlen, "the body must be a JSON object");
		return OMS_EINVAL;
	}
	json_object_object_foreach(body, key, val) {
		(void)val;
		for (i = 0; known[i] != NULL && strcmp(known[i], key) != 0; i++)
			;
		if (known[i] == NULL) {
			snprintf(err, errlen, "unknown member %.64s (known: "
			    "paymentDelayMs, shippingDelayMs, jitterPct, "
			    "errorRate, errorAfterRate, unavailableMs, stallMs)",
			    key);
			return OMS_EINVAL;
		}
	}
	if (faults_int(body, "paymentDelayMs", FAULTS_MS_MAX,
	    &n.payment_delay_ms, err, errlen) == -1 ||
	    faults_int(body, "shippingDelayMs", FAULTS_MS_MAX,
	    &n.shipping_delay_ms, err, errlen) == -1 ||
	    faults_int(body, "jitterPct", 100, &jitter, err, errlen) == -1 ||
	    faults_rate(body, "errorRate", &n.error_rate, err, errlen) == -1 ||
	    faults_rate(body, "errorAfterRate", &n.error_after_rate, err,
	    errlen) == -1 ||
	    faults_int(body, "unavailableMs", FAULTS_MS_MAX, &unavail, err,
	    errlen) == -1 ||
	    faults_int(body, "stallMs", FAULTS_MS_MAX, &n.stall_ms, err,
	    errlen) == -1)
		return OMS_EINVAL;
	n.jitter_pct = (int)jitter;
	if (unavail >= 0)
		n.unavailable_until_ms = now_ms + unavail;
	*f = n;
	return OMS_OK;
}

struct json_object *
faults_json(const struct faults *f, int64_t now_ms)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "paymentDelayMs",
	    json_object_new_int64(f->payment_delay_ms));
	json_object_object_add(o, "shippingDelayMs",
	    json_object_new_int64(f->shipping_delay_ms));
	json_object_object_add(o, "jitterPct",
	    json_object_new_int(f->jitter_pct));
	json_object_object_add(o, "errorRate",
	    json_object_new_double(f->error_rate));
	json_object_object_add(o, "errorAfterRate",
	    json_object_new_double(f->error_after_rate));
	json_object_object_add(o, "unavailableMs",
	    json_object_new_int64(faults_unavailable_ms(f, now_ms)));
	json_object_object_add(o, "stallMs", json_object_new_int64(f->stall_ms));
	return o;
}
