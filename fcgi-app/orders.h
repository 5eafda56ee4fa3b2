/*
 * What every order route shares: authentication, the id in the path,
 * loading an order (applied, or accepted and pending), who may see it, and
 * the problem documents these steps answer with.
 */
#ifndef OMS_ORDERS_H
#define OMS_ORDERS_H

#include <json-c/json.h>

#include "app.h"
#include "auth.h"
#include "command.h"
#include "order.h"
#include "router.h"

/* Role sets for orders_authenticate. */
#define ROLES_CUSTOMER	(1u << AUTH_ROLE_CUSTOMER)
#define ROLES_SHIPPER	(1u << AUTH_ROLE_SHIPPER)
#define ROLES_ADMIN	(1u << AUTH_ROLE_ADMIN)
#define ROLES_ANY	(ROLES_CUSTOMER | ROLES_SHIPPER | ROLES_ADMIN)

/* Authenticates the request and checks its role is in `roles`. Returns 0
 * with *who filled, or -1 after answering 401, 403 or 503. */
int	orders_authenticate(struct app *app, struct http_req *req,
	    unsigned roles, struct oms_principal *who);

/* Copies the {id} capture of m into id after checking it is an order id.
 * Returns 0, or -1 after answering 400 (not an id) or 404 (an id oms does
 * not mint: not a UUID). */
int	orders_path_id(struct http_req *req, const struct route_match *m,
	    char id[OMS_ID_MAX + 1]);

/* Reads order id: the applied order, else the accepted, pending one.
 * OMS_OK with *order (owned), OMS_ENOTFOUND or OMS_EUNAVAIL. No access
 * check and no answer. */
enum oms_err orders_load(struct app *app, const char *id,
	    struct json_object **order);

/* Loads order id and checks `who` may see it (a customer only their own).
 * Returns 0 with *order (owned) filled, or -1 after answering 404 (also
 * for another customer's order: existence is not leaked) or 503. */
int	orders_load_visible(struct app *app, struct http_req *req,
	    const struct oms_principal *who, const char *id,
	    struct json_object **order);

/* The status of an order representation; OMS_STATUS_NONE if unknown. */
enum oms_status orders_status(struct json_object *order);

/* What a command on an existing order would do (orders_check.c). */
enum orders_check {
	ORDERS_CHECK_GO,	/* publish it */
	ORDERS_CHECK_NOOP,	/* it cannot change anything: answer 200 */
	ORDERS_CHECK_CONFLICT	/* the worker would refuse it: answer 409 */
};

/* Decides a command of type on order (borrowed: the representation
 * orders_load gave); up is read for OMS_CMD_UPDATE, dl for
 * OMS_CMD_DELIVERED (either may be NULL otherwise). On CONFLICT, *problem
 * is the problem type (static) and detail (len bytes) says why. */
enum orders_check orders_check_write(struct json_object *order,
	    enum oms_cmd_type type, const struct oms_order_update *up,
	    const struct oms_order_delivered *dl, const char **problem,
	    char *detail, size_t len);

/* Answers 400 or 422 with the validation errors. */
void	orders_invalid(struct http_req *req, const struct order_errors *errs);

/* Answers 503 naming the backing service that failed. */
void	orders_unavailable(struct http_req *req, const char *service,
	    const char *why);

#endif
