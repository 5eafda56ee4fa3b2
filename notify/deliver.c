/*
 * deliver.c — one delivery: claimed, POSTed, settled.
 *
 *   due (oms:webhook:due:<subId>, score <= now)
 *   -> claimed: one script moves its score to now + lease (and notes the
 *      lease in the delivery's hash, leaseUntil), so no other process
 *      takes it while it is in flight, and a process killed with it in
 *      flight loses nothing: the lease runs out and it is due again
 *   -> POST (lib/http.c, never blocking the loop): the event body as
 *      stored, Webhook-Id, Webhook-Event, Webhook-Attempt and
 *      Webhook-Signature: t=<now>,v1=<HMAC> (a second v1 during a
 *      rotation); loopback, link-local and private addresses are refused
 *      at connect time unless OMS_WEBHOOK_ALLOW_PRIVATE=1; no redirects
 *   -> settled by a second script: 2xx delivered; otherwise due again after
 *      an exponential backoff with jitter (lib/backoff.c, the receiver's
 *      Retry-After as a floor), or failed once the first attempt is
 *      OMS_WEBHOOK_MAX_AGE_S old. Each attempt goes to the delivery log.
 * A redeliver (lib/webhook_redeliver.c) bumps the delivery's generation (gen);
 * when it comes while an attempt is in flight it leaves the lease alone,
 * and that attempt's settle, finding a newer gen, only logs and counts it
 * and makes the delivery due at once: the redelivery follows the attempt,
 * never runs beside it, and a late answer of the old attempt never
 * overwrites the state of the new one.
 * A subscription that is at its in-flight cap, or disabled, has its due
 * deliveries pushed back (1 s, 60 s) without a request, so a slow receiver
 * never holds the others' turn. One whose deliveries fail for the whole
 * retention, with no success meanwhile, is disabled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "backoff.h"
#include "config.h"
#include "json.h"
#include "log.h"
#include "notify.h"
#include "uuid.h"
#include "webhook_store.h"
#include "xmalloc.h"

#define DELIVER_BATCH		64
#define DELIVER_LEASE_EXTRA_MS	5000
#define DELIVER_BUSY_MS		200	/* at the cap: look again then */
#define DELIVER_DISABLED_MS	60000	/* disabled: look again then */

struct delivery {
	struct notify	*n;
	char		 sid[UUID_STR_LEN + 1];
	char		 eid[80];
	char		 type[40];
	int		 attempt;	/* this one, from 1 */
	char		 gen[24];	/* of the delivery when claimed */
	long long	 first_ms;
	long long	 t0_ms;
	struct delivery	*next;
};

/*
 * Claims up to ARGV[3] due deliveries: for each subscription named in the
 * pairs (sid, n in flight in this process) from ARGV[5], in the order
 * given, at most ARGV[4] - n of its due ones (oms:webhook:due:<sid>, the
 * oldest first). A claimed one's score becomes the lease's end (ARGV[2]).
 * One due set per subscription: a long backlog of one never hides the
 * others' deliveries, and a subscription at its cap costs nothing.
 */
static const char deliver_claim_script[] =
    "local now, lease = ARGV[1], ARGV[2]\n"
    "local max, cap = tonumber(ARGV[3]), tonumber(ARGV[4])\n"
    "local out = {}\n"
    "for i = 5, #ARGV - 1, 2 do\n"
    "  local room = math.min(cap - tonumber(ARGV[i + 1]), max - #out)\n"
    "  if room > 0 then\n"
    "    local k = 'oms:webhook:due:' .. ARGV[i]\n"
    "    local m = redis.call('ZRANGEBYSCORE', k, '-inf', now,\n"
    "        'LIMIT', 0, room)\n"
    "    for _, e in ipairs(m) do\n"
    "      local dk = 'oms:webhook:dlv:' .. ARGV[i] .. ':' .. e\n"
    "      redis.call('ZADD', k, 'XX', lease, e)\n"
    "      if redis.call('EXISTS', dk) == 1 then\n"
    "        redis.call('HSET', dk, 'leaseUntil', lease)\n"
    "      end\n"
    "      out[#out + 1] = ARGV[i] .. '/' .. e\n"
    "    end\n"
    "  end\n"
    "  if #out >= max then break end\n"
    "end\n"
    "return out\n";

