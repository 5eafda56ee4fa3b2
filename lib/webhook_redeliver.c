/*
 * webhook_redeliver.c — POST /webhooks/{id}/deliveries/{eventId}/redeliver
 * and `omsctl webhook redeliver`: one delivery of an event made fresh
 * again, safely beside oms-notify, which may be sending it at that moment.
 *
 * oms-fcgi and omsctl may not run scripts (redis/users.acl.in), so the
 * change is an optimistic transaction: WATCH the delivery's hash, read it,
 * MULTI ... EXEC, and try again when oms-notify claimed or settled it
 * meanwhile (EXEC answers nil). The keys are those of lib/webhook_store.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "webhook_redeliver.h"
#include "webhook_store.h"

#define REDELIVER_TRIES	5

/* Runs one command of the redeliver transaction; -1 on no answer or an
 * error reply. */
static int
webhook_redeliver_cmd(struct store *st, const char *fmt, const char *a,
    const char *b, const char *c)
{
	struct store_reply *r;
	int ok;

	if (store_cmd(st, &r, fmt, a, b, c) != OMS_OK)
		return -1;
	ok = r->type != STORE_ERROR;
	store_reply_free(r);
	return ok ? 0 : -1;
}

/*
 * One try of the redeliver, optimistic: WATCH the delivery's hash, read
 * it, then MULTI ... EXEC, which Redis refuses (a nil reply: 1 here) when
 * the hash changed meanwhile (a claim or a settle by oms-notify). The
 * delivery becomes fresh (attempts from 0, the retention from now) under a
 * new generation; it is due now, unless an attempt is in flight (its
 * lease, leaseUntil, has not ended): that attempt's settle then sees the
 * newer generation and makes it due (notify/deliver.c), so two attempts
 * never run at once. 0 done, 1 try again, -1 with *rc set.
 */
static int
webhook_redeliver_try(struct store *st, const char *id,
    const char *event_id, enum oms_err *rc)
{
	struct store_reply *r;
	char now[24];
	long long lease = 0;
	int found, ret = -1;

	*rc = OMS_EUNAVAIL;
	snprintf(now, sizeof(now), "%lld", webhook_store_now_ms());
	if (webhook_redeliver_cmd(st, "WATCH oms:webhook:dlv:%s:%s", id,
	    event_id, NULL) == -1)
		return -1;
	if (store_cmd(st, &r, "HMGET oms:webhook:dlv:%s:%s state leaseUntil",
	    id, event_id) != OMS_OK)
		return -1;
	found = r->type == STORE_ARRAY && r->nelem == 2 &&
	    r->elem[0]->type == STORE_STRING;
	if (found && r->elem[1]->type == STORE_STRING)
		lease = atoll(r->elem[1]->str);
	if (r->type != STORE_ARRAY)
		found = -1;
	store_reply_free(r);
	if (found == 1) {
		if (store_cmd(st, &r, "EXISTS oms:webhook:event:%s "
		    "oms:webhook:sub:%s", event_id, id) != OMS_OK)
			return -1;
		found = r->type != STORE_INTEGER ? -1 : r->integer == 2;
		store_reply_free(r);
	}
	if (found != 1) {
		(void)webhook_redeliver_cmd(st, "UNWATCH", NULL, NULL, NULL);
		if (found == 0)
			*rc = OMS_ENOTFOUND;
		return -1;
	}
	if (webhook_redeliver_cmd(st, "MULTI", NULL, NULL, NULL) == -1 ||
	    webhook_redeliver_cmd(st, "HINCRBY oms:webhook:dlv:%s:%s gen 1", id,
	    event_id, NULL) == -1 ||
	    webhook_redeliver_cmd(st, "HSET oms:webhook:dlv:%s:%s "
	    "state pending attempts 0 firstAt %s", id, event_id, now) == -1 ||
	    webhook_redeliver_cmd(st, "HSET oms:webhook:dlv:%s:%s nextAt %s",
	    id, event_id, now) == -1 ||
	    webhook_redeliver_cmd(st, "SADD oms:webhook:pending:%s %s", id,
	    event_id, NULL) == -1 ||
	    (lease <= webhook_store_now_ms() && webhook_redeliver_cmd(st,
	    "ZADD oms:webhook:due:%s %s %s", id, now, event_id) == -1))
		goto fail;
	if (store_cmd(st, &r, "EXEC") != OMS_OK)
		return -1;
	if (r->type == STORE_ARRAY) {
		*rc = OMS_OK;
		ret = 0;
	} else if (r->type == STORE_NIL)
		ret = 1;		/* changed meanwhile: again */
	store_reply_free(r);
	return ret;
fail:
	(void)webhook_redeliver_cmd(st, "DISCARD", NULL, NULL, NULL);
	return -1;
}

enum oms_err
webhook_redeliver(struct store *st, const char *id,
    const char *event_id)
{
	enum oms_err rc = OMS_EUNAVAIL;

	for (int i = 0; i < REDELIVER_TRIES; i++)
		if (webhook_redeliver_try(st, id, event_id, &rc) != 1)
			return rc;
	return OMS_EUNAVAIL;
}
