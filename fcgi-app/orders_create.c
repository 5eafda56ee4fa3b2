/*
 * orders_create.c — POST /orders: parses and checks the order, writes its
 * pending record (oms:pending:<id>, what GET answers until the worker
 * applied it), publishes the create command and answers 202 once the broker
 * confirmed it (orders_write.c).
 *
 * Creates may carry an Idempotency-Key. Its record, oms:idem:<customer>:
 * <sha256(key)>, is claimed with SET NX before anything is published and
 * holds the body's hash and the ids given out; a retry with the same body
 * gets the same order back, and if the first attempt never saw its confirm
 * the same command (same commandId, so applied once) is published again.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "digest.h"
#include "handlers.h"
#include "json.h"
#include "log.h"
#include "orders.h"
#include "orders_write.h"
#include "uuid.h"
#include "view.h"

#define PENDING_TTL_S	86400
#define IDEM_TTL_S	86400
#define IDEM_KEY_MAX	255

/* The order as it reads while accepted but not yet applied (owned). */
static struct json_object *
create_pending_view(const struct oms_order_input *in, const char *id,
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

/* Waits until OMS_REDIS_MIN_REPLICAS replicas have what was written (a
 * failover must not forget it): 0, or -1 after answering 503. */
static int
create_wait_replicas(struct app *app, struct http_req *req)
{
	if (store_wait_replicas(app->store, app->cfg->redis_min_replicas,
	    app->cfg->redis_wait_ms) == OMS_OK)
		return 0;
	orders_unavailable(req, "Redis", store_errstr(app->store));
	return -1;
}

/* The Idempotency-Key header: NULL when absent; -1 after answering 400
 * when present but unusable. */
static int
create_idem_key(struct http_req *req, const char **key)
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
create_idem_claim(struct app *app, struct http_req *req, struct idem *im,
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
		if (create_wait_replicas(app, req) == -1)
			return -1;
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
create_idem_published(struct app *app, struct idem *im, const char *id,
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
	    &who) == -1 || create_idem_key(req, &idem_key) == -1 ||
	    orders_write_read_body(app, req) == -1)
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
	if (idem_key != NULL && create_idem_claim(app, req, &im,
	    in->customer_id, idem_key, id, command_id, issued_at) == -1)
		goto done;
	log_set_field(LOG_FIELD_ORDER_ID, id);
	view = create_pending_view(in, id, issued_at);

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
		if (create_wait_replicas(app, req) == -1) {
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
		orders_write_actor(cmd, &who);
		if (orders_write_publish(app, req, cmd) == -1) {
			/* Not accepted: no phantom pending order. The
			 * idempotency record stays, so a retry republishes
			 * this very command. */
			if (store_cmd_strict(app->store, &r,
			    "DEL oms:pending:%s", id) == OMS_OK)
				store_reply_free(r);
			goto done;
		}
		if (idem_key != NULL)
			create_idem_published(app, &im, id, command_id,
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
		orders_write_accepted(req, id, 0, view);
		goto done;
	}
	if (orders_write_wait(app, req, id, command_id, &wait_s, 1))
		goto done;
	orders_write_accepted(req, id, wait_s, view);
done:
	json_object_put(view);
	free(cmd);
}

