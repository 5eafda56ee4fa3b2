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

/* Writes the hex HMAC-SHA256, keyed with klen bytes of key, of the n parts
 * (parts[i] of lens[i] bytes, hashed one after the other as one message) to
 * hex. Returns 0, or -1 if libcrypto failed. */
int	digest_hmac_sha256_hex(const void *key, size_t klen,
	    const void *const *parts, const size_t *lens, size_t n,
	    char hex[DIGEST_HEX_SIZE]);

#endif
