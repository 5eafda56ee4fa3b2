/*
 * webhook.c — the rules of webhook subscriptions and their signatures.
 *
 * A subscription names a URL and the event types it wants ("*": all). Its
 * secret, "whsec_" and 32 random bytes, is the HMAC key, as text: the
 * signature of a delivery is HMAC-SHA256(secret, "<t>.<body>") in hex,
 * sent as "Webhook-Signature: t=<unix time>,v1=<hex>" — the convention
 * Stripe made familiar, so receivers verify with tools they already have.
 * During a rotation the old secret signs too: a second v1. The URL check
 * here is syntax only; the addresses a name resolves to are checked at
 * connect time (lib/http.c), where DNS can no longer change them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "auth.h"
#include "digest.h"
#include "webhook.h"

const char *const webhook_event_types[] = {
	"order.created",
	"order.payment_succeeded",
	"order.payment_failed",
	"order.shipped",
	"order.delivered",
	"order.canceled",
	"order.refunded",
	"order.deleted",
	"order.updated",
	NULL
};

static int
webhook_fail(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
	return -1;
}

int
webhook_event_type_valid(const char *type)
{
	for (size_t i = 0; webhook_event_types[i] != NULL; i++)
		if (strcmp(type, webhook_event_types[i]) == 0)
			return 1;
	return 0;
}

int
webhook_events_check(struct json_object *events, char *err, size_t errlen)
{
	size_t n;

	if (events == NULL || !json_object_is_type(events, json_type_array))
		return webhook_fail(err, errlen, "events must be an array of "
		    "event types, or [\"*\"] for all");
	n = json_object_array_length(events);
	if (n == 0 || n > WEBHOOK_EVENTS_MAX)
		return webhook_fail(err, errlen, "events must list 1 to 16 "
		    "event types");
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(events, i);
		const char *s = json_object_is_type(e, json_type_string) ?
		    json_object_get_string(e) : NULL;

		if (s == NULL || (strcmp(s, "*") != 0 &&
		    !webhook_event_type_valid(s))) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "events[%zu] is not an "
				    "event type (order.created, "
				    "order.payment_succeeded, "
				    "order.payment_failed, order.shipped, "
				    "order.delivered, order.canceled, "
				    "order.refunded, order.deleted, "
				    "order.updated, or \"*\")", i);
			return -1;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(s, json_object_get_string(
			    json_object_array_get_idx(events, j))) == 0) {
				if (err != NULL && errlen > 0)
					snprintf(err, errlen, "events[%zu] "
					    "repeats %s", i, s);
				return -1;
			}
	}
	return 0;
}

int
webhook_events_match(struct json_object *events, const char *type)
{
	size_t n = events != NULL && json_object_is_type(events,
	    json_type_array) ? json_object_array_length(events) : 0;

	for (size_t i = 0; i < n; i++) {
		const char *s = json_object_get_string(
		    json_object_array_get_idx(events, i));

		if (s != NULL && (strcmp(s, "*") == 0 || strcmp(s, type) == 0))
			return 1;
	}
	return 0;
}

/* Checks the host[:port] of len bytes at s. */
static int
webhook_authority_check(const char *s, size_t len, char *err, size_t errlen)
{
	const char *end = s + len, *host_end, *p;

	if (len == 0)
		return webhook_fail(err, errlen, "url needs a host");
	if (memchr(s, '@', len) != NULL)
		return webhook_fail(err, errlen, "url must not carry a user "
		    "or password");
	if (*s == '[') {
		if ((host_end = memchr(s, ']', len)) == NULL)
			return webhook_fail(err, errlen, "url: an IPv6 host "
			    "needs a closing ]");
		for (p = s + 1; p < host_end; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' &&
			    *p != '.')
				return webhook_fail(err, errlen, "url: the IPv6 "
				    "host is malformed");
		if (host_end == s + 1)
			return webhook_fail(err, errlen, "url needs a host");
		host_end++;
	} else {
		for (host_end = s; host_end < end && *host_end != ':';
		    host_end++)
			if (!isalnum((unsigned char)*host_end) &&
			    *host_end != '-' && *host_end != '.')
				return webhook_fail(err, errlen, "url: the host "
				    "may hold letters, digits, '-' and '.' only");
		if (host_end == s || *s == '.' || *s == '-')
			return webhook_fail(err, errlen, "url needs a host");
	}
	if (host_end == end)
		return 0;
	if (*host_end != ':' || host_end + 1 == end || end - host_end > 6)
		return webhook_fail(err, errlen, "url: the port must be 1 to "
		    "65535");
	long port = 0;
	for (p = host_end + 1; p < end; p++) {
		if (!isdigit((unsigned char)*p))
			return webhook_fail(err, errlen, "url: the port must "
			    "be 1 to 65535");
		port = port * 10 + (*p - '0');
	}
	if (port < 1 || port > 65535)
		return webhook_fail(err, errlen, "url: the port must be 1 to "
		    "65535");
	return 0;
}

