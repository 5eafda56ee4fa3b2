/*
 * One oms-worker process: its connections (a consuming and a publishing
 * AMQP connection, one Redis connection, one HTTP client — all opened after
 * fork), its loop, and the deliveries it works on at once.
 */
#ifndef OMS_WORKER_H
#define OMS_WORKER_H

#include <stdint.h>
#include <json-c/json.h>

#include "cfg.h"
#include "command.h"
#include "http.h"
#include "loop.h"
#include "mq.h"
#include "policy.h"
#include "provider.h"
#include "store.h"

/*
 * The life of one delivery (delivery.c), in order:
 *   RECEIVED    decoded; waits for its order's turn (an earlier command of
 *               the same order not yet applied in this process) and for a
 *               free slot (OMS_WORKER_INFLIGHT)
 *   CALLING     a provider call in flight
 *   BACKOFF     a transient failure (provider, Redis, broker): its retry
 *               timer runs, then it resumes at `resume`
 *   APPLYING    one FCALL oms_apply (synchronous: sub-millisecond)
 *   EVENT       one HGETALL: the order as its event shows it (events.c)
 *   PUBLISHING  its follow-ups are sent
 *   CONFIRMING  it waits for their publisher confirms
 *   RENEWING    instead of a BACKOFF, once, for a delivery that came back
 *               to the queue often: its fresh copy awaits its confirm
 *               (renew.c)
 *   DONE        acked (or dead-lettered, or requeued on a stop): freed
 * A kill at any point loses nothing: until the ack the broker redelivers,
 * and re-applying a commandId is a no-op that returns the same follow-ups.
 */
enum delivery_state {
	DELIVERY_RECEIVED,
	DELIVERY_CALLING,
	DELIVERY_BACKOFF,
	DELIVERY_APPLYING,
	DELIVERY_EVENT,
	DELIVERY_PUBLISHING,
	DELIVERY_CONFIRMING,
	DELIVERY_RENEWING,
	DELIVERY_DONE
};

struct worker;

/* One message a delivery publishes (its event, then each follow-up): the
 * cookie of its confirm, and whether the broker confirmed it — what was
 * confirmed is not published again when the others are retried. */
struct delivery_out {
	struct delivery	*d;
	int		 confirmed;
};

struct delivery {
	struct worker		*w;
	enum delivery_state	 state;
	enum delivery_state	 resume;	/* after BACKOFF */
	struct mq_delivery	 msg;		/* owned */
	uint64_t		 generation;	/* of the consumer connection */
	struct oms_command	*cmd;		/* owned */
	unsigned		 order_hash;	/* of cmd->order_id */
	int			 started;	/* left RECEIVED: holds a slot */
	int			 applied;	/* the FCALL succeeded */
	int			 abandoned;	/* requeued while CALLING: the
						   call's completion frees it */
	struct json_object	*data;		/* owned: the Function's data */
	struct json_object	*result;	/* owned: the Function's reply */
	int			 attempt;	/* transient failures so far */
	struct policy_retry	 retry;		/* Redis failures (policy.c) */
	struct delivery_out	*out;		/* owned: nout, from the first
						   publish */
	size_t			 nout;
	unsigned		 unconfirmed;	/* follow-ups awaiting confirms */
	int			 publish_failed;
	struct delivery_out	 renew;		/* its fresh copy (renew.c) */
	int			 renew_tried;
	enum delivery_state	 renew_resume;	/* if the copy fails */
	int64_t			 received_ms;
	struct loop_timer	 timer;
	struct delivery		*prev, *next;	/* arrival order */
};

