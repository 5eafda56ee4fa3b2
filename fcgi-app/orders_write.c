/*
 * orders_write.c — what the routes that change orders share (the create in
 * orders_create.c, the commands on an existing order in orders_change.c):
 * reading the body, the command's actor, publishing a command and
 * answering 503 when the broker did not confirm it, waiting for the
 * worker's outcome with `Prefer: wait=N` and the 202.
 *
 * oms-fcgi never writes an order's state: it checks the request against
 * the current state (404, 409 — the worker re-checks and is the authority),
 * publishes a command and answers 202 only once the broker confirmed it
 * (DESIGN §8); the publish goes through the child's confirm window
 * (confirm.c), beside those of the child's other request threads. With `Prefer: wait=N` (RFC 7240, N <= 5 s) it then waits for
 * the worker's outcome on oms:reply:<commandId> and answers 201/200 with
 * the order, 409 if the worker refused, or still 202 when the wait ran out;
 * at most OMS_FCGI_MAX_WAITING requests of a child wait (waiters.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "confirm.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "mq.h"
#include "orders.h"
#include "orders_write.h"
#include "view.h"
#include "waiters.h"

#define WAIT_MAX_S	5

/* The Prefer: wait=N preference, capped at WAIT_MAX_S; 0 when absent. */
static int
orders_write_prefer_wait(const struct http_req *req)
{
	const char *p = http_param(req, "HTTP_PREFER");
	long n;

	for (; p != NULL && *p != '\0'; p++) {
		if ((p == http_param(req, "HTTP_PREFER") || p[-1] == ' ' ||
		    p[-1] == ',' || p[-1] == ';') &&
		    strncasecmp(p, "wait=", 5) == 0 &&
		    isdigit((unsigned char)p[5])) {
			n = strtol(p + 5, NULL, 10);
			return n > WAIT_MAX_S ? WAIT_MAX_S : (int)n;
		}
	}
	return 0;
}

/* The actor of a command, from the authenticated principal. */
void
orders_write_actor(struct oms_command *cmd, const struct oms_principal *who)
{
	cmd->role = who->role == AUTH_ROLE_CUSTOMER ? OMS_ROLE_CUSTOMER :
	    who->role == AUTH_ROLE_SHIPPER ? OMS_ROLE_SHIPPER : OMS_ROLE_ADMIN;
	snprintf(cmd->customer_id, sizeof(cmd->customer_id), "%s",
	    who->role == AUTH_ROLE_CUSTOMER ? who->customer_id : "");
}

/* Publishes cmd. Returns 0, or -1 after answering 503 (or 500 if cmd is
 * not one the worker would accept: a bug). */
int
orders_write_publish(struct app *app, struct http_req *req,
    const struct oms_command *cmd)
{
	struct mq_message msg;
	char *body, err[160], why[128];
	size_t len;
	enum oms_err rc;

	if (command_encode(cmd, &body, &len, err, sizeof(err)) != OMS_OK) {
		log_warnx("refusing to publish an invalid command: %s", err);
		http_problem(req, 500, "internal", "Internal Server Error",
		    "The command could not be encoded.", NULL, NULL);
		return -1;
	}
	memset(&msg, 0, sizeof(msg));
	msg.routing_key = command_type_name(cmd->type);
	msg.message_id = cmd->command_id;
	msg.correlation_id = req->request_id;
	msg.app_id = "oms-fcgi";
	msg.body = body;
	msg.len = len;
	log_set_field(LOG_FIELD_COMMAND_ID, cmd->command_id);
	/* the child's confirm window: back to back with the other
	 * threads' publishes, back when this message is confirmed */
	rc = confirm_publish(app->confirm, &msg, why, sizeof(why));
	free(body);
	metrics_publish(rc == OMS_OK);
	if (rc != OMS_OK) {
		/* The broker may have stored the command and lost the
		 * connection before its confirm: say so, never "nothing was
		 * changed". A retry with the same Idempotency-Key publishes the
		 * same commandId, which the worker applies once. */
		log_warnx("RabbitMQ unavailable: %s", why);
		http_problem(req, 503, "unavailable", "Service Unavailable",
		    "RabbitMQ did not confirm the command, so it may or may not "
		    "have been accepted. Retry later; for a create, send the same "
		    "Idempotency-Key so that it is applied once.",
		    "Retry-After: 2\r\n", NULL);
		return -1;
	}
	log_info("published %s", msg.routing_key);
	return 0;
}

