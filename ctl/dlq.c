/*
 * `omsctl dlq list | replay ID|--all`: the dead-letter queue
 * (order-worker-queue.dead, DESIGN §6). list takes the messages without
 * acknowledging them and lets the broker put them back when the connection
 * closes, so looking changes nothing. replay republishes a message to
 * oms.commands with a publisher confirm and only then acknowledges it, so
 * a failure at any point leaves the message in one of the two queues
 * (at worst in both: the worker applies a commandId once).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "mq.h"
#include "omsctl.h"

#define DLQ_MAX	10000

void
dlq_usage(FILE *out)
{
	fprintf(out,
	    "  dlq list [--json]\n"
	    "        the dead-lettered commands (id, type, request id, body)\n"
	    "  dlq replay ID|--all\n"
	    "        publish a dead-lettered command (by its id, the message\n"
	    "        id) or all of them to oms.commands again, then remove\n"
	    "        them from the dead-letter queue\n");
}

static int
dlq_unavailable(struct mq *mq)
{
	fprintf(stderr, "omsctl: dlq: RabbitMQ is unavailable: %s\n",
	    mq_errstr(mq));
	return OMSCTL_FAIL;
}

/* Prints up to 200 of the len bytes of body on one line: printable ASCII
 * as it is, any other byte (a NUL too: bodies are bytes) as \xNN. */
static void
dlq_print_body(const char *body, size_t len)
{
	size_t	 i;

	printf("  ");
	for (i = 0; i < len && i < 200; i++) {
		unsigned char c = (unsigned char)body[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	if (i < len)
		printf("... (%zu bytes)", len);
	putchar('\n');
}

static int
dlq_list(struct mq *mq, int as_json)
{
	struct json_object *list = json_object_new_array();
	struct mq_received m;
	uint64_t tag;
	enum oms_err rc = OMS_OK;
	int n = 0;

	while (n < DLQ_MAX &&
	    (rc = mq_get_unacked(mq, OMS_MQ_DEAD_QUEUE, &m, &tag)) == OMS_OK) {
		struct json_object *o = json_object_new_object();

		json_add_str(o, "id", m.message_id);
		json_add_str(o, "type", m.routing_key);
		json_add_str(o, "requestId", m.correlation_id);
		json_add_str(o, "appId", m.app_id);
		/* all len bytes: json-c writes a NUL as \u0000 */
		json_object_object_add(o, "body",
		    json_object_new_string_len(m.body, (int)m.len));
		json_object_array_add(list, o);
		if (!as_json) {
			printf("%-44s %-24s %s\n", *m.message_id ?
			    m.message_id : "(no id)", m.routing_key,
			    *m.correlation_id ? m.correlation_id : "-");
			dlq_print_body(m.body, m.len);
		}
		mq_received_clear(&m);
		n++;
	}
	if (rc == OMS_EUNAVAIL) {
		json_object_put(list);
		return dlq_unavailable(mq);
	}
	if (as_json)
		printf("%s\n", json_dump(list, NULL));
	else
		printf("%d dead-lettered message%s\n", n, n == 1 ? "" : "s");
	json_object_put(list);
	return OMSCTL_OK;	/* unacked: back in the queue on close */
}

static int
dlq_replay(struct mq *mq, const char *id)
{
	struct mq_received m;
	struct mq_message out;
	uint64_t tag;
	enum oms_err rc;
	int replayed = 0, seen = 0;

	while (seen < DLQ_MAX &&
	    (rc = mq_get_unacked(mq, OMS_MQ_DEAD_QUEUE, &m, &tag)) == OMS_OK) {
		seen++;
		if (id != NULL && strcmp(m.message_id, id) != 0) {
			mq_received_clear(&m);
			continue;	/* stays unacked: requeued on close */
		}
		memset(&out, 0, sizeof(out));
		out.routing_key = m.routing_key;
		out.message_id = m.message_id;
		out.correlation_id = *m.correlation_id ? m.correlation_id :
		    NULL;
		out.app_id = "omsctl";
		out.body = m.body;
		out.len = m.len;
		if (mq_publish(mq, &out) != OMS_OK || mq_ack(mq, tag) !=
		    OMS_OK) {
			mq_received_clear(&m);
			fprintf(stderr, "omsctl: dlq replay: stopped after %d: "
			    "%s\n", replayed, mq_errstr(mq));
			return OMSCTL_FAIL;
		}
		printf("replayed %s (%s)\n", m.message_id, m.routing_key);
		mq_received_clear(&m);
		replayed++;
		if (id != NULL)
			break;
	}
	if (rc == OMS_EUNAVAIL)
		return dlq_unavailable(mq);
	if (id != NULL && replayed == 0) {
		fprintf(stderr, "omsctl: dlq replay: no message %s in %s\n",
		    id, OMS_MQ_DEAD_QUEUE);
		return OMSCTL_FAIL;
	}
	if (id == NULL)
		printf("%d message%s replayed\n", replayed,
		    replayed == 1 ? "" : "s");
	return OMSCTL_OK;
}

int
dlq_main(int argc, char *argv[], const struct oms_config *cfg)
{
	static const struct option longopts[] = {
		{ "json",	no_argument, NULL, 'j' },
		{ "all",	no_argument, NULL, 'a' },
		{ "help",	no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *sub;
	struct mq *mq;
	int ch, as_json = 0, all = 0, rc;

	if (argc < 2) {
		fprintf(stderr, "omsctl: dlq: missing subcommand (list, "
		    "replay)\n");
		return OMSCTL_USAGE;
	}
	sub = argv[1];
	argc--;			/* argv[0] is now the subcommand */
	argv++;
	optind = 0;		/* GNU getopt: start afresh, permute */
	while ((ch = getopt_long(argc, argv, "jah", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			as_json = 1;
			break;
		case 'a':
			all = 1;
			break;
		case 'h':
			printf("Usage: omsctl dlq SUBCOMMAND [OPTION]...\n");
			dlq_usage(stdout);
			return OMSCTL_OK;
		default:
			return OMSCTL_USAGE;
		}
	}
	if (strcmp(sub, "list") == 0 ? optind != argc || all :
	    strcmp(sub, "replay") == 0 ? (all ? optind != argc :
	    optind != argc - 1) || as_json : 1) {
		fprintf(stderr, "omsctl: dlq: usage:\n");
		dlq_usage(stderr);
		return OMSCTL_USAGE;
	}
	if ((mq = omsctl_mq(cfg)) == NULL)
		return OMSCTL_USAGE;
	rc = strcmp(sub, "list") == 0 ? dlq_list(mq, as_json) :
	    dlq_replay(mq, all ? NULL : argv[optind]);
	mq_free(mq);
	return rc;
}
