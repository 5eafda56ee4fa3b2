/*
 * renew.c — a fresh copy for a delivery the queue is about to give up on.
 *
 * A quorum queue counts every return of a message against its delivery
 * limit (OMS_MQ_DELIVERY_LIMIT) and dead-letters it past the limit. That
 * is how a poison message leaves the queue, but the count cannot tell a
 * message that killed its worker from one that only waited in a worker
 * that died of something else: a payment in its retry backoff during a
 * crash loop came back with every crash and was dead-lettered although
 * nothing was wrong with it (docs/reliability.md, the soak of seed
 * 833962771).
 *
 * So a delivery that must wait for a retry without bound (a provider's
 * transient answer, the broker refusing its follow-ups) and has come back
 * RENEW_AT times or more is first replaced: the same message (body,
 * routing key, message and correlation ids) is published again by the
 * worker, and once the broker confirmed the copy the old delivery is
 * acked. The copy starts its count at 0 and is retried like any other
 * delivery. A poison message never gets here: it kills its worker before
 * any retry wait, and the limit dead-letters it as before. A copy that
 * cannot be sent, or is not confirmed, leaves the delivery to its usual
 * backoff (the renewal is tried once per delivery). A kill between the
 * confirm and the ack leaves both: a duplicate, which applies as a no-op.
 */
#include <string.h>

#include "log.h"
#include "worker.h"

/* Comes back this often, and the next return may be its last. */
#define RENEW_AT	(OMS_MQ_DELIVERY_LIMIT - 2)

int
renew_due(const struct delivery *d)
{
	return !d->renew_tried && d->msg.delivery_count >= RENEW_AT;
}

enum oms_err
renew_start(struct delivery *d)
{
	struct mq_message m;

	d->renew_tried = 1;
	memset(&m, 0, sizeof(m));
	m.routing_key = d->msg.routing_key;
	m.message_id = d->msg.message_id;
	m.correlation_id = d->msg.correlation_id[0] != '\0' ?
	    d->msg.correlation_id : NULL;
	m.app_id = "oms-worker";
	m.body = d->msg.body;
	m.len = d->msg.len;
	d->renew.d = d;
	if (mq_publish_async(d->w->publisher, &m, &d->renew) != OMS_OK)
		return OMS_EUNAVAIL;
	log_info("%s %s came back %u times while it waited: publishing a "
	    "fresh copy (the delivery limit is for poison, not for waits)",
	    command_type_name(d->cmd->type), d->cmd->command_id,
	    d->msg.delivery_count);
	return OMS_OK;
}
