/*
 * backoff.c — how long to wait before a retry (see backoff.h). A transient
 * failure of a provider is retried for as long as it takes: the delay grows
 * exponentially up to a ceiling and is jittered so that the calls of many
 * orders that failed together do not come back together.
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"

int
backoff_delay_ms(int attempt, int base_ms, int max_ms, int retry_after_s,
    unsigned rnd)
{
	long long ceiling = base_ms > 0 ? base_ms : 1, half, delay;
	int i;

	for (i = 0; i < attempt && ceiling < max_ms; i++)
		ceiling *= 2;
	if (ceiling > max_ms)
		ceiling = max_ms;
	half = ceiling / 2;
	delay = half + (long long)(rnd % (unsigned)(ceiling - half + 1));
	if (retry_after_s >= 0) {
		long long after = (long long)(retry_after_s >
		    BACKOFF_AFTER_MAX_S ? BACKOFF_AFTER_MAX_S : retry_after_s) *
		    1000;

		if (after > delay)
			delay = after;
	}
	return (int)delay;
}

unsigned
backoff_random(void)
{
	static unsigned state;

	if (state == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		state = ((unsigned)ts.tv_nsec ^ ((unsigned)getpid() << 16)) | 1u;
	}
	/* xorshift32 */
	state ^= state << 13;
	state ^= state >> 17;
	state ^= state << 5;
	return state;
}