int
webhook_url_check(const char *url, int allow_http, char *err, size_t errlen)
{
	size_t len = strlen(url), skip;
	const char *auth, *auth_end;

	if (len > WEBHOOK_URL_MAX)
		return webhook_fail(err, errlen, "url is longer than 2048 "
		    "bytes");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
			return webhook_fail(err, errlen, "url must not hold "
			    "spaces or control characters (percent-encode "
			    "them)");
	if (strncasecmp(url, "https://", 8) == 0)
		skip = 8;
	else if (strncasecmp(url, "http://", 7) == 0) {
		if (!allow_http)
			return webhook_fail(err, errlen, "url must be https:// "
			    "(http:// only when the operator sets "
			    "OMS_WEBHOOK_ALLOW_HTTP=1)");
		skip = 7;
	} else
		return webhook_fail(err, errlen, allow_http ? "url must be "
		    "https:// or http://" : "url must be https://");
	if (strchr(url, '#') != NULL)
		return webhook_fail(err, errlen, "url must not have a "
		    "fragment (#...)");
	auth = url + skip;
	auth_end = auth + strcspn(auth, "/?");
	return webhook_authority_check(auth, (size_t)(auth_end - auth), err,
	    errlen);
}

enum oms_err
webhook_secret_generate(char out[WEBHOOK_SECRET_SIZE])
{
	unsigned char raw[32];
	char b64[48];
	size_t got = 0, plen = sizeof(WEBHOOK_SECRET_PREFIX) - 1;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			explicit_bzero(raw, sizeof(raw));
			return OMS_EIO;
		}
		got += (size_t)n;
	}
	if (auth_b64url_encode(raw, sizeof(raw), b64, sizeof(b64)) != 43) {
		explicit_bzero(raw, sizeof(raw));
		return OMS_EINTERNAL;
	}
	memcpy(out, WEBHOOK_SECRET_PREFIX, plen);
	memcpy(out + plen, b64, 44);	/* 43 and the NUL */
	explicit_bzero(raw, sizeof(raw));
	explicit_bzero(b64, sizeof(b64));
	return OMS_OK;
}

/* hex = HMAC-SHA256(secret, "<t>.<body>"). */
static int
webhook_hmac(const char *secret, const char *tbuf, const char *body,
    size_t len, char hex[DIGEST_HEX_SIZE])
{
	const void *parts[3] = { tbuf, ".", body };
	size_t lens[3] = { strlen(tbuf), 1, len };

	return digest_hmac_sha256_hex(secret, strlen(secret), parts, lens, 3,
	    hex);
}

int
webhook_sign(char *out, size_t outlen, long long t, const char *secret,
    const char *prev_secret, const char *body, size_t len)
{
	char tbuf[24], a[DIGEST_HEX_SIZE], b[DIGEST_HEX_SIZE];
	int n;

	snprintf(tbuf, sizeof(tbuf), "%lld", t);
	if (webhook_hmac(secret, tbuf, body, len, a) == -1)
		return -1;
	if (prev_secret != NULL) {
		if (webhook_hmac(prev_secret, tbuf, body, len, b) == -1)
			return -1;
		n = snprintf(out, outlen, "t=%s,v1=%s,v1=%s", tbuf, a, b);
	} else
		n = snprintf(out, outlen, "t=%s,v1=%s", tbuf, a);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int
webhook_verify(const char *header, const char *secret, const char *body,
    size_t len, long long now, long long tolerance_s)
{
	char tbuf[24] = "", want[DIGEST_HEX_SIZE];
	const char *p = header;
	int found = 0;

	/* The t= element first: the v1 values are computed over it. */
	while (*p != '\0') {
		size_t n = strcspn(p, ",");

		if (n > 2 && strncmp(p, "t=", 2) == 0 && n - 2 < sizeof(tbuf)) {
			memcpy(tbuf, p + 2, n - 2);
			tbuf[n - 2] = '\0';
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (tbuf[0] == '\0' || strspn(tbuf, "0123456789") != strlen(tbuf))
		return 0;
	if (tolerance_s > 0 && llabs(now - atoll(tbuf)) > tolerance_s)
		return 0;
	if (webhook_hmac(secret, tbuf, body, len, want) == -1)
		return 0;
	for (p = header; *p != '\0';) {
		size_t n = strcspn(p, ",");

		if (n == 3 + 64 && strncmp(p, "v1=", 3) == 0) {
			/* constant time over the 64 digits */
			unsigned diff = 0;

			for (size_t i = 0; i < 64; i++)
				diff |= (unsigned)(p[3 + i] ^ want[i]);
			found |= diff == 0;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return found;
}