struct worker {
	const struct oms_config	*cfg;		/* borrowed, read-only */
	struct store		*store;		/* owned */
	struct mq		*consumer;	/* owned */
	struct mq		*publisher;	/* owned: follow-up commands */
	struct http		*http;		/* owned */
	struct provider		*provider;	/* owned */
	struct loop		 loop;
	struct delivery		*head, *tail;	/* owned, arrival order */
	size_t			 ndeliveries;	/* in the list */
	size_t			 nstarted;	/* of them holding a slot */
	size_t			 inflight;	/* the slots: WORKER_INFLIGHT */
	int			 dirty;		/* a RECEIVED one may start */
	int			 window;	/* the prefetch now (slow start) */
	int			 window_max;	/* WORKER_PREFETCH or INFLIGHT */
	int64_t			 window_since_ms; /* that connection's start */
	uint64_t		 window_gen;	/* the consumer connection of it */
	char			*functions;	/* oms.lua, read at start */
	size_t			 functions_len;
	int			 functions_loaded;
};

/* The child_main of the pre-fork pool (arg: a struct worker with cfg and
 * the library text set). Returns 0 after a stop request. */
int	worker_child_main(void *arg);

/* delivery.c: takes msg (its strings move into the delivery; msg is
 * cleared) and starts its life. */
void	delivery_receive(struct worker *w, struct mq_delivery *msg);
/* Starts the RECEIVED deliveries whose turn has come (after w->dirty). */
void	delivery_start_ready(struct worker *w);
/* renew.c: whether d should be replaced by a fresh copy before a retry
 * wait (it came back to the queue often), and the copy's publish (its
 * confirm is reported to delivery_confirmed with &d->renew); OMS_EUNAVAIL
 * when it could not be sent. Tried once per delivery. */
int	renew_due(const struct delivery *d);
enum oms_err renew_start(struct delivery *d);

/* The mq_confirm_fn of the publisher (cookie: a struct delivery_out). */
void	delivery_confirmed(void *arg, void *cookie, int ok);
/* On a stop request: requeues what has not been applied, lets the rest
 * finish. */
void	delivery_stop(struct worker *w);
/* Frees every delivery (at exit; nothing is acked). */
void	delivery_free_all(struct worker *w);

/* flow.c: the steps' Redis and broker parts. */

/* events.c. After the apply: builds the order event of d->result
 * (oms_apply's reply, which d owns) and adds it to d->result as member
 * "event"; nothing when the call is no event or the event is there already.
 * One Redis read, no wait: OMS_EUNAVAIL when it failed (retry later). */
enum oms_err worker_event_attach(struct delivery *d);

/* Publishes result's "event" (if any) to oms.events without waiting for
 * the confirm, which is reported for cookie as the follow-ups' are. */
enum oms_err worker_event_publish(struct worker *w, struct json_object *result,
	    const char *correlation_id, void *cookie);

/* Loads the Function library into Redis (FUNCTION LOAD REPLACE). */
enum oms_err worker_load_functions(struct worker *w);

/* What cmd needs before its apply: OMS_OK with either *data (owned) set —
 * no provider call — or *order (owned, the order read from Redis) and *op
 * set for the provider call to make first. OMS_EUNAVAIL when Redis did not
 * answer. */
enum oms_err flow_plan(struct worker *w, const struct oms_command *cmd,
	    struct json_object **data, struct json_object **order,
	    enum provider_op *op);

/* Applies cmd with data: one FCALL oms_apply. OMS_OK with *result (owned)
 * set; OMS_EINVAL when the Function refused the arguments (dead-letter);
 * OMS_ENOTFOUND when the library is missing (reload); OMS_EUNAVAIL for a
 * transient failure (retry). */
enum oms_err flow_apply(struct worker *w, const struct oms_command *cmd,
	    struct json_object *data, const char *customer_id,
	    struct json_object **result);

/* Logs and counts the outcome of an applied command. */
void	flow_outcome(struct worker *w, const struct oms_command *cmd,
	    struct json_object *result);

/* Publishes the event and every follow-up (actor: system) of d's result
 * that the broker has not confirmed yet, without waiting; each confirm is
 * reported to delivery_confirmed with its d->out entry. Returns how many
 * went out; *failed is set when one could not be sent. */
unsigned flow_follow_ups(struct delivery *d, int *failed);

/* Adds one to field of the metrics hash key (best effort). */
void	flow_count(struct worker *w, const char *key, const char *field);

#endif
