/*
 * digest.c — SHA-256 through libcrypto's EVP interface (no hand written
 * hashing).
 *
 * The algorithm is fetched and the context allocated once per process and
 * then reused: with OpenSSL 3 the one-shot EVP_Digest(..., EVP_sha256())
 * fetches the implementation on every call, which costs several times the
 * hashing of a 47-byte API key (each authenticated request hashes its key;
 * docs/performance.md). Neither is freed: they live as long as the process.
 */
#include <openssl/evp.h>

#include "digest.h"

static EVP_MD		*digest_md;
static EVP_MD_CTX	*digest_ctx;

int
digest_sha256_hex(const void *data, size_t len, char hex[DIGEST_HEX_SIZE])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (digest_md == NULL &&
	    (digest_md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		return -1;
	if (digest_ctx == NULL && (digest_ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex2(digest_ctx, digest_md, NULL) != 1 ||
	    EVP_DigestUpdate(digest_ctx, data, len) != 1 ||
	    EVP_DigestFinal_ex(digest_ctx, md, &mdlen) != 1 || mdlen != 32)
		return -1;
	for (unsigned int i = 0; i < mdlen; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0x0f];
	}
	hex[2 * mdlen] = '\0';
	return 0;
}
