/*
 * records.c — the record lists (see records.h): one json-c array per
 * endpoint, searched linearly (a simulator holds thousands, not
 * millions; the soak reads each list once).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "records.h"
#include "xmalloc.h"

struct records {
	struct json_object	*lists[SIM_EP_MAX];	/* owned arrays */
	uint32_t		 run;
	uint64_t		 counter;
};

struct records *
records_new(void)
{
	struct records *rs = xcalloc(1, sizeof(*rs));
	int i;

	for (i = 0; i < SIM_EP_MAX; i++)
		rs->lists[i] = json_object_new_array();
	if (getrandom(&rs->run, sizeof(rs->run), 0) != sizeof(rs->run))
		rs->run = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16;
	return rs;
}

void
records_free(struct records *rs)
{
	int i;

	if (rs == NULL)
		return;
	for (i = 0; i < SIM_EP_MAX; i++)
		json_object_put(rs->lists[i]);
	free(rs);
}

void
records_new_id(struct records *rs, const char *prefix,
    char out[RECORDS_ID_SIZE])
{
	snprintf(out, RECORDS_ID_SIZE, "%.4s%08x%016llx", prefix,
	    (unsigned)rs->run, (unsigned long long)++rs->counter);
}

void
records_add(struct records *rs, enum sim_endpoint ep, struct json_object *rec)
{
	json_object_array_add(rs->lists[ep], rec);	/* takes rec */
}

/* 1 if rec's member key is the string value. */
static int
records_match(struct json_object *rec, const char *key, const char *value)
{
	const char *s = json_get_str(rec, key);

	return s != NULL && strcmp(s, value) == 0;
}

struct json_object *
records_find(const struct records *rs, enum sim_endpoint ep, const char *id)
{
	struct json_object *list = rs->lists[ep];
	size_t i, n = json_object_array_length(list);

	for (i = n; i > 0; i--) {
		struct json_object *rec = json_object_array_get_idx(list, i - 1);

		if (records_match(rec, "id", id))
			return rec;
	}
	return NULL;
}

struct json_object *
records_list(const struct records *rs, enum sim_endpoint ep,
    const char *order_id)
{
	struct json_object *list = rs->lists[ep], *out;
	size_t i, n = json_object_array_length(list);

	out = json_object_new_array_ext(n > 0 ? (int)n : 1);
	for (i = 0; i < n; i++) {
		struct json_object *rec = json_object_array_get_idx(list, i);

		if (order_id == NULL || records_match(rec, "orderId", order_id))
			json_object_array_add(out, json_object_get(rec));
	}
	return out;
}

size_t
records_count(const struct records *rs, enum sim_endpoint ep)
{
	return json_object_array_length(rs->lists[ep]);
}
