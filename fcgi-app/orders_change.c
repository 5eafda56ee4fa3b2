/*
 * orders_change.c — the routes that change an existing order:
 * PATCH /orders/{id}, PATCH /orders/{id}/cancel, DELETE /orders/{id},
 * PATCH /orders/{id}/delivered. One path for all four (a change_spec says
 * how they differ): authenticate, parse the body, load the order, check
 * the command against its state (orders_check.c: 200 when it would change
 * nothing, 409 when the worker would refuse it), publish, answer 202.
 *
 * Its one write is the mark of an accepted cancel: for a cancel or a
 * delete it first calls the Function oms_request_cancel, which refuses a
 * shipped order and sets cancelRequestedAt atomically with that check, so
 * that the ship step never ships an order whose cancel was answered 202
 * (cancel wins exactly, docs/flow.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "handlers.h"
#include "json.h"
#include "log.h"
#include "orders.h"
#include "orders_write.h"
#include "uuid.h"

/* What oms_request_cancel answered. */
enum change_mark {
	CHANGE_MARK_GO = 0,	/* marked, or nothing to mark: publish */
	CHANGE_MARK_NOOP,	/* nothing to change: answer the order */
	CHANGE_MARK_REFUSED	/* shipped or delivered: 409 */
};

/*
 * For a cancel or delete: FCALL oms_request_cancel. Returns the decision,
 * with the status that refused it in status; -1 after answering 503 (Redis
 * failed: nothing was published). The mark stays if the publish fails:
 * the worker takes it as the customer's cancel (a 503 says "may or may not
 * have been accepted").
 */
static int
change_request_cancel(struct app *app, struct http_req *req,
    const struct oms_command *cmd, char *status, size_t len)
{
	struct store_reply *r = NULL;
	int rc = CHANGE_MARK_GO;

	if (store_cmd_strict(app->store, &r,
	    "FCALL oms_request_cancel 1 oms:order:%s %s %s", cmd->order_id,
	    cmd->type == OMS_CMD_CANCEL ? "cancel" : "delete",
	    cmd->issued_at) != OMS_OK || r->type != STORE_STRING) {
		store_reply_free(r);
		http_problem(req, 503, "unavailable", "Service Unavailable",
		    "Redis did not record the cancel request; nothing was "
		    "published. Retry later.", "Retry-After: 1\r\n", NULL);
		return -1;
	}
	if (strcmp(r->str, "noop") == 0)
		rc = CHANGE_MARK_NOOP;
	else if (strncmp(r->str, "refused:", 8) == 0) {
		snprintf(status, len, "%s", r->str + 8);
		rc = CHANGE_MARK_REFUSED;
	}
	/* "marked", "unmarked" (a delete that cancels nothing) and
	 * "notfound" (the create is still queued: the cancel wins over it
	 * in the worker) all publish */
	log_debug("oms_request_cancel: %s", r->str);
	store_reply_free(r);
	return rc;
}

/* How the commands on an existing order differ. */
struct change_spec {
	enum oms_cmd_type type;
	unsigned	 roles;
	enum { BODY_NONE, BODY_UPDATE, BODY_DELIVERED } body;
};