/* ARGV: sid, eid, state (pending|delivered|failed), attempts, next due ms,
 * the log entry, the metric field, now ms, the gen claimed. Returns 0 (the
 * delivery is gone), 1 (settled) or 2 (redelivered meanwhile: due now). */
static const char deliver_settle_script[] =
    "local sid, eid, state = ARGV[1], ARGV[2], ARGV[3]\n"
    "local k = 'oms:webhook:dlv:' .. sid .. ':' .. eid\n"
    "local due = 'oms:webhook:due:' .. sid\n"
    "if redis.call('EXISTS', 'oms:webhook:sub:' .. sid) == 0 or\n"
    "    redis.call('EXISTS', k) == 0 then\n"
    "  redis.call('ZREM', due, eid)\n"
    "  redis.call('SREM', 'oms:webhook:pending:' .. sid, eid)\n"
    "  return 0\n"
    "end\n"
    "redis.call('HDEL', k, 'leaseUntil')\n"
    "if (redis.call('HGET', k, 'gen') or '0') ~= ARGV[9] then\n"
    "  local e = cjson.decode(ARGV[6])\n"
    "  local metric = 'retried'\n"
    "  if state == 'delivered' then metric = 'delivered' else\n"
    "    e.state = 'retrying'\n"
    "    e.nextRetryAt = e.at\n"
    "  end\n"
    "  redis.call('ZADD', due, ARGV[8], eid)\n"
    "  redis.call('SADD', 'oms:webhook:pending:' .. sid, eid)\n"
    "  redis.call('LPUSH', 'oms:webhook:log:' .. sid, cjson.encode(e))\n"
    "  redis.call('LTRIM', 'oms:webhook:log:' .. sid, 0, 99)\n"
    "  redis.call('HINCRBY', 'oms:metrics:webhooks', metric, 1)\n"
    "  return 2\n"
    "end\n"
    "redis.call('HSET', k, 'state', state, 'attempts', ARGV[4],\n"
    "    'nextAt', ARGV[5])\n"
    "if state == 'pending' then\n"
    "  redis.call('ZADD', due, 'XX', ARGV[5], eid)\n"
    "else\n"
    "  redis.call('ZREM', due, eid)\n"
    "  redis.call('SREM', 'oms:webhook:pending:' .. sid, eid)\n"
    "end\n"
    "if state == 'delivered' then\n"
    "  redis.call('HSET', 'oms:webhook:health:' .. sid, 'lastOkAt', ARGV[8])\n"
    "end\n"
    "redis.call('LPUSH', 'oms:webhook:log:' .. sid, ARGV[6])\n"
    "redis.call('LTRIM', 'oms:webhook:log:' .. sid, 0, 99)\n"
    "redis.call('HINCRBY', 'oms:metrics:webhooks', ARGV[7], 1)\n"
    "return 1\n";

/* Runs a script with string arguments; the reply (owned) or NULL. */
static struct store_reply *
deliver_eval(struct notify *n, const char *script, const char **args,
    int nargs)
{
	const char *argv[16];
	size_t lens[16];
	struct store_reply *r;
	int argc = 0;

	argv[argc++] = "EVAL";
	argv[argc++] = script;
	argv[argc++] = "0";
	for (int i = 0; i < nargs && argc < 16; i++)
		argv[argc++] = args[i];
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	if (store_cmdv(n->store, &r, argc, argv, lens) != OMS_OK)
		return NULL;
	if (r->type == STORE_ERROR) {
		log_warnx("delivery script: %s", r->str);
		store_reply_free(r);
		return NULL;
	}
	return r;
}

/* Moves the due time of sid's eid to due_ms (only while it is due). */
static void
deliver_postpone(struct notify *n, const char *sid, const char *eid,
    long long due_ms)
{
	struct store_reply *r;

	if (store_cmd(n->store, &r, "ZADD oms:webhook:due:%s XX %lld %s", sid,
	    due_ms, eid) == OMS_OK)
		store_reply_free(r);
}

/* Removes a delivery whose subscription is gone. */
static void
deliver_drop(struct notify *n, const char *sid, const char *eid)
{
	struct store_reply *r;

	if (store_cmd(n->store, &r, "ZREM oms:webhook:due:%s %s", sid, eid) ==
	    OMS_OK)
		store_reply_free(r);
	if (store_cmd(n->store, &r, "DEL oms:webhook:dlv:%s:%s", sid, eid) ==
	    OMS_OK)
		store_reply_free(r);
	if (store_cmd(n->store, &r, "SREM oms:webhook:pending:%s %s", sid,
	    eid) == OMS_OK)
		store_reply_free(r);
}

