/*
 * `omsctl webhook ...`: webhook subscriptions (docs/webhooks.md), the same
 * operations as the admin routes /webhooks, on Redis directly:
 *   add URL --events=T[,T...] [--description=TEXT] [--json]
 *   list [--json] | show ID | disable ID | enable ID | remove ID
 *   rotate ID | deliveries ID [--limit=N] | redeliver ID EVENT_ID
 * add and rotate print the secret on the first line (shown once), then the
 * id. URLs follow the API's rules (OMS_WEBHOOK_ALLOW_HTTP=1 allows http).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "json.h"
#include "omsctl.h"
#include "store.h"
#include "uuid.h"
#include "webhook_redeliver.h"
#include "webhook_store.h"

void
webhook_usage(FILE *out)
{
	fprintf(out,
	    "  webhook add URL --events=TYPE[,TYPE...] [--description=TEXT] "
	    "[--json]\n"
	    "        subscribe URL to event types (* for all); prints the\n"
	    "        signing secret (shown once) and the id\n"
	    "  webhook list [--json] | show ID | remove ID\n"
	    "  webhook disable ID | enable ID\n"
	    "  webhook rotate ID\n"
	    "        a new secret; the old one signs too for 24 hours\n"
	    "  webhook deliveries ID [--limit=N] | redeliver ID EVENT_ID\n"
	    "        the recent delivery attempts; send an event again\n");
}

static int
webhook_fail(const char *what, enum oms_err rc, struct store *st)
{
	if (rc == OMS_ENOTFOUND)
		fprintf(stderr, "omsctl: webhook %s: not found\n", what);
	else if (rc == OMS_ECONFLICT)
		fprintf(stderr, "omsctl: webhook %s: a concurrent change or the "
		    "limit of subscriptions; retry\n", what);
	else
		fprintf(stderr, "omsctl: webhook %s: Redis: %s\n", what,
		    store_errstr(st));
	return OMSCTL_FAIL;
}

static void
webhook_print(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* "a,b" as a JSON array (owned). */
static struct json_object *
webhook_events_arg(const char *s)
{
	struct json_object *a = json_object_new_array();
	char *copy = strdup(s), *save = NULL, *t;

	for (t = copy != NULL ? strtok_r(copy, ",", &save) : NULL; t != NULL;
	    t = strtok_r(NULL, ",", &save))
		json_object_array_add(a, json_object_new_string(t));
	free(copy);
	return a;
}

static int
webhook_add(struct store *st, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "events", required_argument, NULL, 'e' },
		{ "description", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const char *events_s = NULL, *desc = "", *allow;
	struct json_object *events, *rec, *view;
	char err[256];
	int c, as_json = 0;
	enum oms_err rc;

	optind = 0;	/* glibc: a fresh scan after main's */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'e')
			events_s = optarg;
		else if (c == 'd')
			desc = optarg;
		else if (c == 'j')
			as_json = 1;
		else
			return OMSCTL_USAGE;
	}
	if (optind + 1 != argc || events_s == NULL) {
		fprintf(stderr, "omsctl: webhook add URL --events=TYPE[,...]\n");
		return OMSCTL_USAGE;
	}
	allow = getenv("OMS_WEBHOOK_ALLOW_HTTP");
	if (webhook_url_check(argv[optind], allow != NULL &&
	    strcmp(allow, "1") == 0, err, sizeof(err)) == -1) {
		fprintf(stderr, "omsctl: webhook add: %s\n", err);
		return OMSCTL_USAGE;
	}
	if (strlen(desc) > WEBHOOK_DESC_MAX) {
		fprintf(stderr, "omsctl: webhook add: the description is "
		    "longer than 256 bytes\n");
		return OMSCTL_USAGE;
	}
	events = webhook_events_arg(events_s);
	if (webhook_events_check(events, err, sizeof(err)) == -1) {
		fprintf(stderr, "omsctl: webhook add: %s\n", err);
		json_object_put(events);
		return OMSCTL_USAGE;
	}
	rc = webhook_store_create(st, argv[optind], events, desc, &rec);
	json_object_put(events);
	if (rc != OMS_OK)
		return webhook_fail("add", rc, st);
	if (as_json) {
		view = webhook_store_view(rec);
		json_add_str(view, "secret", json_get_str(rec, "secret"));
		webhook_print(view);
		json_object_put(view);
	} else
		printf("%s\n%s\n", json_get_str(rec, "secret"),
		    json_get_str(rec, "id"));
	json_object_put(rec);
	return OMSCTL_OK;
}