static void
change_order_command(struct app *app, struct http_req *req,
    const struct route_match *m, const struct change_spec *ws)
{
	struct oms_principal who;
	struct order_errors errs;
	struct oms_order_update up = { "", "", { 0 } };
	struct oms_order_delivered dl = { "", "" };
	struct oms_command *cmd = NULL;
	struct json_object *order = NULL, *ack;
	const char *type = command_type_name(ws->type), *problem = NULL;
	char id[OMS_ID_MAX + 1], detail[160], state[32];
	int wait_s, any_status;

	if (orders_authenticate(app, req, ws->roles, &who) == -1 ||
	    orders_path_id(req, m, id) == -1)
		return;
	if (ws->body != BODY_NONE) {
		if (orders_write_read_body(app, req) == -1)
			return;
		order_errors_init(&errs);
		if ((ws->body == BODY_UPDATE ? order_parse_update(req->body !=
		    NULL ? req->body : "", req->body_len, &up, &errs) :
		    order_parse_delivered(req->body != NULL ? req->body : "",
		    req->body_len, &dl, &errs)) != OMS_OK) {
			orders_invalid(req, &errs);
			return;
		}
	}
	if (orders_load_visible(app, req, &who, id, &order) == -1)
		goto done;

	/* Preconditions against the current state; the worker re-checks. */
	any_status = 0;
	if (ws->body == BODY_UPDATE && orders_update_allowed(req, &who, &up,
	    order, &any_status) == -1)
		goto done;
	/* A metadata-only update is allowed in every status. */
	switch (any_status ? ORDERS_CHECK_GO : orders_check_write(order,
	    ws->type, &up, &dl, &problem, detail, sizeof(detail))) {
	case ORDERS_CHECK_NOOP:		/* nothing to publish: issue 14 */
		log_info("%s changes nothing: not published", type);
		http_respond_json(req, 200, NULL, order);
		goto done;
	case ORDERS_CHECK_CONFLICT:
		http_problem(req, 409, problem, "Conflict", detail, NULL, NULL);
		goto done;
	case ORDERS_CHECK_GO:
		break;
	}

	if ((cmd = calloc(1, sizeof(*cmd))) == NULL) {
		http_problem(req, 503, "unavailable", "Service Unavailable",
		    "Out of memory.", "Retry-After: 1\r\n", NULL);
		goto done;
	}
	cmd->type = ws->type;
	if (uuid_v7(cmd->command_id) != OMS_OK) {
		http_problem(req, 503, "unavailable", "Service Unavailable",
		    "No randomness for ids.", "Retry-After: 1\r\n", NULL);
		goto done;
	}
	snprintf(cmd->order_id, sizeof(cmd->order_id), "%s", id);
	command_time_now(cmd->issued_at);
	orders_write_actor(cmd, &who);
	if (ws->body == BODY_UPDATE)
		cmd->data.update = up;
	else if (ws->body == BODY_DELIVERED)
		cmd->data.delivered = dl;
	if (ws->type == OMS_CMD_CANCEL || ws->type == OMS_CMD_DELETE) {
		switch (change_request_cancel(app, req, cmd, state,
		    sizeof(state))) {
		case -1:
			goto done;
		case CHANGE_MARK_NOOP:
			log_info("%s changes nothing: not published", type);
			http_respond_json(req, 200, NULL, order);
			goto done;
		case CHANGE_MARK_REFUSED:
			snprintf(detail, sizeof(detail), "An order that is %s "
			    "cannot be canceled.", state);
			http_problem(req, 409, "invalid-state", "Conflict",
			    detail, NULL, NULL);
			goto done;
		}
	}
	if (orders_write_publish(app, req, cmd) == -1)
		goto done;
	if (orders_write_wait(app, req, id, cmd->command_id, &wait_s, 0))
		goto done;
	ack = json_object_new_object();
	json_add_str(ack, "orderId", id);
	json_add_str(ack, "commandId", cmd->command_id);
	json_add_str(ack, "type", type);
	json_add_str(ack, "status", "accepted");
	orders_write_accepted(req, id, wait_s, ack);
	json_object_put(ack);
done:
	json_object_put(order);
	free(cmd);
}

void
handle_order_update(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	static const struct change_spec ws = { OMS_CMD_UPDATE,
	    ROLES_SHIPPER | ROLES_ADMIN, BODY_UPDATE };

	change_order_command(app, req, m, &ws);
}

void
handle_order_cancel(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	static const struct change_spec ws = { OMS_CMD_CANCEL,
	    ROLES_CUSTOMER | ROLES_ADMIN, BODY_NONE };

	change_order_command(app, req, m, &ws);
}

void
handle_order_delete(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	static const struct change_spec ws = { OMS_CMD_DELETE,
	    ROLES_CUSTOMER | ROLES_ADMIN, BODY_NONE };

	change_order_command(app, req, m, &ws);
}

void
handle_order_delivered(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	static const struct change_spec ws = { OMS_CMD_DELIVERED,
	    ROLES_SHIPPER | ROLES_ADMIN, BODY_DELIVERED };

	change_order_command(app, req, m, &ws);
}