static int
deliver_inflight_of(struct notify *n, const char *sid)
{
	int c = 0;

	for (struct delivery *d = n->inflight; d != NULL; d = d->next)
		c += strcmp(d->sid, sid) == 0;
	return c;
}

static void
deliver_unlink(struct notify *n, struct delivery *dv)
{
	struct delivery **pp;

	for (pp = &n->inflight; *pp != NULL; pp = &(*pp)->next)
		if (*pp == dv) {
			*pp = dv->next;
			n->ninflight--;
			return;
		}
}

/* Disables sid when it had no success for the whole retention. */
static void
deliver_maybe_disable(struct notify *n, const char *sid, long long now)
{
	struct json_object *after = NULL;
	struct webhook_change ch = { NULL, NULL, NULL, 0, "failing for the "
	    "whole retention: disabled by oms-notify" };
	struct store_reply *r;
	long long since = 0;

	if (notify_sub_find(n, sid) == NULL)
		return;
	if (store_cmd(n->store, &r, "HGET oms:webhook:health:%s lastOkAt",
	    sid) != OMS_OK)
		return;
	if (r->type == STORE_STRING)
		since = atoll(r->str);
	store_reply_free(r);
	if (since == 0)		/* never a success: since its creation */
		since = (long long)uuid_v7_time(sid);
	if (now - since < n->nc->max_age_s * 1000)
		return;
	if (webhook_store_update(n->store, sid, &ch, &after) == OMS_OK) {
		log_warnx("webhook %s disabled: no delivery succeeded for %lld "
		    "s", sid, n->nc->max_age_s);
		if (store_cmd(n->store, &r, "HINCRBY oms:metrics:webhooks "
		    "disabled 1") == OMS_OK)
			store_reply_free(r);
	}
	json_object_put(after);
}

/* The completion of one POST. */
static void
deliver_done(void *arg, const struct http_response *resp)
{
	struct delivery *dv = arg;
	struct notify *n = dv->n;
	struct json_object *entry = json_object_new_object();
	long long now = webhook_store_now_ms(), due = now;
	const char *state, *metric, *args[9];
	char at[32], next[32], sattempts[16], sdue[24], snow[24];
	struct store_reply *r;
	int ok = resp->status >= 200 && resp->status <= 299;

	deliver_unlink(n, dv);
	if (ok) {
		state = "delivered";
		metric = "delivered";
	} else if (now - dv->first_ms >= n->nc->max_age_s * 1000) {
		state = "failed";
		metric = "failed";
	} else {
		state = "pending";
		metric = "retried";
		due = now + backoff_delay_ms(dv->attempt - 1,
		    n->nc->retry_first_ms, n->nc->retry_max_ms,
		    resp->retry_after_s, backoff_random());
	}
	webhook_store_time(now, at);
	json_add_str(entry, "eventId", dv->eid);
	json_add_str(entry, "type", dv->type);
	json_add_int(entry, "attempt", dv->attempt);
	json_add_str(entry, "state", strcmp(state, "pending") == 0 ?
	    "retrying" : state);
	json_add_int(entry, "statusCode", resp->status);
	json_add_int(entry, "latencyMs", now - dv->t0_ms);
	json_add_str(entry, "error", ok ? "" : resp->status != 0 ?
	    "the receiver did not answer 2xx" : resp->error);
	json_add_str(entry, "at", at);
	if (strcmp(state, "pending") == 0) {
		webhook_store_time(due, next);
		json_add_str(entry, "nextRetryAt", next);
	}
	snprintf(sattempts, sizeof(sattempts), "%d", dv->attempt);
	snprintf(sdue, sizeof(sdue), "%lld", due);
	snprintf(snow, sizeof(snow), "%lld", now);
	args[0] = dv->sid;
	args[1] = dv->eid;
	args[2] = state;
	args[3] = sattempts;
	args[4] = sdue;
	args[5] = json_dump(entry, NULL);
	args[6] = metric;
	args[7] = snow;
	args[8] = dv->gen;
	if ((r = deliver_eval(n, deliver_settle_script, args, 9)) == NULL)
		log_warnx("webhook %s event %s: not recorded (%s); it is sent "
		    "again when its lease ends", dv->sid, dv->eid,
		    store_errstr(n->store));
	else if (r->type == STORE_INTEGER && r->integer == 2)
		state = "redelivered meanwhile: sent again now";
	store_reply_free(r);
	log_info("webhook %s event %s attempt %d: %d %s%s%s", dv->sid,
	    dv->eid, dv->attempt, resp->status, state, ok ? "" : ": ",
	    ok ? "" : resp->status != 0 ? "not 2xx" : resp->error);
	if (strcmp(state, "failed") == 0)
		deliver_maybe_disable(n, dv->sid, now);
	json_object_put(entry);
	free(dv);
}