static int
webhook_list(struct store *st, int as_json)
{
	struct json_object *recs, *out;
	enum oms_err rc;

	if ((rc = webhook_store_list(st, &recs)) != OMS_OK)
		return webhook_fail("list", rc, st);
	out = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(recs); i++) {
		struct json_object *v = webhook_store_view(
		    json_object_array_get_idx(recs, i));

		struct json_object *en = NULL;

		json_object_object_get_ex(v, "enabled", &en);
		if (!as_json)
			printf("%s %-8s %s %s\n", json_get_str(v, "id"),
			    json_object_get_boolean(en) ? "enabled" :
			    "disabled", json_get_str(v, "url"),
			    json_object_to_json_string(json_get_arr(v,
			    "events")));
		json_object_array_add(out, v);
	}
	if (as_json)
		webhook_print(out);
	json_object_put(out);
	json_object_put(recs);
	return OMSCTL_OK;
}

/* show, disable, enable, remove, rotate of one id. */
static int
webhook_one(struct store *st, const char *verb, const char *id)
{
	struct webhook_change ch = { NULL, NULL, NULL, -1, NULL };
	struct json_object *rec = NULL, *view;
	enum oms_err rc;

	if (!uuid_valid(id)) {
		fprintf(stderr, "omsctl: webhook %s: %s is not a subscription "
		    "id\n", verb, id);
		return OMSCTL_USAGE;
	}
	if (strcmp(verb, "show") == 0)
		rc = webhook_store_get(st, id, &rec);
	else if (strcmp(verb, "remove") == 0)
		rc = webhook_store_delete(st, id);
	else if (strcmp(verb, "rotate") == 0)
		rc = webhook_store_rotate(st, id, &rec);
	else {
		ch.enabled = strcmp(verb, "enable") == 0;
		ch.disabled_reason = "disabled with omsctl";
		rc = webhook_store_update(st, id, &ch, &rec);
	}
	if (rc != OMS_OK)
		return webhook_fail(verb, rc, st);
	if (strcmp(verb, "rotate") == 0)
		printf("%s\n%s\n", json_get_str(rec, "secret"), id);
	else if (rec != NULL) {
		view = webhook_store_view(rec);
		webhook_print(view);
		json_object_put(view);
	}
	json_object_put(rec);
	return OMSCTL_OK;
}

int
webhook_main(int argc, char *argv[], const struct oms_config *cfg)
{
	struct json_object *out;
	struct store *st;
	enum oms_err rc;
	int status;

	if (argc < 2) {
		webhook_usage(stderr);
		return OMSCTL_USAGE;
	}
	if ((st = omsctl_store(cfg)) == NULL)
		return OMSCTL_FAIL;
	if (strcmp(argv[1], "add") == 0)
		status = webhook_add(st, argc - 1, argv + 1);
	else if (strcmp(argv[1], "list") == 0)
		status = webhook_list(st, argc > 2 &&
		    strcmp(argv[2], "--json") == 0);
	else if (argc == 3 && (strcmp(argv[1], "show") == 0 ||
	    strcmp(argv[1], "disable") == 0 || strcmp(argv[1], "enable") == 0 ||
	    strcmp(argv[1], "remove") == 0 || strcmp(argv[1], "rotate") == 0))
		status = webhook_one(st, argv[1], argv[2]);
	else if ((argc == 3 || argc == 4) &&
	    strcmp(argv[1], "deliveries") == 0) {
		int limit = argc == 4 && strncmp(argv[3], "--limit=", 8) == 0 ?
		    atoi(argv[3] + 8) : 50;

		if ((rc = webhook_store_deliveries(st, argv[2], limit, &out)) !=
		    OMS_OK)
			status = webhook_fail("deliveries", rc, st);
		else {
			webhook_print(out);
			json_object_put(out);
			status = OMSCTL_OK;
		}
	} else if (argc == 4 && strcmp(argv[1], "redeliver") == 0) {
		if (!uuid_valid(argv[2]) ||
		    !webhook_store_event_id_valid(argv[3])) {
			fprintf(stderr, "omsctl: webhook redeliver ID "
			    "EVENT_ID (evt_...)\n");
			status = OMSCTL_USAGE;
		} else if ((rc = webhook_redeliver(st, argv[2],
		    argv[3])) != OMS_OK)
			status = webhook_fail("redeliver", rc, st);
		else {
			printf("scheduled %s for %s\n", argv[3], argv[2]);
			status = OMSCTL_OK;
		}
	} else {
		webhook_usage(stderr);
		status = OMSCTL_USAGE;
	}
	store_free(st);
	return status;
}
