/*
 * UUID version 7 (RFC 9562 section 5.7): a 48-bit Unix millisecond
 * timestamp, then random bits, so ids sort by creation time. Order ids
 * and command ids are UUIDv7 in canonical text form.
 */
#ifndef OMS_UUID_H
#define OMS_UUID_H

#include <stdint.h>

#include "err.h"

#define UUID_STR_LEN	36	/* "xxxxxxxx-xxxx-7xxx-yxxx-xxxxxxxxxxxx" */

/* Writes a new UUIDv7, lowercase 8-4-4-4-12, NUL-terminated, to out.
 * Within a process each is greater than the one before. Returns OMS_OK,
 * or OMS_EIO if the kernel's random source fails (out is then ""). */
enum oms_err uuid_v7(char out[UUID_STR_LEN + 1]);

/* Writes the 16 bytes of b in canonical text form to out. */
void	uuid_format(const unsigned char b[16], char out[UUID_STR_LEN + 1]);

/* Returns 1 if s is a UUID in canonical form (36 characters, lowercase
 * hex, dashes at 8, 13, 18 and 23), of any version, else 0. */
int	uuid_valid(const char *s);

/* Returns the version nibble of a valid s, or -1 if s is not valid. */
int	uuid_version(const char *s);

/* Returns the 48-bit timestamp of a valid UUIDv7 s in Unix ms, or -1. */
int64_t	uuid_v7_time(const char *s);

#endif
