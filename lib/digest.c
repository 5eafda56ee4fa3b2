/*
 * digest.c — SHA-256 through libcrypto's EVP interface (no hand written
 * hashing).
 *
 * The algorithm is fetched once per process (pthread_once: an oms-fcgi
 * child hashes on several threads) and then reused: with OpenSSL 3 the
 * one-shot EVP_Digest(..., EVP_sha256()) fetches the implementation on
 * every call, which costs several times the hashing of a 47-byte API key
 * (each authenticated request hashes its key; docs/performance.md). It is
 * never freed: it lives as long as the process. Each call has its own
 * context (a small allocation; a shared one would race between threads).
 * HMAC-SHA256 (the webhook signatures) goes through EVP_MAC the same way.
 */
#include <pthread.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "digest.h"

static EVP_MD		*digest_md;
static EVP_MAC		*digest_mac;
static pthread_once_t	 digest_once = PTHREAD_ONCE_INIT;

/* Fetches the algorithms (NULL where the provider has none). */
static void
digest_fetch(void)
{
	digest_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	digest_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

int
digest_sha256_hex(const void *data, size_t len, char hex[DIGEST_HEX_SIZE])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	int ok;

	pthread_once(&digest_once, digest_fetch);
	if (digest_md == NULL || (ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex2(ctx, digest_md, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, data, len) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	for (unsigned int i = 0; i < mdlen; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0x0f];
	}
	hex[2 * mdlen] = '\0';
	return 0;
}

int
digest_hmac_sha256_hex(const void *key, size_t klen, const void *const *parts,
    const size_t *lens, size_t n, char hex[DIGEST_HEX_SIZE])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t mdlen = 0;
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;
	int ok;

	pthread_once(&digest_once, digest_fetch);
	if (digest_mac == NULL || (ctx = EVP_MAC_CTX_new(digest_mac)) == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = EVP_MAC_init(ctx, key, klen, params) == 1;
	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_MAC_update(ctx, parts[i], lens[i]) == 1;
	ok = ok && EVP_MAC_final(ctx, md, &mdlen, sizeof(md)) == 1 &&
	    mdlen == 32;
	EVP_MAC_CTX_free(ctx);
	if (!ok)
		return -1;
	for (size_t i = 0; i < mdlen; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0x0f];
	}
	hex[2 * mdlen] = '\0';
	explicit_bzero(md, sizeof(md));
	return 0;
}
