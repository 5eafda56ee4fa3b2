/*
 * webhook_store.c — webhook subscriptions as Redis hashes.
 *
 * Writers are oms-fcgi (the API), omsctl and oms-notify (which disables a
 * subscription that failed for days). Creating is one MULTI (the hash and
 * the index together); every change of an existing record is WATCH, read,
 * MULTI, HSET, EXEC, so a change racing a delete cannot bring back half a
 * record: EXEC then aborts and the caller answers 409 (retry).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "log.h"
#include "uuid.h"
#include "webhook_store.h"

#define WH_FIELDS_MAX	12

long long
webhook_store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
webhook_store_time(long long ms, char buf[32])
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	char t[24];

	gmtime_r(&s, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, 32, "%s.%03dZ", t, (int)(ms % 1000));
}

/* The record (owned) of an HGETALL reply; NULL when empty. */
static struct json_object *
webhook_store_record(const struct store_reply *r)
{
	struct json_object *rec;

	if (r->type != STORE_ARRAY || r->nelem < 2)
		return NULL;
	rec = json_object_new_object();
	for (size_t i = 0; i + 1 < r->nelem; i += 2)
		json_object_object_add(rec, r->elem[i]->str,
		    json_object_new_string_len(r->elem[i + 1]->str,
		    (int)r->elem[i + 1]->len));
	return rec;
}

enum oms_err
webhook_store_get(struct store *st, const char *id, struct json_object **rec)
{
	struct store_reply *r;

	*rec = NULL;
	if (store_cmd(st, &r, "HGETALL oms:webhook:sub:%s", id) != OMS_OK)
		return OMS_EUNAVAIL;
	if (r->type == STORE_ERROR) {
		log_warnx("redis HGETALL: %s", r->str);
		store_reply_free(r);
		return OMS_EUNAVAIL;
	}
	*rec = webhook_store_record(r);
	store_reply_free(r);
	return *rec != NULL ? OMS_OK : OMS_ENOTFOUND;
}

long long
webhook_store_gen(struct store *st)
{
	struct store_reply *r;
	long long gen = -1;

	if (store_cmd(st, &r, "GET " WEBHOOK_SUBS_GEN) != OMS_OK)
		return -1;
	gen = r->type == STORE_STRING ? atoll(r->str) : r->type == STORE_NIL ?
	    0 : -1;
	store_reply_free(r);
	return gen;
}

enum oms_err
webhook_store_list(struct store *st, struct json_object **recs)
{
	struct store_reply *r, **h = NULL;
	const char **ids = NULL;
	enum oms_err rc = OMS_OK;

	*recs = NULL;
	if (store_cmd(st, &r, "ZRANGE oms:webhook:subs 0 -1") != OMS_OK)
		return OMS_EUNAVAIL;
	if (r->type != STORE_ARRAY) {
		store_reply_free(r);
		return OMS_EUNAVAIL;
	}
	*recs = json_object_new_array();
	if (r->nelem > 0) {
		ids = calloc(r->nelem, sizeof(*ids));
		h = calloc(r->nelem, sizeof(*h));
		if (ids == NULL || h == NULL) {
			rc = OMS_ENOMEM;
			goto done;
		}
		for (size_t i = 0; i < r->nelem; i++)
			ids[i] = r->elem[i]->str;
		if (store_pipeline(st, "HGETALL oms:webhook:sub:%s", ids,
		    r->nelem, h) != OMS_OK) {
			rc = OMS_EUNAVAIL;
			goto done;
		}
		for (size_t i = 0; i < r->nelem; i++) {
			struct json_object *rec = webhook_store_record(h[i]);

			if (rec != NULL)
				json_object_array_add(*recs, rec);
			store_reply_free(h[i]);
		}
	}
done:
	if (rc != OMS_OK) {
		json_object_put(*recs);
		*recs = NULL;
	}
	free(ids);
	free(h);
	store_reply_free(r);
	return rc;
}