/* Starts the POST of member "<sid>/<eid>"; settles what cannot start. */
static void
deliver_start(struct notify *n, const char *member, long long now)
{
	const char *slash = strchr(member, '/'), *url, *secret, *prev, *s;
	struct store_reply *h = NULL, *b = NULL;
	struct json_object *rec;
	struct delivery *dv;
	struct http_request req;
	char sig[19 + WEBHOOK_SIGNATURE_MAX], hid[128], hev[80], hat[48];
	const char *headers[7];

	if (slash == NULL || slash - member != UUID_STR_LEN ||
	    strlen(slash + 1) >= sizeof(dv->eid)) {
		log_warnx("a malformed due entry");	/* the script's own */
		return;
	}
	dv = xcalloc(1, sizeof(*dv));
	dv->n = n;
	strcpy(dv->gen, "0");
	memcpy(dv->sid, member, UUID_STR_LEN);
	snprintf(dv->eid, sizeof(dv->eid), "%s", slash + 1);
	if ((rec = notify_sub_find(n, dv->sid)) == NULL &&
	    (notify_subs(n, 1) == NULL ||
	    (rec = notify_sub_find(n, dv->sid)) == NULL)) {
		deliver_drop(n, dv->sid, dv->eid);
		goto fail;
	}
	s = json_get_str(rec, "enabled");
	if (s == NULL || strcmp(s, "1") != 0) {
		deliver_postpone(n, dv->sid, dv->eid, now + DELIVER_DISABLED_MS);
		goto fail;
	}
	if (deliver_inflight_of(n, dv->sid) >= n->nc->inflight_per_sub) {
		deliver_postpone(n, dv->sid, dv->eid, now + DELIVER_BUSY_MS);
		goto fail;
	}
	if (store_cmd(n->store, &h, "HGETALL oms:webhook:dlv:%s:%s", dv->sid,
	    dv->eid) != OMS_OK || store_cmd(n->store, &b,
	    "GET oms:webhook:event:%s", dv->eid) != OMS_OK)
		goto fail;	/* Redis: the lease brings it back */
	for (size_t i = 0; h->type == STORE_ARRAY && i + 1 < h->nelem; i += 2) {
		const char *f = h->elem[i]->str, *v = h->elem[i + 1]->str;

		if (strcmp(f, "attempts") == 0)
			dv->attempt = atoi(v) + 1;
		else if (strcmp(f, "firstAt") == 0)
			dv->first_ms = atoll(v);
		else if (strcmp(f, "type") == 0)
			snprintf(dv->type, sizeof(dv->type), "%s", v);
		else if (strcmp(f, "gen") == 0)
			snprintf(dv->gen, sizeof(dv->gen), "%s", v);
		else if (strcmp(f, "state") == 0 && strcmp(v, "pending") != 0)
			dv->attempt = -1;
	}
	if (h->type != STORE_ARRAY || h->nelem == 0 || dv->attempt < 1 ||
	    b->type != STORE_STRING) {
		/* settled meanwhile, or expired: nothing to send */
		deliver_drop(n, dv->sid, dv->eid);
		goto fail;
	}

	url = json_get_str(rec, "url");
	webhook_store_secrets(rec, now, &secret, &prev);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.body = b->str;
	req.len = b->len;
	req.timeout_ms = n->nc->timeout_ms;
	req.deny_private = !n->nc->allow_private;
	snprintf(hid, sizeof(hid), "Webhook-Id: %s", dv->eid);
	snprintf(hev, sizeof(hev), "Webhook-Event: %s", dv->type);
	snprintf(hat, sizeof(hat), "Webhook-Attempt: %d", dv->attempt);
	memcpy(sig, "Webhook-Signature: ", 19);
	if (url == NULL || secret == NULL || webhook_sign(sig + 19,
	    sizeof(sig) - 19, now / 1000, secret, prev, b->str, b->len) == -1) {
		log_warnx("webhook %s: cannot sign event %s", dv->sid, dv->eid);
		goto fail;
	}
	headers[0] = "Content-Type: application/json";
	headers[1] = "User-Agent: oms-notify/" PACKAGE_VERSION;
	headers[2] = hid;
	headers[3] = hev;
	headers[4] = hat;
	headers[5] = sig;
	headers[6] = NULL;
	req.headers = headers;
	dv->t0_ms = now;
	if (dv->first_ms == 0)
		dv->first_ms = now;
	dv->next = n->inflight;
	n->inflight = dv;
	n->ninflight++;
	if (strncasecmp(url, "https://", 8) != 0 && !n->nc->allow_http) {
		struct http_response resp = { 0, 0, "refused: http:// is not "
		    "allowed (OMS_WEBHOOK_ALLOW_HTTP=1)", -1, "", 0 };

		deliver_done(dv, &resp);
	} else if (http_submit(n->http, &req, deliver_done, dv) != OMS_OK) {
		struct http_response resp = { 0, 0, "the URL cannot be used",
		    -1, "", 0 };

		deliver_done(dv, &resp);
	}
	explicit_bzero(sig, sizeof(sig));
	store_reply_free(h);
	store_reply_free(b);
	return;
fail:
	store_reply_free(h);
	store_reply_free(b);
	free(dv);
}

