/*
 * What oms-worker does with a message that fails, and who may send which
 * step: small pure decisions, kept apart from the delivery loop so that
 * any loop (one delivery at a time, or many in flight) calls them as they
 * are. docs/reliability.md states the rules.
 */
#ifndef OMS_POLICY_H
#define OMS_POLICY_H

#include "command.h"

/* What a Redis or Function error reply means for the message. */
enum policy_class {
	POLICY_TRANSIENT,	/* Redis cannot serve it now: retry (bounded) */
	POLICY_PERMANENT,	/* this message can never apply: dead-letter */
	POLICY_RELOAD		/* the Function library is gone: load it, retry */
};

/* Classifies the text of an error reply (e.g. "WRONGTYPE Operation ...",
 * "EINVAL ...", "ERR user_script:1: ...", "OOM command not allowed ...",
 * "LOADING ..."). NULL (no reply) is transient. */
enum policy_class policy_error_class(const char *reply);

/* The retries of one message. Start with {0}. */
struct policy_retry {
	int	 attempts;	/* failed tries while Redis answered */
	int	 delay_ms;	/* the last backoff delay */
};

#define POLICY_RETRY_MAX	8	/* tries while Redis answers */
#define POLICY_RETRY_MIN_MS	100
#define POLICY_RETRY_MAX_MS	2000

/* After a transient failure of one message: returns the delay (ms) to
 * sleep before the next try, or -1 when this message has failed
 * POLICY_RETRY_MAX times while Redis was up (redis_up: Redis answered or
 * a PING succeeded after the failure); the caller then requeues it, so
 * the queue's delivery limit dead-letters a message that never applies.
 * Failures while Redis is down are retried without bound: they are not
 * the message's fault, and nothing may be dropped for them. */
int	policy_retry_next(struct policy_retry *r, int redis_up);

/* Whether a command of type with actor role, published by AMQP user
 * user_id ("" when the message carried none), may be applied: the client
 * commands (create, update, cancel, delete, delivered) with a client actor
 * from any publisher the broker lets write them; every other step (payment,
 * ship, refund, and any system step added later) and any system actor only
 * when published by worker_user, the worker's own user. */
int	policy_publisher_ok(enum oms_cmd_type type, enum oms_role role,
	    const char *user_id, const char *worker_user);

#endif
