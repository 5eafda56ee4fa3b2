/*
 * view-jsonc — a test helper: prints what GET /orders answered before
 * lib/jsonw.c, the json-c way (view_order_from_hash, json_dump), from the
 * order hashes in Redis, so t2106 can compare the API's bytes with it.
 * Reads order ids, one a line, from stdin. With --list it prints one list
 * document {"items":[...],"nextCursor":null} of those orders in that
 * order; otherwise each order's document on a line of its own. Exit 0, 1
 * when an id has no hash or Redis fails, 2 on usage.
 *
 *   OMS_REDIS_URL=redis://user:pass@host:port/0 view-jsonc [--list] < ids
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "store.h"
#include "view.h"

int
main(int argc, char *argv[])
{
	const char *url = getenv("OMS_REDIS_URL");
	struct json_object *doc = NULL, *items = NULL;	/* owned */
	struct store_reply *r;
	struct store *st;
	char err[256], line[128];
	int list = argc == 2 && strcmp(argv[1], "--list") == 0, rc = 0;

	if (url == NULL || argc != 1 + list) {
		fprintf(stderr, "usage: OMS_REDIS_URL=... view-jsonc [--list] "
		    "< ids\n");
		return 2;
	}
	if ((st = store_new(url, NULL, "omsctl", 3000, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "view-jsonc: %s\n", err);
		return 2;
	}
	if (list) {
		doc = json_object_new_object();
		items = json_object_new_array();	/* put into doc */
	}
	while (rc == 0 && fgets(line, sizeof(line), stdin) != NULL) {
		struct json_object *o;

		line[strcspn(line, "\r\n")] = '\0';
		if (store_cmd_strict(st, &r, "HGETALL oms:order:%s", line) !=
		    OMS_OK) {
			fprintf(stderr, "view-jsonc: %s\n", store_errstr(st));
			rc = 1;
			break;
		}
		if ((o = view_order_from_hash(r)) == NULL) {
			fprintf(stderr, "view-jsonc: no order %s\n", line);
			rc = 1;
		} else if (list)
			json_object_array_add(items, o);
		else {
			printf("%s\n", json_dump(o, NULL));
			json_object_put(o);
		}
		store_reply_free(r);
	}
	if (list) {
		json_object_object_add(doc, "items", items);
		json_add_str(doc, "nextCursor", NULL);
		if (rc == 0)
			printf("%s", json_dump(doc, NULL));
		json_object_put(doc);
	}
	store_free(st);
	return rc;
}
