/*
 * `omsctl order show ID | list`: an order with its history, and the
 * newest orders, read from Redis exactly as oms-fcgi reads them (lib/view.c)
 * so the CLI and the API never disagree. Text for people (amounts also in
 * major units: "total 3499 (34.99 EUR)"), --json for scripts.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "money.h"
#include "omsctl.h"
#include "order.h"
#include "store.h"
#include "view.h"

#define ORDER_LIST_DEFAULT	20

void
order_usage(FILE *out)
{
	fprintf(out,
	    "  order show ID [--json]\n"
	    "        an order and its history (one line per command)\n"
	    "  order list [--customer-id=ID] [--limit=N] [--json]\n"
	    "        the newest orders (N: 1..1000, default 20)\n");
}

/* Prints "omsctl: order: Redis is unavailable ..." and returns FAIL. */
static int
order_unavailable(struct store *st)
{
	fprintf(stderr, "omsctl: order: Redis is unavailable: %s\n",
	    store_errstr(st));
	return OMSCTL_FAIL;
}

static const char *
order_field(struct json_object *o, const char *key)
{
	const char *s = json_get_str(o, key);

	return s != NULL ? s : "-";
}

/* For an amount member of a priced order, writes " (12.34 EUR)" (its
 * value in major units) to buf and returns it; "" otherwise. */
static const char *
order_amount(struct json_object *order, const char *key,
    struct json_object *val, char *buf, size_t size)
{
	static const char *const amounts[] = { "subtotal", "shippingTotal",
	    "taxTotal", "discountTotal", "total", NULL };
	const char *cur = json_get_str(order, "currency");
	char major[MONEY_FORMAT_SIZE];
	int exponent;
	size_t i;

	for (i = 0; amounts[i] != NULL; i++)
		if (strcmp(key, amounts[i]) == 0)
			break;
	if (amounts[i] == NULL || cur == NULL ||
	    !json_object_is_type(val, json_type_int) ||
	    (exponent = money_exponent(cur, strlen(cur))) == -1 ||
	    money_format(json_object_get_int64(val), exponent, major,
	    sizeof(major)) == -1)
		return "";
	snprintf(buf, size, " (%s %s)", major, cur);
	return buf;
}

static int
order_show(struct store *st, const char *id, int as_json)
{
	struct store_reply *r;
	struct json_object *order, *events, *doc;
	char err[64];

	if (!order_id_valid(id, strlen(id))) {
		fprintf(stderr, "omsctl: order show: '%s' is not an order id\n",
		    id);
		return OMSCTL_USAGE;
	}
	if (store_cmd(st, &r, "HGETALL oms:order:%s", id) != OMS_OK)
		return order_unavailable(st);
	order = view_order_from_hash(r);
	store_reply_free(r);
	if (order == NULL) {
		if (store_cmd(st, &r, "GET oms:pending:%s", id) != OMS_OK)
			return order_unavailable(st);
		if (r->type == STORE_STRING)
			order = view_order_from_pending(r->str, r->len);
		store_reply_free(r);
	}
	if (order == NULL) {
		fprintf(stderr, "omsctl: order show: no order %s\n", id);
		return OMSCTL_FAIL;
	}
	/* the history in every layout, as the API shows it (oms_events) */
	if (store_cmd(st, &r, "FCALL_RO oms_events 1 oms:order:%s", id) !=
	    OMS_OK) {
		json_object_put(order);
		return order_unavailable(st);
	}
	events = NULL;
	if (r->type == STORE_STRING && (json_parse_strict(r->str, r->len,
	    &events, err, sizeof(err)) != OMS_OK ||
	    !json_object_is_type(events, json_type_array))) {
		json_object_put(events);
		events = NULL;
	}
	if (events == NULL) {
		fprintf(stderr, "omsctl: order show: no history: %s\n",
		    r->type == STORE_ERROR ? r->str : "not a JSON array");
		store_reply_free(r);
		json_object_put(order);
		return OMSCTL_FAIL;
	}
	store_reply_free(r);

	if (as_json) {
		doc = json_object_new_object();
		json_object_object_add(doc, "order", order);
		json_object_object_add(doc, "events", events);
		printf("%s\n", json_dump(doc, NULL));
		json_object_put(doc);
		return OMSCTL_OK;
	}
	printf("order %s\n", id);
	json_object_object_foreach(order, key, val) {
		char amount[MONEY_FORMAT_SIZE + 8];

		if (strcmp(key, "id") == 0)
			continue;
		printf("  %-21s %s%s\n", key, json_object_is_type(val,
		    json_type_null) ? "-" : json_object_is_type(val,
		    json_type_string) ? json_object_get_string(val) :
		    json_dump(val, NULL), order_amount(order, key, val, amount,
		    sizeof(amount)));
	}
	printf("history (%zu):\n", json_object_array_length(events));
	for (size_t i = 0; i < json_object_array_length(events); i++) {
		struct json_object *e = json_object_array_get_idx(events, i);

		printf("  %s  %-22s %-9s %s -> %s  %s\n", order_field(e, "at"),
		    order_field(e, "type"), order_field(e, "outcome"),
		    order_field(e, "from"), order_field(e, "to"),
		    order_field(e, "commandId"));
	}
	json_object_put(order);
	json_object_put(events);
	return OMSCTL_OK;
}

