/*
 * What the routes that change orders share (orders_write.c): used by
 * orders_create.c and orders_change.c.
 */
#ifndef OMS_ORDERS_WRITE_H
#define OMS_ORDERS_WRITE_H

#include <json-c/json.h>

#include "app.h"
#include "auth.h"
#include "command.h"
#include "http.h"

/* Reads the request body into req. Returns 0, or -1 after answering 400
 * or 413. */
int	orders_write_read_body(struct app *app, struct http_req *req);

/* Sets the actor of cmd (role, customerId) from the principal. */
void	orders_write_actor(struct oms_command *cmd,
	    const struct oms_principal *who);

/* Publishes cmd (borrowed) and returns 0 once the broker confirmed it, or
 * -1 after answering 503 (or 500 if cmd is not one the worker would
 * accept: a bug). */
int	orders_write_publish(struct app *app, struct http_req *req,
	    const struct oms_command *cmd);

/* With `Prefer: wait=N`, waits for the outcome of command_id when one of
 * the OMS_FCGI_MAX_WAITING slots is free. Returns 1 when it answered
 * (201/200 with order id, created saying which, or 409); else 0 with
 * *wait_s the wait that was applied (0: none asked, or every slot held). */
int	orders_write_wait(struct app *app, struct http_req *req,
	    const char *id, const char *command_id, int *wait_s, int created);

/* Sends the 202 of an accepted command on order id; body is borrowed. */
void	orders_write_accepted(struct http_req *req, const char *id,
	    int wait_s, struct json_object *body);

#endif
