/*
 * mq_topology.c — the declares of rabbitmq/definitions.json.in (DESIGN
 * §6), made by a consumer on every (re)connect so that a broker without
 * the imported definitions still routes every command and event; and the
 * passive declare behind mq_queue_info. Part of the mq module (with mq.c,
 * mq_publish.c, mq_consume.c and mq_async.c, the only files that include
 * rabbitmq-c).
 *
 * Each of the three parts (the events, the dead letters, the commands) is
 * "declare a durable exchange, a durable quorum queue, bind the queue",
 * which mq_topology_part does once. The declares are idempotent: the same
 * arguments as the definitions, of the same types (a definitions import
 * gives JSON strings and numbers: long strings and signed 64-bit
 * integers), or the broker refuses with 406 PRECONDITION_FAILED.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <amqp.h>
#include <amqp_framing.h>

#include "mq.h"
#include "mq_impl.h"

/* A declare argument: a long string or a signed 64-bit integer. */
static amqp_table_entry_t
mq_arg_str(const char *key, const char *value)
{
	amqp_table_entry_t e;

	e.key = amqp_cstring_bytes(key);
	e.value.kind = AMQP_FIELD_KIND_UTF8;
	e.value.value.bytes = amqp_cstring_bytes(value);
	return e;
}

static amqp_table_entry_t
mq_arg_long(const char *key, int64_t value)
{
	amqp_table_entry_t e;

	e.key = amqp_cstring_bytes(key);
	e.value.kind = AMQP_FIELD_KIND_I64;
	e.value.value.i64 = value;
	return e;
}

/*
 * Declares the durable exchange of the given type, the durable queue with
 * args (x-queue-type quorum among them) and binds the queue to the
 * exchange with binding. OMS_OK, or OMS_EUNAVAIL with errstr naming the
 * declare that failed (the connection is dropped, mq_fail).
 */
static enum oms_err
mq_topology_part(struct mq *mq, const char *exchange, const char *type,
    const char *queue, amqp_table_entry_t *args, int nargs,
    const char *binding)
{
	amqp_table_t table;
	char what[96];

	amqp_exchange_declare(mq->conn, MQ_CHANNEL,
	    amqp_cstring_bytes(exchange), amqp_cstring_bytes(type), 0, 1, 0, 0,
	    amqp_empty_table);
	snprintf(what, sizeof(what), "declare %s", exchange);
	if (mq_reply(mq, what, amqp_get_rpc_reply(mq->conn)) != OMS_OK)
		return OMS_EUNAVAIL;
	table.num_entries = nargs;
	table.entries = args;
	amqp_queue_declare(mq->conn, MQ_CHANNEL, amqp_cstring_bytes(queue), 0,
	    1, 0, 0, table);
	snprintf(what, sizeof(what), "declare %s", queue);
	if (mq_reply(mq, what, amqp_get_rpc_reply(mq->conn)) != OMS_OK)
		return OMS_EUNAVAIL;
	amqp_queue_bind(mq->conn, MQ_CHANNEL, amqp_cstring_bytes(queue),
	    amqp_cstring_bytes(exchange), amqp_cstring_bytes(binding),
	    amqp_empty_table);
	snprintf(what, sizeof(what), "bind %s", queue);
	return mq_reply(mq, what, amqp_get_rpc_reply(mq->conn));
}

enum oms_err
mq_topology_declare(struct mq *mq)
{
	amqp_table_entry_t args[5];

	/* oms.events, oms-notify-queue: declared by every consumer, so that
	 * events published before oms-notify ever ran are kept. */
	args[0] = mq_arg_str("x-queue-type", "quorum");
	if (mq_topology_part(mq, OMS_MQ_EVENTS_EXCHANGE, "topic",
	    OMS_MQ_EVENTS_QUEUE, args, 1, OMS_MQ_EVENTS_BINDING) != OMS_OK)
		return OMS_EUNAVAIL;
	if (strcmp(mq->consume_queue, OMS_MQ_EVENTS_QUEUE) == 0)
		return OMS_OK;		/* oms-notify: only those */

	/* The dead letters, then the commands whose queue names them. */
	if (mq_topology_part(mq, OMS_MQ_DEAD_EXCHANGE, "fanout",
	    OMS_MQ_DEAD_QUEUE, args, 1, "") != OMS_OK)
		return OMS_EUNAVAIL;
	args[1] = mq_arg_long("x-delivery-limit", OMS_MQ_DELIVERY_LIMIT);
	args[2] = mq_arg_str("x-dead-letter-exchange", OMS_MQ_DEAD_EXCHANGE);
	args[3] = mq_arg_str("x-dead-letter-strategy", "at-least-once");
	args[4] = mq_arg_str("x-overflow", "reject-publish");
	return mq_topology_part(mq, OMS_MQ_EXCHANGE, "topic",
	    mq->consume_queue, args, 5, "orders.#");
}

enum oms_err
mq_queue_info(struct mq *mq, const char *queue, uint32_t *messages,
    uint32_t *consumers)
{
	amqp_queue_declare_ok_t *ok;
	amqp_rpc_reply_t r;
	int fresh;

	if (mq_connect(mq, &fresh) != OMS_OK)
		return OMS_EUNAVAIL;
	ok = amqp_queue_declare(mq->conn, MQ_CHANNEL, amqp_cstring_bytes(queue),
	    1, 0, 0, 0, amqp_empty_table);
	r = amqp_get_rpc_reply(mq->conn);
	if (ok == NULL || r.reply_type != AMQP_RESPONSE_NORMAL) {
		int missing = r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
		    r.reply.id == AMQP_CHANNEL_CLOSE_METHOD &&
		    ((amqp_channel_close_t *)r.reply.decoded)->reply_code == 404;

		mq_reply(mq, "queue.declare(passive)", r);
		return missing ? OMS_ENOTFOUND : OMS_EUNAVAIL;
	}
	*messages = ok->message_count;
	*consumers = ok->consumer_count;
	return OMS_OK;
}
