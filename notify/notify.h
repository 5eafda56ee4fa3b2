/*
 * oms-notify — the webhook dispatcher (docs/webhooks.md). One process of
 * the pre-fork pool: its AMQP consumer of oms-notify-queue, its Redis
 * client and its HTTP client, all opened after fork, and the deliveries it
 * has in flight.
 */
#ifndef OMS_NOTIFY_H
#define OMS_NOTIFY_H

#include <stddef.h>
#include <json-c/json.h>

#include "cfg.h"
#include "http.h"
#include "mq.h"
#include "store.h"

/* What only oms-notify reads (OMS_WEBHOOK_*, OMS_NOTIFY_*; config.c). */
struct notify_config {
	int		 processes;		/* NOTIFY_PROCESSES (1) */
	int		 prefetch;		/* NOTIFY_PREFETCH (32) */
	int		 allow_http;		/* WEBHOOK_ALLOW_HTTP (0) */
	int		 allow_private;		/* WEBHOOK_ALLOW_PRIVATE (0) */
	int		 timeout_ms;		/* WEBHOOK_TIMEOUT_MS (10000) */
	int		 retry_first_ms;	/* WEBHOOK_RETRY_FIRST_MS (10000) */
	int		 retry_max_ms;		/* WEBHOOK_RETRY_MAX_MS (3600000) */
	long long	 max_age_s;		/* WEBHOOK_MAX_AGE_S (259200) */
	int		 inflight_per_sub;	/* WEBHOOK_INFLIGHT_PER_SUB (8) */
	int		 inflight_max;		/* WEBHOOK_INFLIGHT_MAX (256) */
	char		*ca_file;		/* WEBHOOK_CA_FILE (owned) */
};

/* Fills nc from the environment. Returns 0, or -1 with the variable's
 * name and the problem in err. */
int	notify_config_load(struct notify_config *nc, char *err, size_t errlen);
void	notify_config_clear(struct notify_config *nc);
/* Prints the variables, their defaults and meanings (for --help). */
void	notify_config_usage(FILE *out);

struct delivery;

struct notify {
	const struct oms_config		*cfg;	/* borrowed, read-only */
	const struct notify_config	*nc;	/* borrowed, read-only */
	struct store			*store;	/* owned */
	struct mq			*mq;	/* owned */
	struct http			*http;	/* owned */
	struct json_object		*subs;	/* owned: records (cache) */
	long long			 subs_at_ms;
	long long			 subs_gen;	/* of the cache */
	struct delivery			*inflight;	/* owned list */
	size_t				 ninflight;
};

/* The child_main of the pre-fork pool (arg: a struct notify with cfg and
 * nc set). Returns 0 after a stop request. */
int	notify_child_main(void *arg);

/* intake.c: records the deliveries of one event (every enabled
 * subscription whose events match) and acks it once they are in Redis;
 * on a Redis failure the event goes back to the queue. */
void	notify_intake(struct notify *n, const struct mq_delivery *d);

/* The subscriptions, from a cache at most 1 s old or, with force, fresh
 * (refreshed here); borrowed. NULL when Redis failed and nothing is
 * cached. n->subs_gen is the change counter the list is at least as new
 * as. */
struct json_object *notify_subs(struct notify *n, int force);

/* The record (borrowed) of subscription id in the cache, or NULL. */
struct json_object *notify_sub_find(struct notify *n, const char *id);

/* deliver.c: claims the deliveries now due (up to what the in-flight caps
 * allow) and starts their POSTs; the completions settle them (delivered,
 * retry later, failed). */
void	notify_claim(struct notify *n);

/* Forgets the deliveries in flight (after http_free; their leases expire
 * and another process retries them). */
void	notify_abandon(struct notify *n);

#endif
