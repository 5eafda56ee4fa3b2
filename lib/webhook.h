/*
 * Webhooks, the pure part (no I/O): the event types a subscription may
 * name, the rules for its URL, its signing secrets and the signature
 * header receivers verify (docs/webhooks.md). Unit-tested with strings.
 */
#ifndef OMS_WEBHOOK_H
#define OMS_WEBHOOK_H

#include <stddef.h>
#include <json-c/json.h>

#include "err.h"

#define WEBHOOK_URL_MAX		2048
#define WEBHOOK_DESC_MAX	256
#define WEBHOOK_EVENTS_MAX	16	/* entries of a subscription's events */
#define WEBHOOK_SECRET_PREFIX	"whsec_"
#define WEBHOOK_SECRET_SIZE	50	/* "whsec_" + 43 base64url + NUL */
#define WEBHOOK_ROTATE_GRACE_MS	(24LL * 3600 * 1000)
/* "t=<20 digits>" and two ",v1=<64 hex>" */
#define WEBHOOK_SIGNATURE_MAX	(2 + 20 + 2 * (4 + 64) + 1)

/* The event types, NULL-terminated: "order.created", ... */
extern const char *const webhook_event_types[];

/* 1 when type is one of webhook_event_types. */
int	webhook_event_type_valid(const char *type);

/* Checks a subscription's events member (borrowed): a non-empty array of
 * at most WEBHOOK_EVENTS_MAX distinct strings, each an event type or "*".
 * Returns 0, or -1 with what to fix in err. */
int	webhook_events_check(struct json_object *events, char *err,
	    size_t errlen);

/* 1 when the events array (borrowed) names type or "*". */
int	webhook_events_match(struct json_object *events, const char *type);

/* Checks a subscription URL: https://host[:port][/path][?query] (http://
 * too when allow_http), a DNS name or an IP literal as host, no userinfo,
 * no fragment, no spaces or control characters, at most WEBHOOK_URL_MAX
 * bytes. Addresses are checked after resolution, by the dispatcher.
 * Returns 0, or -1 with what to fix in err. */
int	webhook_url_check(const char *url, int allow_http, char *err,
	    size_t errlen);

/* Writes a new secret ("whsec_" and 32 random bytes in base64url) to out.
 * OMS_OK, or OMS_EIO. Wipe it with explicit_bzero after use. */
enum oms_err webhook_secret_generate(char out[WEBHOOK_SECRET_SIZE]);

/* Writes the Webhook-Signature value for body (len bytes) sent at unix
 * time t: "t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>", and a second
 * v1 computed with prev_secret when it is not NULL (during a rotation).
 * The HMAC key is the secret string itself, prefix included. Returns 0,
 * or -1 (libcrypto failed, or out is too small). */
int	webhook_sign(char *out, size_t outlen, long long t, const char *secret,
	    const char *prev_secret, const char *body, size_t len);

/* 1 when header (a Webhook-Signature value) has a v1 that secret signs
 * for body, and its t is within tolerance_s of now (tolerance_s <= 0:
 * any t). For receivers and tests. */
int	webhook_verify(const char *header, const char *secret,
	    const char *body, size_t len, long long now, long long tolerance_s);

#endif
