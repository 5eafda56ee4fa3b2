/*
 * A redeliver of one webhook delivery (webhook_redeliver.c).
 */
#ifndef OMS_WEBHOOK_REDELIVER_H
#define OMS_WEBHOOK_REDELIVER_H

#include "err.h"
#include "store.h"

/* Schedules event_id for subscription id again as a fresh delivery
 * (attempts from 0, the retention from now): due now, or right after the
 * attempt in flight when there is one (never a second one beside it).
 * OMS_OK, OMS_ENOTFOUND (no such subscription, it never had that event,
 * or the event's body has expired) or OMS_EUNAVAIL (Redis failed, or the
 * delivery kept changing under five tries). */
enum oms_err	webhook_redeliver(struct store *st, const char *id,
		    const char *event_id);

#endif
