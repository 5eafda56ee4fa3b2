/*
 * The command message of DESIGN.md section 6, the body of every message on
 * the oms.commands exchange:
 *   {"v":1,"type":"orders.create","commandId":"...","orderId":"...",
 *    "issuedAt":"2026-11-25T11:00:00.123Z",
 *    "actor":{"role":"customer","customerId":"cus_1"},"data":{...}}
 * The routing key is the type. Pure except command_time_now(), which reads
 * the clock.
 */
#ifndef OMS_COMMAND_H
#define OMS_COMMAND_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "err.h"
#include "order.h"

#define OMS_COMMAND_VERSION	1
#define OMS_TIME_LEN		24	/* strlen("2026-11-25T11:00:00.123Z") */

enum oms_cmd_type {
	OMS_CMD_CREATE = 0,
	OMS_CMD_PROCESS_PAYMENT,
	OMS_CMD_SHIP,
	OMS_CMD_UPDATE,
	OMS_CMD_CANCEL,
	OMS_CMD_DELETE,
	OMS_CMD_DELIVERED,
	OMS_CMD_REFUND,
	OMS_CMD_VOID,		/* system only: void a shipment booked for
				 * an order canceled meanwhile */
	OMS_CMD_MAX
};

enum oms_role {
	OMS_ROLE_CUSTOMER = 0,
	OMS_ROLE_SHIPPER,
	OMS_ROLE_ADMIN,
	OMS_ROLE_SYSTEM,
	OMS_ROLE_MAX
};

/*
 * A command, all by value (about 150 KB; nothing to free). Allocate it
 * without zeroing (malloc): command_decode() resets the members before
 * data, and data only as far as its type uses it (lib/order.h). Ids follow the
 * id rule of order_id_valid() — a UUID passes, and so does a derived id
 * such as "<commandId>.pay" for a follow-up. data holds the member that
 * matches type: create (always with items), update or delivered; the
 * other types carry an empty "data" object.
 */
struct oms_command {
	enum oms_cmd_type	 type;
	char			 command_id[OMS_ID_MAX + 1];
	char			 order_id[OMS_ID_MAX + 1];
	char			 issued_at[OMS_TIME_LEN + 1];
	enum oms_role		 role;
	char			 customer_id[OMS_ID_MAX + 1];	/* the actor's;
						   required for a customer,
						   "" when absent */
	union {
		struct oms_order_input		create;
		struct oms_order_update		update;
		struct oms_order_delivered	delivered;
	} data;
};

/* Returns 1 if s is an order id as oms-fcgi mints them: a UUID in
 * canonical form (lowercase 8-4-4-4-12; uuid_valid()), else 0. Nothing
 * else may name an order in a command: an id such as "<id>:events" would
 * name one of another order's keys (issue 14). */
int	command_order_id_valid(const char *s);

/* Returns 1 if s is a command id: a UUID, then zero or more follow-up
 * suffixes of a dot and lowercase letters ("<uuid>.pay.ship"), at most
 * OMS_ID_MAX characters in all; else 0. */
int	command_id_valid(const char *s);

/* Returns the static routing key of type ("orders.create"), or "" if out of
 * range. */
const char *command_type_name(enum oms_cmd_type type);

/* Parses a routing key. Returns 0, or -1 if it is not a command type. */
int	command_type_parse(const char *s, enum oms_cmd_type *out);

/* Returns the static name of role ("customer"), or "" if out of range. */
const char *command_role_name(enum oms_role role);
int	command_role_parse(const char *s, enum oms_role *out);

/* Returns the message body of cmd as an owned object (released with
 * json_object_put()), without validating it. */
struct json_object *command_to_json(const struct oms_command *cmd);

/* Serialises cmd and checks the result with command_decode(), so that
 * nothing the worker would refuse is ever published. On success *out is an
 * owned NUL-terminated string (free it with free()) of *len bytes. Returns
 * OMS_OK, or OMS_EINVAL with *out NULL and the reason in err. */
enum oms_err command_encode(const struct oms_command *cmd, char **out,
	    size_t *len, char *err, size_t errlen);

/* Parses and validates len bytes of body strictly into *out. Returns
 * OMS_OK, or OMS_EINVAL with the first problem, led by its JSON pointer
 * ("/actor/role: ..."), in err; *out is then unspecified. */
enum oms_err command_decode(const char *body, size_t len,
	    struct oms_command *out, char *err, size_t errlen);

/* Writes ms (milliseconds since the Unix epoch, years 1970..9999) as
 * "YYYY-MM-DDTHH:MM:SS.mmmZ" to buf. Returns 0, or -1 if ms is out of
 * range or size < OMS_TIME_LEN + 1. */
int	command_time_format(int64_t ms, char *buf, size_t size);

/* Writes the current time (CLOCK_REALTIME) like command_time_format(). */
void	command_time_now(char buf[OMS_TIME_LEN + 1]);

/* Returns 1 if s is exactly an RFC 3339 UTC time with milliseconds in the
 * form above, with a real calendar date, else 0. */
int	command_time_valid(const char *s);

#endif
