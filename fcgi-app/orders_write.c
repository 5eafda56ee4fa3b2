/*
 * orders_write.c — the routes that change orders: POST /orders,
 * PATCH /orders/{id}, PATCH /orders/{id}/cancel, DELETE /orders/{id},
 * PATCH /orders/{id}/delivered.
 *
 * oms-fcgi never writes an order's state: it checks the request against
 * the current state (404, 409 — the worker re-checks and is the authority),
 * publishes a command and answers 202 only once the broker confirmed it
 * (DESIGN §8). Its one write is the mark of an accepted cancel: for a
 * cancel or a delete it first calls the Function oms_request_cancel, which
 * refuses a shipped order and sets cancelRequestedAt atomically with that
 * check, so that the ship step never ships an order whose cancel was
 * answered 202 (cancel wins exactly, docs/flow.md).
 * With `Prefer: wait=N` (RFC 7240, N <= 5 s) it then waits for the worker's
 * outcome on oms:reply:<commandId> and answers 201/200 with the order, 409
 * if the worker refused, or still 202 when the wait ran out.
 *
 * Creates may carry an Idempotency-Key. Its record, oms:idem:<customer>:
 * <sha256(key)>, is claimed with SET NX before anything is published and
 * holds the body's hash and the ids given out; a retry with the same body
 * gets the same order back, and if the first attempt never saw its confirm
 * the same command (same commandId, so applied once) is published again.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "digest.h"
#include "handlers.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "mq.h"
#include "orders.h"
#include "uuid.h"
#include "view.h"
#include "waiters.h"

#define PENDING_TTL_S	86400
#define IDEM_TTL_S	86400
#define IDEM_KEY_MAX	255
#define WAIT_MAX_S	5

/* The Prefer: wait=N preference, capped at WAIT_MAX_S; 0 when absent. */
static int
write_prefer_wait(const struct http_req *req)
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
static void
write_actor(struct oms_command *cmd, const struct oms_principal *who)
{
	cmd->role = who->role == AUTH_ROLE_CUSTOMER ? OMS_ROLE_CUSTOMER :
	    who->role == AUTH_ROLE_SHIPPER ? OMS_ROLE_SHIPPER : OMS_ROLE_ADMIN;
	snprintf(cmd->customer_id, sizeof(cmd->customer_id), "%s",
	    who->role == AUTH_ROLE_CUSTOMER ? who->customer_id : "");
}

/* Publishes cmd. Returns 0, or -1 after answering 503 (or 500 if cmd is
 * not one the worker would accept: a bug). */
