/*
 * Webhook subscriptions in Redis (docs/redis.md): the hash
 * oms:webhook:sub:<id> and the index oms:webhook:subs. A record is handled
 * as a json-c object of string members, exactly the hash's fields:
 *   id, url, events (JSON text), description, enabled ("1"|"0"),
 *   createdAt, updatedAt, secret, and during a rotation prevSecret and
 *   prevSecretUntil (Unix ms); disabledReason when oms-notify disabled it.
 * The secret is the signing key itself (HMAC needs it): it is only ever
 * returned by webhook_store_create and webhook_store_rotate, never logged.
 */
#ifndef OMS_WEBHOOK_STORE_H
#define OMS_WEBHOOK_STORE_H

#include <json-c/json.h>

#include "store.h"
#include "webhook.h"

#define WEBHOOK_SUBS_MAX	1000	/* subscriptions per installation */
/* A counter every change of a subscription increments (with the change). */
#define WEBHOOK_SUBS_GEN	"oms:webhook:subs:gen"

/* The value of WEBHOOK_SUBS_GEN (0 before the first change), or -1 when
 * Redis failed. */
long long	webhook_store_gen(struct store *st);

/* Reads subscription id. OMS_OK with *rec (owned), OMS_ENOTFOUND, or
 * OMS_EUNAVAIL. */
enum oms_err	webhook_store_get(struct store *st, const char *id,
		    struct json_object **rec);

/* Every subscription, oldest first: *recs is an owned array of records.
 * OMS_OK or OMS_EUNAVAIL. */
enum oms_err	webhook_store_list(struct store *st, struct json_object **recs);

/* Creates a subscription (events borrowed, already checked) with a new id
 * and secret. OMS_OK with *rec (owned; it holds the secret), OMS_ECONFLICT
 * past WEBHOOK_SUBS_MAX, OMS_EIO (no randomness) or OMS_EUNAVAIL. */
enum oms_err	webhook_store_create(struct store *st, const char *url,
		    struct json_object *events, const char *description,
		    struct json_object **rec);

/* A change: NULL members (enabled < 0) stay as they are. Borrowed. */
struct webhook_change {
	const char		*url;
	struct json_object	*events;
	const char		*description;
	int			 enabled;
	const char		*disabled_reason;	/* with enabled 0 */
};

/* Applies ch to subscription id atomically (WATCH/MULTI). OMS_OK with
 * *rec (owned) the record afterwards, OMS_ENOTFOUND, OMS_ECONFLICT (a
 * concurrent change: retry) or OMS_EUNAVAIL. */
enum oms_err	webhook_store_update(struct store *st, const char *id,
		    const struct webhook_change *ch, struct json_object **rec);

/* Gives subscription id a new secret; the old one keeps signing for
 * WEBHOOK_ROTATE_GRACE_MS. Like webhook_store_update otherwise. */
enum oms_err	webhook_store_rotate(struct store *st, const char *id,
		    struct json_object **rec);

/* Deletes subscription id and its delivery log. OMS_OK, OMS_ENOTFOUND or
 * OMS_EUNAVAIL. Deliveries still pending are dropped by oms-notify when
 * it finds the subscription gone. */
enum oms_err	webhook_store_delete(struct store *st, const char *id);

/* The API representation of rec (owned; no secret): id, url, events,
 * description, enabled, createdAt, updatedAt, and previousSecretExpiresAt
 * during a rotation, disabledReason when set. */
struct json_object *webhook_store_view(struct json_object *rec);

/* The secrets that sign now: the current one, and the previous one while
 * its grace period lasts (else *prev = NULL). Borrowed from rec. */
void		webhook_store_secrets(struct json_object *rec, long long now_ms,
		    const char **secret, const char **prev);

/*
 * Deliveries (written by oms-notify; docs/redis.md):
 *   oms:webhook:event:<eventId>        string: the event body, as sent
 *   oms:webhook:dlv:<subId>:<eventId>  hash: state (pending|delivered|
 *                                      failed), type, attempts, firstAt,
 *                                      nextAt, leaseUntil (Unix ms; while
 *                                      claimed), gen (redelivers)
 *   oms:webhook:due:<subId>            zset of eventIds by due ms
 *   oms:webhook:pending:<subId>        set of eventIds not yet settled
 *   oms:webhook:log:<subId>            list: the recent attempts (JSON),
 *                                      newest first
 */
#define WEBHOOK_LOG_MAX		100

/* The newest limit (1..WEBHOOK_LOG_MAX) attempts of subscription id, an
 * owned array of objects. OMS_OK or OMS_EUNAVAIL. */
enum oms_err	webhook_store_deliveries(struct store *st, const char *id,
		    int limit, struct json_object **out);

/* 1 when s has the form of an event id ("evt_" and 1..64 id characters). */
int		webhook_store_event_id_valid(const char *s);

/* Unix milliseconds, and RFC 3339 UTC with ms. */
long long	webhook_store_now_ms(void);
void		webhook_store_time(long long ms, char buf[32]);

#endif
