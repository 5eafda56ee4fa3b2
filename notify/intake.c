/*
 * intake.c — from an event on oms-notify-queue to durable deliveries.
 *
 * For each event, one Lua script (EVAL: atomic, one round trip) stores the
 * body once when some subscription wants it (oms:webhook:event:<id>, kept
 * for the retention and a day) and, for every enabled subscription whose
 * events match, a delivery record
 * and a due entry at "now" (docs/redis.md). Only then is the message acked:
 * a crash before that redelivers it, and the script adds nothing twice (a
 * delivery that exists is left alone, so a redelivered event is not sent
 * again). The subscriptions are cached, with the change counter they were
 * read at (oms:webhook:subs:gen, which every change of a subscription
 * increments); the script refuses to run when the counter has moved, and
 * the event is recorded again with a fresh list: an event is matched
 * against every subscription that existed when it was recorded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "log.h"
#include "notify.h"
#include "webhook_store.h"

#define INTAKE_SUBS_TTL_MS	1000
#define INTAKE_RETRY_MS		200

static const char intake_script[] =
    "if (redis.call('GET', 'oms:webhook:subs:gen') or '0') ~= ARGV[6] then\n"
    "  return -1\n"
    "end\n"
    "local eid, typ, now, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]\n"
    "if #ARGV >= 7 then\n"
    "  redis.call('SET', 'oms:webhook:event:' .. eid, ARGV[5], 'EX', ttl)\n"
    "end\n"
    "local added = 0\n"
    "for i = 7, #ARGV do\n"
    "  local sid = ARGV[i]\n"
    "  local k = 'oms:webhook:dlv:' .. sid .. ':' .. eid\n"
    "  if redis.call('HSETNX', k, 'state', 'pending') == 1 then\n"
    "    redis.call('HSET', k, 'type', typ, 'attempts', '0',\n"
    "        'firstAt', now, 'nextAt', now)\n"
    "    redis.call('EXPIRE', k, ttl)\n"
    "    redis.call('SADD', 'oms:webhook:pending:' .. sid, eid)\n"
    "    redis.call('ZADD', 'oms:webhook:due:' .. sid, 'NX', now, eid)\n"
    "    added = added + 1\n"
    "  end\n"
    "end\n"
    "return added\n";

struct json_object *
notify_subs(struct notify *n, int force)
{
	struct json_object *recs;
	long long now = webhook_store_now_ms(), gen;

	if (!force && n->subs != NULL && now - n->subs_at_ms < INTAKE_SUBS_TTL_MS)
		return n->subs;
	/* the counter first: a change after it makes the list newer, never
	 * older, than the counter says */
	if ((gen = webhook_store_gen(n->store)) < 0 ||
	    webhook_store_list(n->store, &recs) != OMS_OK)
		return n->subs;		/* the old one, or NULL */
	json_object_put(n->subs);
	n->subs = recs;
	n->subs_at_ms = now;
	n->subs_gen = gen;
	return n->subs;
}

struct json_object *
notify_sub_find(struct notify *n, const char *id)
{
	size_t len = n->subs != NULL ? json_object_array_length(n->subs) : 0;

	for (size_t i = 0; i < len; i++) {
		struct json_object *rec = json_object_array_get_idx(n->subs, i);
		const char *s = json_get_str(rec, "id");

		if (s != NULL && strcmp(s, id) == 0)
			return rec;
	}
	return NULL;
}

/* Runs the script for event (eid, type, body) and the matching subs. */
static enum oms_err
intake_record(struct notify *n, const char *eid, const char *type,
    const char *body, size_t len, struct json_object *subs)
{
	size_t nsubs = json_object_array_length(subs), argc = 0;
	const char **argv = calloc(9 + nsubs, sizeof(*argv));
	size_t *lens = calloc(9 + nsubs, sizeof(*lens));
	struct store_reply *r = NULL;
	char now[24], ttl[24], gen[24];
	enum oms_err rc = OMS_ENOMEM;

	if (argv == NULL || lens == NULL)
		goto done;
	snprintf(now, sizeof(now), "%lld", webhook_store_now_ms());
	snprintf(ttl, sizeof(ttl), "%lld", n->nc->max_age_s + 86400);
	argv[argc++] = "EVAL";
	argv[argc++] = intake_script;
	argv[argc++] = "0";
	argv[argc++] = eid;
	argv[argc++] = type;
	argv[argc++] = now;
	argv[argc++] = ttl;
	argv[argc] = body;
	lens[argc++] = len;
	snprintf(gen, sizeof(gen), "%lld", n->subs_gen);
	argv[argc++] = gen;
	for (size_t i = 0; i < nsubs; i++) {
		struct json_object *rec = json_object_array_get_idx(subs, i);
		const char *en = json_get_str(rec, "enabled"), *ev;
		struct json_object *events = NULL;
		char perr[64];

		ev = json_get_str(rec, "events");
		if (en == NULL || strcmp(en, "1") != 0 || ev == NULL ||
		    json_parse_strict(ev, strlen(ev), &events, perr,
		    sizeof(perr)) != OMS_OK)
			continue;
		if (webhook_events_match(events, type))
			argv[argc++] = json_get_str(rec, "id");
		json_object_put(events);
	}
	for (size_t i = 0; i < argc; i++)
		if (i != 7)
			lens[i] = strlen(argv[i]);
	if (store_cmdv(n->store, &r, (int)argc, argv, lens) != OMS_OK)
		rc = OMS_EUNAVAIL;
	else if (r->type == STORE_ERROR) {
		log_warnx("intake script: %s", r->str);
		rc = OMS_EUNAVAIL;
	} else if (r->type == STORE_INTEGER && r->integer < 0) {
		rc = OMS_ECONFLICT;	/* the subscriptions changed */
	} else {
		log_info("event %s %s: %lld new deliver%s", type, eid,
		    r->integer, r->integer == 1 ? "y" : "ies");
		rc = OMS_OK;
	}
	store_reply_free(r);
done:
	free(argv);
	free(lens);
	return rc;
}

void
notify_intake(struct notify *n, const struct mq_delivery *d)
{
	struct json_object *ev = NULL, *subs;
	const char *eid, *type;
	enum oms_err rc;
	char err[128];
	struct timespec ts = { 0, INTAKE_RETRY_MS * 1000000L };

	if (json_parse_strict(d->body, d->len, &ev, err, sizeof(err)) !=
	    OMS_OK || (eid = json_get_str(ev, "id")) == NULL ||
	    (type = json_get_str(ev, "type")) == NULL ||
	    !webhook_store_event_id_valid(eid) ||
	    !webhook_event_type_valid(type)) {
		log_warnx("dropping a malformed event (message %s)",
		    d->message_id);
		json_object_put(ev);
		mq_reject(n->mq, d->tag, 0);
		return;
	}
	rc = (subs = notify_subs(n, 0)) == NULL ? OMS_EUNAVAIL :
	    intake_record(n, eid, type, d->body, d->len, subs);
	for (int i = 0; rc == OMS_ECONFLICT && i < 3; i++)
		rc = (subs = notify_subs(n, 1)) == NULL ? OMS_EUNAVAIL :
		    intake_record(n, eid, type, d->body, d->len, subs);
	if (rc != OMS_OK) {
		log_warnx("Redis: %s; event %s goes back to the queue",
		    store_errstr(n->store), eid);
		nanosleep(&ts, NULL);
		mq_reject(n->mq, d->tag, 1);
	} else if (mq_ack(n->mq, d->tag) != OMS_OK)
		log_warnx("ack of event %s failed: it comes again (and adds "
		    "nothing)", eid);
	json_object_put(ev);
}