static int
write_publish(struct app *app, struct http_req *req,
    const struct oms_command *cmd)
{
	struct mq_message msg;
	char *body, err[160];
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
	rc = mq_publish(app->mq, &msg);
	free(body);
	metrics_publish(rc == OMS_OK);
	if (rc != OMS_OK) {
		/* The broker may have stored the command and lost the
		 * connection before its confirm: say so, never "nothing was
		 * changed". A retry with the same Idempotency-Key publishes the
		 * same commandId, which the worker applies once. */
		log_warnx("RabbitMQ unavailable: %s", mq_errstr(app->mq));
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
write_wait_outcome(struct app *app, struct http_req *req, const char *id,
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
static int
write_wait(struct app *app, struct http_req *req, const char *id,
    const char *command_id, int *wait_s, int created)
{
	int slot, answered;

	if ((*wait_s = write_prefer_wait(req)) == 0)
		return 0;
	if ((slot = waiters_enter()) < 0) {
		log_info("Prefer: wait not applied: %d requests already wait",
		    waiters_max());
		*wait_s = 0;
		return 0;
	}
	answered = write_wait_outcome(app, req, id, command_id, *wait_s,
	    created);
	waiters_leave(slot);
	return answered;
}

/* The order as it reads while accepted but not yet applied (owned). */
static struct json_object *
write_pending_view(const struct oms_order_input *in, const char *id,
    const char *issued_at)
{
	struct json_object *o = json_object_new_object();
	struct json_object *src = order_input_to_json(in), *items;

	json_add_str(o, "id", id);
	json_object_object_add(o, "orderNumber", NULL);	/* when applied */
	json_add_str(o, "customerId", in->customer_id);
	json_add_str(o, "paymentMethodId", in->payment_method_id);
	json_add_str(o, "storeId", in->store_id[0] != '\0' ? in->store_id :
	    NULL);
	if (json_object_object_get_ex(src, "items", &items))
		json_object_object_add(o, "items", json_object_get(items));
	view_add_money(o, src);
	json_add_str(o, "status", "pending");
	json_add_bool(o, "isDeleted", 0);
	json_add_str(o, "paymentTransactionId", NULL);
	json_add_str(o, "refundTransactionId", NULL);
	json_add_str(o, "shipCompanyId", NULL);
	json_add_str(o, "trackingNumber", NULL);
	json_add_str(o, "confirmationId", NULL);
	json_add_str(o, "createdAt", issued_at);
	json_add_str(o, "updatedAt", issued_at);
	json_add_int(o, "version", 0);
	json_object_put(src);
	return o;
}

/* The Idempotency-Key header: NULL when absent; -1 after answering 400
 * when present but unusable. */
static int
write_idem_key(struct http_req *req, const char **key)
{
	const char *k = http_param(req, "HTTP_IDEMPOTENCY_KEY");
	size_t len;

	*key = NULL;
	if (k == NULL)
		return 0;
	len = strlen(k);
	for (size_t i = 0; i < len; i++)
		if (k[i] < 0x20 || k[i] > 0x7e)
			len = 0;
	if (len == 0 || len > IDEM_KEY_MAX) {
		http_problem(req, 400, "bad-idempotency-key", "Bad Request",
		    "Idempotency-Key must be 1 to 255 printable ASCII "
		    "characters.", NULL, NULL);
		return -1;
	}
	*key = k;
	return 0;
}

/* Idempotent-create bookkeeping for one request. */
struct idem {
	char	 rkey[OMS_ID_MAX + DIGEST_HEX_SIZE + 16];	/* Redis key */
	char	 body_hash[DIGEST_HEX_SIZE];
	int	 replay;	/* an earlier request claimed the key */
	int	 published;	/* ... and its command was confirmed */
};

/* Claims or reads the key's record. On a replay, id, command_id and
 * issued_at are replaced by the first request's. Returns 0, or -1 after
 * answering (422 for another body, 503). */
static int
write_idem_claim(struct app *app, struct http_req *req, struct idem *im,
    const char *customer_id, const char *key, char *id, char *command_id,
    char *issued_at)
{
	char key_hash[DIGEST_HEX_SIZE];
	struct json_object *rec;
	struct store_reply *r;
	const char *s;
	size_t len;

	memset(im, 0, sizeof(*im));
	if (digest_sha256_hex(key, strlen(key), key_hash) == -1 ||
	    digest_sha256_hex(req->body != NULL ? req->body : "",
	    req->body_len, im->body_hash) == -1) {
		http_problem(req, 500, "internal", "Internal Server Error",
		    "Hashing failed.", NULL, NULL);
		return -1;
	}
	snprintf(im->rkey, sizeof(im->rkey), "oms:idem:%s:%s", customer_id,
	    key_hash);

	rec = json_object_new_object();
	json_add_str(rec, "bodySha256", im->body_hash);
	json_add_str(rec, "orderId", id);
	json_add_str(rec, "commandId", command_id);
	json_add_str(rec, "issuedAt", issued_at);
	json_add_str(rec, "state", "publishing");
	s = json_dump(rec, &len);
	if (store_cmd_strict(app->store, &r, "SET %s %b NX EX %d", im->rkey,
	    s, len, IDEM_TTL_S) != OMS_OK) {
		json_object_put(rec);
		orders_unavailable(req, "Redis", store_errstr(app->store));
		return -1;
	}
	json_object_put(rec);
	if (r->type == STORE_STATUS) {		/* claimed: a first request */
		store_reply_free(r);
		/* On the replicas before anything is published: a failover
		 * must not forget the key and let a retry make a 2nd order. */
		if (store_wait_replicas(app->store,
		    app->cfg->redis_min_replicas, app->cfg->redis_wait_ms) !=
		    OMS_OK) {
			orders_unavailable(req, "Redis",
			    store_errstr(app->store));
			return -1;
		}
		return 0;
	}
	store_reply_free(r);

	im->replay = 1;
	if (store_cmd_strict(app->store, &r, "GET %s", im->rkey) != OMS_OK) {
		orders_unavailable(req, "Redis", store_errstr(app->store));
		return -1;
	}
	rec = NULL;
	if (r->type == STORE_STRING) {
		char err[64];

		(void)json_parse_strict(r->str, r->len, &rec, err, sizeof(err));
	}
	store_reply_free(r);
	if (rec == NULL || json_get_str(rec, "orderId") == NULL ||
	    json_get_str(rec, "commandId") == NULL ||
	    json_get_str(rec, "issuedAt") == NULL ||
	    json_get_str(rec, "bodySha256") == NULL) {
		json_object_put(rec);
		orders_unavailable(req, "Redis", "an unreadable idempotency "
		    "record");
		return -1;
	}
	if (strcmp(json_get_str(rec, "bodySha256"), im->body_hash) != 0) {
		json_object_put(rec);
		http_problem(req, 422, "idempotency-key-reused",
		    "Unprocessable Content", "This Idempotency-Key was used "
		    "with another body; use a new key for a new order.", NULL,
		    NULL);
		return -1;
	}
	snprintf(id, OMS_ID_MAX + 1, "%s", json_get_str(rec, "orderId"));
	snprintf(command_id, OMS_ID_MAX + 1, "%s",
	    json_get_str(rec, "commandId"));
	snprintf(issued_at, OMS_TIME_LEN + 1, "%s",
	    json_get_str(rec, "issuedAt"));
	s = json_get_str(rec, "state");
	im->published = s != NULL && strcmp(s, "published") == 0;
	json_object_put(rec);
	return 0;
}

/* Marks the key's command as confirmed (best effort: a failure only means
 * a retry publishes the same command again, which is applied once). */
static void
write_idem_published(struct app *app, struct idem *im, const char *id,
    const char *command_id, const char *issued_at)
{
	struct json_object *rec = json_object_new_object();
	struct store_reply *r;
	const char *s;
	size_t len;

	json_add_str(rec, "bodySha256", im->body_hash);
	json_add_str(rec, "orderId", id);
	json_add_str(rec, "commandId", command_id);
	json_add_str(rec, "issuedAt", issued_at);
	json_add_str(rec, "state", "published");
	s = json_dump(rec, &len);
	if (store_cmd_strict(app->store, &r, "SET %s %b XX KEEPTTL",
	    im->rkey, s, len) == OMS_OK)
		store_reply_free(r);
	json_object_put(rec);
}

/* Sends the 202 of an accepted command; body is borrowed. */
static void
write_accepted(struct http_req *req, const char *id, int wait_s,
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
static int
write_read_body(struct app *app, struct http_req *req)
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

void
handle_order_create(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	struct oms_principal who;
	struct oms_order_input *in = NULL;
	struct order_errors errs;
	struct oms_command *cmd = NULL;
	struct json_object *view = NULL;
	struct store_reply *r;
	struct idem im;
	const char *idem_key, *s;
	char id[OMS_ID_MAX + 1], command_id[OMS_ID_MAX + 1];
	char issued_at[OMS_TIME_LEN + 1];
	size_t len;
	int wait_s;

	(void)m;
	if (orders_authenticate(app, req, ROLES_CUSTOMER | ROLES_ADMIN,
	    &who) == -1 || write_idem_key(req, &idem_key) == -1 ||
	    write_read_body(app, req) == -1)
		return;
	/* ~150 KB: not on the stack, and parsed in place (not zeroed, not
	 * copied; lib/command.h) */
	if ((cmd = malloc(sizeof(*cmd))) != NULL) {
		memset(cmd, 0, offsetof(struct oms_command, data));
		in = &cmd->data.create;
	}
	if (cmd == NULL) {
		http_problem(req, 503, "unavailable", "Service Unavailable",
		    "Out of memory.", "Retry-After: 1\r\n", NULL);
		goto done;
	}
	order_errors_init(&errs);
	if (order_parse_create(req->body != NULL ? req->body : "",
	    req->body_len, (app->cfg->require_prices ? ORDER_REQUIRE_PRICES :
	    0) | (app->cfg->require_address ? ORDER_REQUIRE_ADDRESS : 0), in,
	    &errs) != OMS_OK) {
		orders_invalid(req, &errs);
		goto done;
	}
	if (who.role == AUTH_ROLE_CUSTOMER &&
	    strcmp(in->customer_id, who.customer_id) != 0) {
		http_problem(req, 403, "forbidden", "Forbidden", "A customer "
		    "creates orders for their own customerId only.", NULL,
		    NULL);
		goto done;
	}

	if (uuid_v7(id) != OMS_OK || uuid_v7(command_id) != OMS_OK) {
		http_problem(req, 503, "unavailable", "Service Unavailable",
		    "No randomness for ids.", "Retry-After: 1\r\n", NULL);
		goto done;
	}
	command_time_now(issued_at);
	log_set_field(LOG_FIELD_ORDER_ID, id);
	if (idem_key != NULL && write_idem_claim(app, req, &im,
	    in->customer_id, idem_key, id, command_id, issued_at) == -1)
		goto done;
	log_set_field(LOG_FIELD_ORDER_ID, id);
	view = write_pending_view(in, id, issued_at);

	if (idem_key == NULL || !im.published) {
		s = json_dump(view, &len);
		/* An error reply (OOM, NOPERM) is a failure too: nothing is
		 * published without its pending record (issue 14). */
		if (store_cmd_strict(app->store, &r,
		    "SET oms:pending:%s %b EX %d", id, s, len,
		    PENDING_TTL_S) != OMS_OK) {
			orders_unavailable(req, "Redis",
			    store_errstr(app->store));
			goto done;
		}
		store_reply_free(r);
		if (store_wait_replicas(app->store,
		    app->cfg->redis_min_replicas, app->cfg->redis_wait_ms) !=
		    OMS_OK) {
			orders_unavailable(req, "Redis",
			    store_errstr(app->store));
			if (store_cmd(app->store, &r, "DEL oms:pending:%s",
			    id) == OMS_OK)
				store_reply_free(r);
			goto done;
		}
		cmd->type = OMS_CMD_CREATE;
		snprintf(cmd->command_id, sizeof(cmd->command_id), "%s",
		    command_id);
		snprintf(cmd->order_id, sizeof(cmd->order_id), "%s", id);
		snprintf(cmd->issued_at, sizeof(cmd->issued_at), "%s",
		    issued_at);
		write_actor(cmd, &who);
		if (write_publish(app, req, cmd) == -1) {
			/* Not accepted: no phantom pending order. The
			 * idempotency record stays, so a retry republishes
			 * this very command. */
			if (store_cmd_strict(app->store, &r,
			    "DEL oms:pending:%s", id) == OMS_OK)
				store_reply_free(r);
			goto done;
		}
		if (idem_key != NULL)
			write_idem_published(app, &im, id, command_id,
			    issued_at);
	}

	if (idem_key != NULL && im.replay) {
		/* A retry: answer what the order is now, without waiting for
		 * an outcome that was already delivered to the first request. */
		struct json_object *now = NULL;

		if (orders_load(app, id, &now) == OMS_OK) {
			json_object_put(view);
			view = now;
		}
		write_accepted(req, id, 0, view);
		goto done;
	}
	if (write_wait(app, req, id, command_id, &wait_s, 1))
		goto done;
	write_accepted(req, id, wait_s, view);
done:
	json_object_put(view);
	free(cmd);
}

/* What oms_request_cancel answered. */
enum write_mark {
	WRITE_MARK_GO = 0,	/* marked, or nothing to mark: publish */
	WRITE_MARK_NOOP,	/* nothing to change: answer the order */
	WRITE_MARK_REFUSED	/* shipped or delivered: 409 */
};

/*
 * For a cancel or delete: FCALL oms_request_cancel. Returns the decision,
 * with the status that refused it in status; -1 after answering 503 (Redis
 * failed: nothing was published). The mark stays if the publish fails:
 * the worker takes it as the customer's cancel (a 503 says "may or may not
 * have been accepted").
 */
static int
write_request_cancel(struct app *app, struct http_req *req,
    const struct oms_command *cmd, char *status, size_t len)
{
	struct store_reply *r = NULL;
	int rc = WRITE_MARK_GO;

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
		rc = WRITE_MARK_NOOP;
	else if (strncmp(r->str, "refused:", 8) == 0) {
		snprintf(status, len, "%s", r->str + 8);
		rc = WRITE_MARK_REFUSED;
	}
	/* "marked", "unmarked" (a delete that cancels nothing) and
	 * "notfound" (the create is still queued: the cancel wins over it
	 * in the worker) all publish */
	log_debug("oms_request_cancel: %s", r->str);
	store_reply_free(r);
	return rc;
}

/* How the commands on an existing order differ. */
struct write_spec {
	enum oms_cmd_type type;
	unsigned	 roles;
	enum { BODY_NONE, BODY_UPDATE, BODY_DELIVERED } body;
};

static void
write_order_command(struct app *app, struct http_req *req,
    const struct route_match *m, const struct write_spec *ws)
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
		if (write_read_body(app, req) == -1)
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
	write_actor(cmd, &who);
	if (ws->body == BODY_UPDATE)
		cmd->data.update = up;
	else if (ws->body == BODY_DELIVERED)
		cmd->data.delivered = dl;
	if (ws->type == OMS_CMD_CANCEL || ws->type == OMS_CMD_DELETE) {
		switch (write_request_cancel(app, req, cmd, state,
		    sizeof(state))) {
		case -1:
			goto done;
		case WRITE_MARK_NOOP:
			log_info("%s changes nothing: not published", type);
			http_respond_json(req, 200, NULL, order);
			goto done;
		case WRITE_MARK_REFUSED:
			snprintf(detail, sizeof(detail), "An order that is %s "
			    "cannot be canceled.", state);
			http_problem(req, 409, "invalid-state", "Conflict",
			    detail, NULL, NULL);
			goto done;
		}
	}
	if (write_publish(app, req, cmd) == -1)
		goto done;
	if (write_wait(app, req, id, cmd->command_id, &wait_s, 0))
		goto done;
	ack = json_object_new_object();
	json_add_str(ack, "orderId", id);
	json_add_str(ack, "commandId", cmd->command_id);
	json_add_str(ack, "type", type);
	json_add_str(ack, "status", "accepted");
	write_accepted(req, id, wait_s, ack);
	json_object_put(ack);
done:
	json_object_put(order);
	free(cmd);
}

void
handle_order_update(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	static const struct write_spec ws = { OMS_CMD_UPDATE,
	    ROLES_SHIPPER | ROLES_ADMIN, BODY_UPDATE };

	write_order_command(app, req, m, &ws);
}

void
handle_order_cancel(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	static const struct write_spec ws = { OMS_CMD_CANCEL,
	    ROLES_CUSTOMER | ROLES_ADMIN, BODY_NONE };

	write_order_command(app, req, m, &ws);
}

void
handle_order_delete(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	static const struct write_spec ws = { OMS_CMD_DELETE,
	    ROLES_CUSTOMER | ROLES_ADMIN, BODY_NONE };

	write_order_command(app, req, m, &ws);
}

void
handle_order_delivered(struct app *app, struct http_req *req,
    const struct route_match *m)
{
	static const struct write_spec ws = { OMS_CMD_DELIVERED,
	    ROLES_SHIPPER | ROLES_ADMIN, BODY_DELIVERED };

	write_order_command(app, req, m, &ws);
}