/* Runs argv as one command whose reply must not be an error. */
static enum oms_err
webhook_store_run(struct store *st, int argc, const char **argv,
    struct store_reply **out)
{
	size_t lens[2 + 2 * WH_FIELDS_MAX];
	struct store_reply *r;

	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	if (store_cmdv(st, &r, argc, argv, lens) != OMS_OK)
		return OMS_EUNAVAIL;
	if (r->type == STORE_ERROR) {
		log_warnx("redis %s: %s", argv[0], r->str);
		store_reply_free(r);
		return OMS_EUNAVAIL;
	}
	if (out != NULL)
		*out = r;
	else
		store_reply_free(r);
	return OMS_OK;
}

/* HSET key with every member of rec, as argv. */
static int
webhook_store_hset_argv(struct json_object *rec, const char *key,
    const char **argv)
{
	int argc = 0;

	argv[argc++] = "HSET";
	argv[argc++] = key;
	json_object_object_foreach(rec, k, v) {
		if (argc + 2 > 2 + 2 * WH_FIELDS_MAX)
			break;
		argv[argc++] = k;
		argv[argc++] = json_object_get_string(v);
	}
	return argc;
}

/* MULTI, the HSET of rec, (ZADD index when created_ms > 0), EXEC.
 * OMS_ECONFLICT when EXEC aborted (a WATCHed key changed). */
static enum oms_err
webhook_store_write(struct store *st, struct json_object *rec,
    long long created_ms)
{
	const char *argv[2 + 2 * WH_FIELDS_MAX], *za[4];
	char key[128], score[24];
	struct store_reply *r = NULL;
	enum oms_err rc;
	int argc;

	snprintf(key, sizeof(key), "oms:webhook:sub:%s",
	    json_get_str(rec, "id"));
	argc = webhook_store_hset_argv(rec, key, argv);
	if ((rc = webhook_store_run(st, 1, (const char *[]){ "MULTI" },
	    NULL)) != OMS_OK)
		return rc;
	rc = webhook_store_run(st, argc, argv, NULL);
	if (rc == OMS_OK && created_ms > 0) {
		snprintf(score, sizeof(score), "%lld", created_ms);
		za[0] = "ZADD";
		za[1] = "oms:webhook:subs";
		za[2] = score;
		za[3] = json_get_str(rec, "id");
		rc = webhook_store_run(st, 4, za, NULL);
	}
	if (rc == OMS_OK)	/* tells oms-notify its cache is stale */
		rc = webhook_store_run(st, 2, (const char *[]){ "INCR",
		    WEBHOOK_SUBS_GEN }, NULL);
	if (rc != OMS_OK) {
		(void)webhook_store_run(st, 1, (const char *[]){ "DISCARD" },
		    NULL);
		return rc;
	}
	if ((rc = webhook_store_run(st, 1, (const char *[]){ "EXEC" }, &r)) !=
	    OMS_OK)
		return rc;
	rc = r->type == STORE_ARRAY ? OMS_OK : OMS_ECONFLICT;
	for (size_t i = 0; rc == OMS_OK && i < r->nelem; i++)
		if (r->elem[i]->type == STORE_ERROR)
			rc = OMS_EUNAVAIL;
	store_reply_free(r);
	return rc;
}

enum oms_err
webhook_store_create(struct store *st, const char *url,
    struct json_object *events, const char *description,
    struct json_object **rec)
{
	char id[UUID_STR_LEN + 1], secret[WEBHOOK_SECRET_SIZE], at[32];
	struct store_reply *r;
	long long now = webhook_store_now_ms();
	enum oms_err rc;

