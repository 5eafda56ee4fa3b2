/*
 * routes.c — which handler answers a method and path (see routes.h): the
 * provider calls go to calls.c; the record lists, /_sim/config,
 * /_sim/stats and /healthz are answered here. Unknown paths are 404 and
 * known paths with another method 405 with Allow, as problem documents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bodies.h"
#include "calls.h"
#include "clock.h"
#include "json.h"
#include "log.h"
#include "routes.h"
#include "xmalloc.h"

struct routes {
	struct calls	*calls;
	struct timerq	*tq;
};

struct routes *
routes_new(const struct routes_config *rc, struct timerq *tq)
{
	struct routes *r = xcalloc(1, sizeof(*r));

	r->calls = calls_new(rc);
	r->tq = tq;
	return r;
}

void
routes_free(struct routes *r)
{
	if (r == NULL)
		return;
	calls_free(r->calls);
	free(r);
}

static int
routes_is(const struct sim_request *req, const char *method)
{
	return strcmp(req->method, method) == 0 ||
	    (strcmp(method, "GET") == 0 && strcmp(req->method, "HEAD") == 0);
}

static void
routes_not_allowed(const struct sim_request *req, struct sim_response *resp,
    const char *allow)
{
	char why[128];

	snprintf(why, sizeof(why), "%s allows %s", req->path, allow);
	sim_answer_problem(resp, 405, "method-not-allowed",
	    "Method not allowed", why, req);
	resp->allow = allow;
}

/* GET /_sim/config, PUT /_sim/config. */
static void
routes_config(struct routes *r, const struct sim_request *req,
    struct sim_response *resp)
{
	struct faults *f = calls_faults(r->calls);
	struct json_object *body = NULL, *out;
	char why[384];

	if (routes_is(req, "PUT")) {
		if (json_parse_strict(req->body, req->body_len, &body, why,
		    sizeof(why)) != OMS_OK || faults_update(f, body,
		    clock_ms(), why, sizeof(why)) != OMS_OK) {
			json_object_put(body);
			sim_answer_problem(resp, 400, "invalid-config",
			    "The simulator configuration is invalid", why, req);
			return;
		}
		json_object_put(body);
	} else if (!routes_is(req, "GET")) {
		routes_not_allowed(req, resp, "GET, PUT");
		return;
	}
	out = faults_json(f, clock_ms());
	sim_answer_json(resp, 200, out);
	if (routes_is(req, "PUT"))
		log_info("config: %.*s", (int)resp->body_len, resp->body);
	json_object_put(out);
}

/* GET /_sim/stats. */
static void
routes_stats(struct routes *r, const struct sim_request *req,
    struct sim_response *resp)
{
	struct json_object *out;

	if (!routes_is(req, "GET")) {
		routes_not_allowed(req, resp, "GET");
		return;
	}
	out = calls_stats(r->calls);
	json_add_int(out, "waiting", r->tq != NULL ?
	    (long long)timerq_waiting(r->tq) : 0);
	json_add_int(out, "peakWaiting", r->tq != NULL ?
	    (long long)timerq_peak(r->tq) : 0);
	sim_answer_json(resp, 200, out);
	json_object_put(out);
}

/* GET of a record list, POST of a call (when the collection has one). */
static void
routes_collection(struct routes *r, enum sim_endpoint ep, int postable,
    const struct sim_request *req, struct sim_response *resp)
{
	struct json_object *list;

	if (postable && routes_is(req, "POST")) {
		calls_handle(r->calls, ep, NULL, req, resp);
		return;
	}
	if (!routes_is(req, "GET")) {
		routes_not_allowed(req, resp, postable ? "GET, POST" : "GET");
		return;
	}
	list = records_list(calls_records(r->calls), ep, req->order_id);
	sim_answer_json(resp, 200, list);
	json_object_put(list);
}

/* POST /shipments/{id}/void; returns 0 when path is not of that form. */
static int
routes_void(struct routes *r, const struct sim_request *req,
    struct sim_response *resp)
{
	const char *p = req->path + strlen("/shipments/"), *slash;
	char id[BODIES_ID_MAX + 1];

	if (strncmp(req->path, "/shipments/", 11) != 0 ||
	    (slash = strchr(p, '/')) == NULL || strcmp(slash, "/void") != 0 ||
	    slash == p || (size_t)(slash - p) > BODIES_ID_MAX)
		return 0;
	snprintf(id, sizeof(id), "%.*s", (int)(slash - p), p);
	if (!bodies_id_valid(id))
		return 0;
	if (!routes_is(req, "POST"))
		routes_not_allowed(req, resp, "POST");
	else
		calls_handle(r->calls, SIM_EP_VOIDS, id, req, resp);
	return 1;
}

void
routes_handle(struct routes *r, const struct sim_request *req,
    struct sim_response *resp)
{
	static const struct {
		const char		*path;
		enum sim_endpoint	 ep;
		int			 postable;
	} lists[] = {
		{ "/charges", SIM_EP_CHARGES, 1 },
		{ "/refunds", SIM_EP_REFUNDS, 1 },
		{ "/shipments", SIM_EP_SHIPMENTS, 1 },
		{ "/voids", SIM_EP_VOIDS, 0 },
	};
	struct json_object *ok;
	size_t i;

	memset(resp, 0, sizeof(*resp));
	log_set_field(LOG_FIELD_REQUEST_ID, req->request_id);
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (strcmp(req->path, lists[i].path) == 0) {
			routes_collection(r, lists[i].ep, lists[i].postable,
			    req, resp);
			goto done;
		}
	if (routes_void(r, req, resp))
		goto done;
	if (strcmp(req->path, "/_sim/config") == 0) {
		routes_config(r, req, resp);
	} else if (strcmp(req->path, "/_sim/stats") == 0) {
		routes_stats(r, req, resp);
	} else if (strcmp(req->path, "/healthz") == 0) {
		if (!routes_is(req, "GET")) {
			routes_not_allowed(req, resp, "GET");
			goto done;
		}
		ok = json_object_new_object();
		json_add_str(ok, "status", "ok");
		sim_answer_json(resp, 200, ok);
		json_object_put(ok);
	} else {
		sim_answer_problem(resp, 404, "not-found", "No such resource",
		    "the simulator serves /charges, /refunds, /shipments, "
		    "/shipments/{id}/void, /voids, /_sim/config, /_sim/stats "
		    "and /healthz", req);
	}
done:
	log_set_field(LOG_FIELD_REQUEST_ID, NULL);
}
