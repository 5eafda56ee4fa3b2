/*
 * clock.c — milliseconds of CLOCK_MONOTONIC (clock.h), for every deadline,
 * timer and duration of the daemons, the simulator and the tests' helpers.
 */
#include <time.h>

#include "clock.h"

int64_t
clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