/* Waits up to wait_s for the worker's outcome of command_id. Returns 1 and
 * answers (201/200 with the order, or 409) when one came; 0 when the wait
 * ran out or Redis failed (the caller answers 202). */
static int
orders_write_wait_outcome(struct app *app, struct http_req *req, const char *id,
    const char *command_id, int wait_s, int created)
{
	struct store_reply *r = NULL;
	struct json_object *outcome = NULL, *order = NULL;
	const char *result, *detail;
	char headers[128], err[64];
	int answered = 0;

	store_set_timeout(app->store, (wait_s + 2) * 1000);
	if (store_cmd_strict(app->store, &r, "BLPOP oms:reply:%s %d",
	    command_id, wait_s) != OMS_OK || r->type != STORE_ARRAY || r->nelem != 2 ||
	    json_parse_strict(r->elem[1]->str, r->elem[1]->len, &outcome, err,
	    sizeof(err)) != OMS_OK) {
		store_set_timeout(app->store, 2000);
		store_reply_free(r);
		return 0;
	}
	store_set_timeout(app->store, 2000);
	store_reply_free(r);

	snprintf(headers, sizeof(headers), "Preference-Applied: wait=%d\r\n"
	    "Location: /orders/%.64s\r\n", wait_s, id);
	result = json_get_str(outcome, "outcome");
	detail = json_get_str(outcome, "detail");
	if (result != NULL && strcmp(result, "refused") == 0) {
		http_problem(req, 409, "refused", "Conflict", detail != NULL ?
		    detail : "The order's state did not allow this command.",
		    headers, NULL);
		answered = 1;
	} else if (result != NULL && store_cmd_strict(app->store, &r,
	    "HGETALL oms:order:%s", id) == OMS_OK) {
		order = view_order_from_hash(r);
		store_reply_free(r);
		if (order != NULL) {
			http_respond_json(req, created ? 201 : 200, headers,
			    order);
			json_object_put(order);
			answered = 1;
		}
	}
	json_object_put(outcome);
	return answered;
}

/* With `Prefer: wait=N`, waits for the outcome of command_id when one of
 * the FCGI_MAX_WAITING slots is free (waiters.c). Returns 1 when it
 * answered; else 0 with *wait_s the wait that was applied (0: none asked,
 * or every slot held: the caller answers 202 at once). */
int
orders_write_wait(struct app *app, struct http_req *req, const char *id,
    const char *command_id, int *wait_s, int created)
{
	int slot, answered;

	if ((*wait_s = orders_write_prefer_wait(req)) == 0)
		return 0;
	if ((slot = waiters_enter()) < 0) {
		log_info("Prefer: wait not applied: %d requests already wait",
		    waiters_max());
		*wait_s = 0;
		return 0;
	}
	answered = orders_write_wait_outcome(app, req, id, command_id, *wait_s,
	    created);
	waiters_leave(slot);
	return answered;
}


/* Sends the 202 of an accepted command; body is borrowed. */
void
orders_write_accepted(struct http_req *req, const char *id, int wait_s,
    struct json_object *body)
{
	char headers[160];

	if (wait_s > 0)
		snprintf(headers, sizeof(headers), "Location: /orders/%s\r\n"
		    "Preference-Applied: wait=%d\r\n", id, wait_s);
	else
		snprintf(headers, sizeof(headers), "Location: /orders/%s\r\n",
		    id);
	http_respond_json(req, 202, headers, body);
}

/* Reads the request body into req. Returns 0, or -1 after answering. */
int
orders_write_read_body(struct app *app, struct http_req *req)
{
	switch (http_read_body(req, app->cfg->max_body_bytes)) {
	case OMS_OK:
		return 0;
	case OMS_ETOOBIG:
		http_problem(req, 413, "body-too-large", "Content Too Large",
		    "The body is over the limit.", NULL, NULL);
		return -1;
	default:
		http_problem(req, 400, "bad-request", "Bad Request",
		    "The body is shorter than its Content-Length.", NULL,
		    NULL);
		return -1;
	}
}