	*rec = NULL;
	if (store_cmd(st, &r, "ZCARD oms:webhook:subs") != OMS_OK)
		return OMS_EUNAVAIL;
	rc = r->type != STORE_INTEGER ? OMS_EUNAVAIL :
	    r->integer >= WEBHOOK_SUBS_MAX ? OMS_ECONFLICT : OMS_OK;
	store_reply_free(r);
	if (rc != OMS_OK)
		return rc;
	if (uuid_v7(id) != OMS_OK || webhook_secret_generate(secret) != OMS_OK)
		return OMS_EIO;
	webhook_store_time(now, at);
	*rec = json_object_new_object();
	json_add_str(*rec, "id", id);
	json_add_str(*rec, "url", url);
	json_add_str(*rec, "events", json_dump(events, NULL));
	json_add_str(*rec, "description", description != NULL ? description :
	    "");
	json_add_str(*rec, "enabled", "1");
	json_add_str(*rec, "createdAt", at);
	json_add_str(*rec, "updatedAt", at);
	json_add_str(*rec, "secret", secret);
	explicit_bzero(secret, sizeof(secret));
	if ((rc = webhook_store_write(st, *rec, now)) != OMS_OK) {
		json_object_put(*rec);
		*rec = NULL;
	}
	return rc;
}

/* WATCH and read id; OMS_OK with *rec, else UNWATCHed. */
static enum oms_err
webhook_store_watch(struct store *st, const char *id,
    struct json_object **rec)
{
	struct store_reply *r;
	enum oms_err rc;

	if (store_cmd(st, &r, "WATCH oms:webhook:sub:%s", id) != OMS_OK)
		return OMS_EUNAVAIL;
	store_reply_free(r);
	if ((rc = webhook_store_get(st, id, rec)) != OMS_OK &&
	    store_cmd(st, &r, "UNWATCH") == OMS_OK)
		store_reply_free(r);
	return rc;
}

static void
webhook_store_touch(struct json_object *rec)
{
	char at[32];

	webhook_store_time(webhook_store_now_ms(), at);
	json_add_str(rec, "updatedAt", at);
}

enum oms_err
webhook_store_update(struct store *st, const char *id,
    const struct webhook_change *ch, struct json_object **rec)
{
	enum oms_err rc;

	if ((rc = webhook_store_watch(st, id, rec)) != OMS_OK)
		return rc;
	if (ch->url != NULL)
		json_add_str(*rec, "url", ch->url);
	if (ch->events != NULL)
		json_add_str(*rec, "events", json_dump(ch->events, NULL));
	if (ch->description != NULL)
		json_add_str(*rec, "description", ch->description);
	if (ch->enabled >= 0) {
		json_add_str(*rec, "enabled", ch->enabled ? "1" : "0");
		json_add_str(*rec, "disabledReason", !ch->enabled &&
		    ch->disabled_reason != NULL ? ch->disabled_reason : "");
	}
	webhook_store_touch(*rec);
	if ((rc = webhook_store_write(st, *rec, 0)) != OMS_OK) {
		json_object_put(*rec);
		*rec = NULL;
	}
	return rc;
}

enum oms_err
webhook_store_rotate(struct store *st, const char *id,
    struct json_object **rec)
{
	char secret[WEBHOOK_SECRET_SIZE], until[24];
	struct store_reply *r;
	enum oms_err rc;

	if ((rc = webhook_store_watch(st, id, rec)) != OMS_OK)
		return rc;
	if (webhook_secret_generate(secret) != OMS_OK) {
		if (store_cmd(st, &r, "UNWATCH") == OMS_OK)
			store_reply_free(r);
		json_object_put(*rec);
		*rec = NULL;
		return OMS_EIO;
	}
	snprintf(until, sizeof(until), "%lld", webhook_store_now_ms() +
	    WEBHOOK_ROTATE_GRACE_MS);
	json_add_str(*rec, "prevSecret", json_get_str(*rec, "secret"));
	json_add_str(*rec, "prevSecretUntil", until);
	json_add_str(*rec, "secret", secret);
	explicit_bzero(secret, sizeof(secret));
	webhook_store_touch(*rec);
	if ((rc = webhook_store_write(st, *rec, 0)) != OMS_OK) {
		json_object_put(*rec);
		*rec = NULL;
	}
	return rc;
}

