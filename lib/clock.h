/*
 * clock.h — the one monotonic clock of oms, in milliseconds.
 */
#ifndef OMS_CLOCK_H
#define OMS_CLOCK_H

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC: for deadlines and durations, never for
 * dates. */
int64_t	clock_ms(void);

#endif