void
notify_claim(struct notify *n)
{
	static size_t turn;	/* the subscription that goes first */
	long long now = webhook_store_now_ms();
	char snow[24], slease[24], smax[16], scap[16];
	char (*counts)[12] = NULL;
	const char **argv = NULL;
	size_t *lens = NULL, room, argc = 0, nsubs;
	struct store_reply *r = NULL;
	struct json_object *subs;

	if (n->ninflight >= (size_t)n->nc->inflight_max ||
	    (subs = notify_subs(n, 0)) == NULL ||
	    (nsubs = json_object_array_length(subs)) == 0)
		return;
	room = (size_t)n->nc->inflight_max - n->ninflight;
	if (room > DELIVER_BATCH)
		room = DELIVER_BATCH;
	argv = calloc(7 + 2 * nsubs, sizeof(*argv));
	lens = calloc(7 + 2 * nsubs, sizeof(*lens));
	counts = calloc(nsubs, sizeof(*counts));
	if (argv == NULL || lens == NULL || counts == NULL)
		goto done;
	snprintf(snow, sizeof(snow), "%lld", now);
	snprintf(slease, sizeof(slease), "%lld", now + n->nc->timeout_ms +
	    DELIVER_LEASE_EXTRA_MS);
	snprintf(smax, sizeof(smax), "%zu", room);
	snprintf(scap, sizeof(scap), "%d", n->nc->inflight_per_sub);
	argv[argc++] = "EVAL";
	argv[argc++] = deliver_claim_script;
	argv[argc++] = "0";
	argv[argc++] = snow;
	argv[argc++] = slease;
	argv[argc++] = smax;
	argv[argc++] = scap;
	/* the enabled subscriptions, from a turn that moves on each call so
	 * that none is always served first */
	turn++;
	for (size_t k = 0; k < nsubs; k++) {
		struct json_object *rec = json_object_array_get_idx(subs,
		    (turn + k) % nsubs);
		const char *id = json_get_str(rec, "id");
		const char *en = json_get_str(rec, "enabled");

		if (id == NULL || en == NULL || strcmp(en, "1") != 0)
			continue;
		snprintf(counts[k], sizeof(counts[k]), "%d",
		    deliver_inflight_of(n, id));
		argv[argc++] = id;
		argv[argc++] = counts[k];
	}
	for (size_t i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	if (argc > 7 && store_cmdv(n->store, &r, (int)argc, argv, lens) !=
	    OMS_OK)
		goto done;
	if (r != NULL && r->type == STORE_ERROR) {
		log_warnx("claim script: %s", r->str);
		goto done;
	}
	for (size_t i = 0; r != NULL && r->type == STORE_ARRAY && i < r->nelem;
	    i++)
		deliver_start(n, r->elem[i]->str, now);
done:
	store_reply_free(r);
	free(argv);
	free(lens);
	free(counts);
}

void
notify_abandon(struct notify *n)
{
	while (n->inflight != NULL) {
		struct delivery *dv = n->inflight;

		n->inflight = dv->next;
		free(dv);
	}
	n->ninflight = 0;
}
