/*
 * util.c — the clock and the names shared by the modules of
 * oms-provider-sim, and the two ways an answer is written (see sim.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "json.h"
#include "sim.h"
#include "xmalloc.h"


void
sim_timestamp(char out[32])
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03dZ", (int)(ts.tv_nsec / 1000000) % 1000);
}

const char *
sim_endpoint_name(enum sim_endpoint ep)
{
	static const char *const names[SIM_EP_MAX] = {
		"charges", "refunds", "shipments", "voids"
	};

	return (unsigned)ep < SIM_EP_MAX ? names[ep] : "unknown";
}

const char *
sim_outcome_name(enum sim_outcome out)
{
	static const char *const names[SIM_OUT_MAX] = {
		"ok", "declined", "replayed", "conflict", "inProgress",
		"invalid", "unauthorized", "notFound", "refused", "error",
		"errorAfter", "unavailable"
	};

	return (unsigned)out < SIM_OUT_MAX ? names[out] : "unknown";
}

void
sim_answer_json(struct sim_response *resp, int status, struct json_object *obj)
{
	size_t len;
	const char *s = json_dump(obj, &len);

	free(resp->body);
	resp->status = status;
	resp->content_type = "application/json";
	resp->body = xstrndup(s, len);
	resp->body_len = len;
}

void
sim_answer_problem(struct sim_response *resp, int status, const char *slug,
    const char *title, const char *detail, const struct sim_request *req)
{
	struct json_object *doc = json_object_new_object();	/* owned */
	char type[96];

	snprintf(type, sizeof(type), "/problems/%s", slug);
	json_add_str(doc, "type", type);
	json_add_str(doc, "title", title);
	json_add_int(doc, "status", status);
	json_add_str(doc, "detail", detail);
	if (req != NULL && req->path != NULL)
		json_add_str(doc, "instance", req->path);
	if (req != NULL && req->request_id != NULL)
		json_add_str(doc, "requestId", req->request_id);
	sim_answer_json(resp, status, doc);
	resp->content_type = "application/problem+json";
	json_object_put(doc);
}
