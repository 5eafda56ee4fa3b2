/*
 * `omsctl check`: can oms work? Redis answers and holds the Function
 * library; RabbitMQ accepts omsctl's login and has the exchange, the queue
 * and the dead-letter queue of DESIGN §6. One line per check; exit 1 when
 * any fails. --json for monitoring scripts.
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "mq.h"
#include "omsctl.h"
#include "store.h"

void
check_usage(FILE *out)
{
	fprintf(out,
	    "  check [--json]\n"
	    "        connectivity and topology: Redis, the Function library,\n"
	    "        RabbitMQ, the exchange and queues (with their depths)\n");
}

/* Records one check in list and prints it; returns ok. */
static int
check_report(struct json_object *list, int as_json, const char *name, int ok,
    const char *detail)
{
	struct json_object *o = json_object_new_object();

	json_add_str(o, "check", name);
	json_add_bool(o, "ok", ok);
	json_add_str(o, "detail", detail);
	json_object_array_add(list, o);
	if (!as_json)
		printf("%-4s %-26s %s\n", ok ? "ok" : "FAIL", name, detail);
	return ok;
}

int
check_main(int argc, char *argv[], const struct oms_config *cfg)
{
	struct json_object *list;
	struct store_reply *r;
	struct store *st;
	struct mq *mq;
	uint32_t messages, consumers;
	static const char *const queues[] = { OMS_MQ_QUEUE, OMS_MQ_DEAD_QUEUE };
	char detail[160];
	int as_json = argc == 2 && strcmp(argv[1], "--json") == 0, all = 1, ok;

	if (argc > 2 || (argc == 2 && !as_json)) {
		fprintf(stderr, "omsctl: check: usage:\n");
		check_usage(stderr);
		return OMSCTL_USAGE;
	}
	if ((st = omsctl_store(cfg)) == NULL || (mq = omsctl_mq(cfg)) == NULL) {
		store_free(st);
		return OMSCTL_USAGE;
	}
	list = json_object_new_array();

	all &= check_report(list, as_json, "redis", store_ping(st) == OMS_OK,
	    store_errstr(st));
	if (store_cmd(st, &r, "FUNCTION LIST LIBRARYNAME oms") == OMS_OK) {
		ok = r->type == STORE_ARRAY && r->nelem > 0;

		all &= check_report(list, as_json, "redis function library",
		    ok, ok ? "oms loaded" : "library oms is not loaded "
		    "(oms-worker loads it at start)");
		store_reply_free(r);
	} else
		all &= check_report(list, as_json, "redis function library",
		    0, store_errstr(st));

	ok = mq_check(mq) == OMS_OK;
	all &= check_report(list, as_json, "rabbitmq", ok, ok ? "connected; "
	    "exchange " OMS_MQ_EXCHANGE " exists" : mq_errstr(mq));
	for (size_t i = 0; i < sizeof(queues) / sizeof(queues[0]); i++) {
		enum oms_err rc = mq_queue_info(mq, queues[i], &messages,
		    &consumers);

		if (rc == OMS_OK)
			snprintf(detail, sizeof(detail), "%u ready, %u "
			    "consumer%s", messages, consumers,
			    consumers == 1 ? "" : "s");
		else
			snprintf(detail, sizeof(detail), "%s", rc ==
			    OMS_ENOTFOUND ? "missing" : mq_errstr(mq));
		all &= check_report(list, as_json, queues[i], rc == OMS_OK,
		    detail);
	}
	if (as_json)
		printf("%s\n", json_dump(list, NULL));
	json_object_put(list);
	mq_free(mq);
	store_free(st);
	return all ? OMSCTL_OK : OMSCTL_FAIL;
}