static int
order_list(struct store *st, const char *customer, long limit, int as_json)
{
	struct store_reply *r;
	struct json_object *list = json_object_new_array();
	char key[128];

	if (customer != NULL)
		snprintf(key, sizeof(key), "oms:customer:%s:orders", customer);
	else
		snprintf(key, sizeof(key), "oms:orders");
	if (store_cmd(st, &r, "ZREVRANGE %s 0 %ld", key, limit - 1) != OMS_OK) {
		json_object_put(list);
		return order_unavailable(st);
	}
	for (size_t i = 0; r->type == STORE_ARRAY && i < r->nelem; i++) {
		struct store_reply *h;
		struct json_object *o;

		if (store_cmd(st, &h, "HGETALL oms:order:%s",
		    r->elem[i]->str) != OMS_OK) {
			store_reply_free(r);
			json_object_put(list);
			return order_unavailable(st);
		}
		if ((o = view_order_from_hash(h)) != NULL)
			json_object_array_add(list, o);
		store_reply_free(h);
	}
	store_reply_free(r);
	if (as_json)
		printf("%s\n", json_dump(list, NULL));
	else {
		printf("%-36s  %-14s %-16s %-7s %s\n", "ID", "STATUS",
		    "CUSTOMER", "DELETED", "CREATED");
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			struct json_object *o = json_object_array_get_idx(list,
			    i), *del;

			json_object_object_get_ex(o, "isDeleted", &del);
			printf("%-36s  %-14s %-16s %-7s %s\n",
			    order_field(o, "id"), order_field(o, "status"),
			    order_field(o, "customerId"),
			    json_object_get_boolean(del) ? "yes" : "no",
			    order_field(o, "createdAt"));
		}
	}
	json_object_put(list);
	return OMSCTL_OK;
}

int
order_main(int argc, char *argv[], const struct oms_config *cfg)
{
	static const struct option longopts[] = {
		{ "json",	 no_argument,	    NULL, 'j' },
		{ "customer-id", required_argument, NULL, 'c' },
		{ "limit",	 required_argument, NULL, 'n' },
		{ "help",	 no_argument,	    NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *sub, *customer = NULL;
	struct store *st;
	long limit = ORDER_LIST_DEFAULT;
	char *end;
	int ch, as_json = 0, rc;

	if (argc < 2) {
		fprintf(stderr, "omsctl: order: missing subcommand (show, "
		    "list)\n");
		return OMSCTL_USAGE;
	}
	sub = argv[1];
	argc--;			/* argv[0] is now the subcommand */
	argv++;
	optind = 0;		/* GNU getopt: start afresh, permute */
	while ((ch = getopt_long(argc, argv, "jc:n:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			as_json = 1;
			break;
		case 'c':
			customer = optarg;
			if (!order_id_valid(customer, strlen(customer))) {
				fprintf(stderr, "omsctl: order: bad customer "
				    "id\n");
				return OMSCTL_USAGE;
			}
			break;
		case 'n':
			limit = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || limit < 1 ||
			    limit > 1000) {
				fprintf(stderr, "omsctl: order: --limit wants "
				    "1..1000\n");
				return OMSCTL_USAGE;
			}
			break;
		case 'h':
			printf("Usage: omsctl order SUBCOMMAND [OPTION]...\n");
			order_usage(stdout);
			return OMSCTL_OK;
		default:
			return OMSCTL_USAGE;
		}
	}
	if (strcmp(sub, "show") == 0 ? optind != argc - 1 :
	    strcmp(sub, "list") == 0 ? optind != argc : 1) {
		fprintf(stderr, "omsctl: order: usage:\n");
		order_usage(stderr);
		return OMSCTL_USAGE;
	}
	if ((st = omsctl_store(cfg)) == NULL)
		return OMSCTL_USAGE;
	rc = strcmp(sub, "show") == 0 ? order_show(st, argv[optind], as_json) :
	    order_list(st, customer, limit, as_json);
	store_free(st);
	return rc;
}