enum oms_err
webhook_store_delete(struct store *st, const char *id)
{
	struct store_reply *r;
	enum oms_err rc;

	if (store_cmd(st, &r, "DEL oms:webhook:sub:%s", id) != OMS_OK)
		return OMS_EUNAVAIL;
	rc = r->type != STORE_INTEGER ? OMS_EUNAVAIL : r->integer == 0 ?
	    OMS_ENOTFOUND : OMS_OK;
	store_reply_free(r);
	if (rc != OMS_OK)
		return rc;
	if (store_cmd(st, &r, "ZREM oms:webhook:subs %s", id) != OMS_OK)
		return OMS_EUNAVAIL;
	store_reply_free(r);
	if (store_cmd(st, &r, "INCR " WEBHOOK_SUBS_GEN) != OMS_OK)
		return OMS_EUNAVAIL;
	store_reply_free(r);
	if (store_cmd(st, &r, "DEL oms:webhook:log:%s oms:webhook:health:%s "
	    "oms:webhook:pending:%s oms:webhook:due:%s", id, id, id, id) !=
	    OMS_OK)
		return OMS_EUNAVAIL;
	store_reply_free(r);
	return OMS_OK;
}

void
webhook_store_secrets(struct json_object *rec, long long now_ms,
    const char **secret, const char **prev)
{
	const char *until = json_get_str(rec, "prevSecretUntil");

	*secret = json_get_str(rec, "secret");
	*prev = NULL;
	if (until != NULL && atoll(until) > now_ms)
		*prev = json_get_str(rec, "prevSecret");
}

struct json_object *
webhook_store_view(struct json_object *rec)
{
	struct json_object *v = json_object_new_object(), *events = NULL;
	const char *s = json_get_str(rec, "events"), *until, *reason;
	char err[64], at[32];

	json_add_str(v, "id", json_get_str(rec, "id"));
	json_add_str(v, "url", json_get_str(rec, "url"));
	if (s == NULL || json_parse_strict(s, strlen(s), &events, err,
	    sizeof(err)) != OMS_OK)
		events = json_object_new_array();
	json_object_object_add(v, "events", events);
	json_add_str(v, "description", json_get_str(rec, "description"));
	s = json_get_str(rec, "enabled");
	json_add_bool(v, "enabled", s != NULL && strcmp(s, "1") == 0);
	reason = json_get_str(rec, "disabledReason");
	if (reason != NULL && *reason != '\0')
		json_add_str(v, "disabledReason", reason);
	json_add_str(v, "createdAt", json_get_str(rec, "createdAt"));
	json_add_str(v, "updatedAt", json_get_str(rec, "updatedAt"));
	until = json_get_str(rec, "prevSecretUntil");
	if (until != NULL && atoll(until) > webhook_store_now_ms()) {
		webhook_store_time(atoll(until), at);
		json_add_str(v, "previousSecretExpiresAt", at);
	}
	return v;
}

int
webhook_store_event_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 5 || n > 4 + 64 || strncmp(s, "evt_", 4) != 0)
		return 0;
	return strspn(s + 4, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.:-") == n - 4;
}

enum oms_err
webhook_store_deliveries(struct store *st, const char *id, int limit,
    struct json_object **out)
{
	struct store_reply *r;
	char err[64];

	*out = NULL;
	if (limit < 1 || limit > WEBHOOK_LOG_MAX)
		limit = WEBHOOK_LOG_MAX;
	if (store_cmd(st, &r, "LRANGE oms:webhook:log:%s 0 %d", id,
	    limit - 1) != OMS_OK)
		return OMS_EUNAVAIL;
	if (r->type != STORE_ARRAY) {
		store_reply_free(r);
		return OMS_EUNAVAIL;
	}
	*out = json_object_new_array();
	for (size_t i = 0; i < r->nelem; i++) {
		struct json_object *a = NULL;

		if (json_parse_strict(r->elem[i]->str, r->elem[i]->len, &a, err,
		    sizeof(err)) == OMS_OK)
			json_object_array_add(*out, a);
	}
	store_reply_free(r);
	return OMS_OK;
}
