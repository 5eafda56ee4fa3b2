/*
 * SHA-256 (OpenSSL's libcrypto), as lower-case hex: for API keys, bodies
 * of idempotent requests and idempotency keys.
 */
#ifndef OMS_DIGEST_H
#define OMS_DIGEST_H

#include <stddef.h>

#define DIGEST_HEX_SIZE	65	/* 64 hex digits and a NUL */

/* Writes the hex SHA-256 of len bytes at data to hex. Returns 0, or -1 if
 * libcrypto failed. */
int	digest_sha256_hex(const void *data, size_t len,
	    char hex[DIGEST_HEX_SIZE]);

#endif
