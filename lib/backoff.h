/*
 * Retry delays: exponential backoff with jitter, and the server's
 * Retry-After when it asks for longer. Pure functions (unit-tested).
 */
#ifndef OMS_BACKOFF_H
#define OMS_BACKOFF_H

#define BACKOFF_BASE_MS		200	/* the first retry's ceiling */
#define BACKOFF_MAX_MS		30000	/* the ceiling never grows past it */
#define BACKOFF_AFTER_MAX_S	300	/* a longer Retry-After is capped */

/* The delay before retry number attempt (0 for the first retry):
 * ceiling = min(max_ms, base_ms * 2^attempt), delay uniformly in
 * [ceiling / 2, ceiling] drawn from rnd ("equal jitter": never a burst of
 * immediate retries, never in lock-step with other clients). When
 * retry_after_s >= 0 the delay is at least that (capped at
 * BACKOFF_AFTER_MAX_S seconds). */
int	backoff_delay_ms(int attempt, int base_ms, int max_ms,
	    int retry_after_s, unsigned rnd);

/* A random number for backoff_delay_ms (not for secrets). */
unsigned backoff_random(void);

#endif
