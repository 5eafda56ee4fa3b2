/*
 * The command envelope of DESIGN.md section 6, encoded by oms-fcgi and the
 * worker (for follow-ups) and decoded by the worker. Decoding is as strict
 * as the HTTP front door, because the worker validates again: the body is
 * parsed by json_parse_strict(), every member of the envelope and of
 * "actor" is required or refused by name, "v" must be the integer 1,
 * "issuedAt" must be an RFC 3339 UTC time with exactly three fractional
 * digits, and "data" is checked per type with the validators of order.c
 * (orders.create only in its canonical items form, with a customer actor
 * creating only for itself; the types without data carry "{}"). A failure
 * reports the first problem with its JSON pointer; the worker
 * dead-letters such a message. Encoding builds the JSON from the typed
 * struct and decodes its own output before handing it out.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "command.h"
#include "json.h"
#include "log.h"
#include "uuid.h"
#include "xmalloc.h"

static const char *const command_types[] = {
	[OMS_CMD_CREATE] =		"orders.create",
	[OMS_CMD_PROCESS_PAYMENT] =	"orders.process.payment",
	[OMS_CMD_SHIP] =		"orders.ship",
	[OMS_CMD_UPDATE] =		"orders.update",
	[OMS_CMD_CANCEL] =		"orders.cancel",
	[OMS_CMD_DELETE] =		"orders.delete",
	[OMS_CMD_DELIVERED] =		"orders.delivered",
	[OMS_CMD_REFUND] =		"orders.refund",
	[OMS_CMD_VOID] =		"orders.void",
};

static const char *const command_roles[] = {
	[OMS_ROLE_CUSTOMER] =	"customer",
	[OMS_ROLE_SHIPPER] =	"shipper",
	[OMS_ROLE_ADMIN] =	"admin",
	[OMS_ROLE_SYSTEM] =	"system",
};

_Static_assert(sizeof(command_types) / sizeof(command_types[0]) ==
    OMS_CMD_MAX, "command_types must name every enum oms_cmd_type");
_Static_assert(sizeof(command_roles) / sizeof(command_roles[0]) ==
    OMS_ROLE_MAX, "command_roles must name every enum oms_role");

static const char *const command_keys[] = {
	"v", "type", "commandId", "orderId", "issuedAt", "actor", "data", NULL
};
static const char *const command_actor_keys[] = {
	"role", "customerId", NULL
};

const char *
command_type_name(enum oms_cmd_type type)
{
	return (unsigned int)type < OMS_CMD_MAX ? command_types[type] : "";
}

int
command_type_parse(const char *s, enum oms_cmd_type *out)
{
	int	 i;

	for (i = 0; i < OMS_CMD_MAX; i++)
		if (strcmp(s, command_types[i]) == 0) {
			*out = (enum oms_cmd_type)i;
			return 0;
		}
	return -1;
}

const char *
command_role_name(enum oms_role role)
{
	return (unsigned int)role < OMS_ROLE_MAX ? command_roles[role] : "";
}

int
command_role_parse(const char *s, enum oms_role *out)
{
	int	 i;

	for (i = 0; i < OMS_ROLE_MAX; i++)
		if (strcmp(s, command_roles[i]) == 0) {
			*out = (enum oms_role)i;
			return 0;
		}
	return -1;
}

struct json_object *
command_to_json(const struct oms_command *cmd)
{
	struct json_object	*o, *actor, *data;	/* owned; given to o */

	if ((o = json_object_new_object()) == NULL ||
	    (actor = json_object_new_object()) == NULL)
		fatalx("command: out of memory");
	json_add_int(o, "v", OMS_COMMAND_VERSION);
	json_add_str(o, "type", command_type_name(cmd->type));
	json_add_str(o, "commandId", cmd->command_id);
	json_add_str(o, "orderId", cmd->order_id);
	json_add_str(o, "issuedAt", cmd->issued_at);
	json_add_str(actor, "role", command_role_name(cmd->role));
	if (cmd->customer_id[0] != '\0')
		json_add_str(actor, "customerId", cmd->customer_id);
	if (json_object_object_add(o, "actor", actor) == -1)
		fatalx("command: out of memory");
	switch (cmd->type) {
	case OMS_CMD_CREATE:
		data = order_input_to_json(&cmd->data.create);
		break;
	case OMS_CMD_UPDATE:
		data = order_update_to_json(&cmd->data.update);
		break;
	case OMS_CMD_DELIVERED:
		data = order_delivered_to_json(&cmd->data.delivered);
		break;
	default:
		if ((data = json_object_new_object()) == NULL)
			fatalx("command: out of memory");
		break;
	}
	if (json_object_object_add(o, "data", data) == -1)
		fatalx("command: out of memory");
	return o;
}

enum oms_err
command_encode(const struct oms_command *cmd, char **out, size_t *len,
    char *err, size_t errlen)
{
	struct oms_command	*check;
	struct json_object	*o;	/* owned */
	const char		*s;
	size_t			 n;

	*out = NULL;
	o = command_to_json(cmd);
	s = json_dump(o, &n);
	check = xmalloc(sizeof(*check));
	if (command_decode(s, n, check, err, errlen) != OMS_OK) {
		free(check);
		json_object_put(o);
		return OMS_EINVAL;
	}
	free(check);
	*out = xstrndup(s, n);
	if (len != NULL)
		*len = n;
	json_object_put(o);
	return OMS_OK;
}

/* Writes "pointer: detail" to err, or "the message detail" for the root,
 * and returns OMS_EINVAL. */
static enum oms_err
command_fail(char *err, size_t errlen, const char *pointer,
    const char *detail)
{
	if (err != NULL && errlen > 0 && pointer[0] == '\0')
		snprintf(err, errlen, "the message %s", detail);
	else if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", pointer, detail);
	return OMS_EINVAL;
}

/* Fails with "is not a known field" at the first member of obj (at
 * prefix) not named in known[]; returns OMS_OK if there is none. */
static enum oms_err
command_unknown(struct json_object *obj, const char *prefix,
    const char *const known[], char *err, size_t errlen)
{
	char	 ptr[128];
	size_t	 i;

	json_object_object_foreach(obj, key, val) {
		(void)val;
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(key, known[i]) == 0)
				break;
		if (known[i] != NULL)
			continue;
		if (order_pointer(ptr, sizeof(ptr), prefix, key) == -1)
			return command_fail(err, errlen, prefix,
			    "has an unknown field whose name is too long to "
			    "show");
		return command_fail(err, errlen, ptr, "is not a known field");
	}
	return OMS_OK;
}

/* Returns the borrowed string member key of obj, or NULL with *why set. */
static const char *
command_str(struct json_object *obj, const char *key, const char **why)
{
	struct json_object	*v;	/* borrowed */

	if (!json_object_object_get_ex(obj, key, &v)) {
		*why = "is required";
		return NULL;
	}
	if (!json_object_is_type(v, json_type_string)) {
		*why = "must be a string";
		return NULL;
	}
	return json_object_get_string(v);
}

int
command_order_id_valid(const char *s)
{
	return s != NULL && uuid_valid(s);
}

int
command_id_valid(const char *s)
{
	char	 head[UUID_STR_LEN + 1];
	size_t	 n;

	if (s == NULL || strlen(s) > OMS_ID_MAX || strlen(s) < UUID_STR_LEN)
		return 0;
	memcpy(head, s, UUID_STR_LEN);
	head[UUID_STR_LEN] = '\0';
	if (!uuid_valid(head))
		return 0;
	for (s += UUID_STR_LEN; *s != '\0'; s += n) {
		if (*s++ != '.')
			return 0;
		n = strspn(s, "abcdefghijklmnopqrstuvwxyz");
		if (n == 0)
			return 0;
	}
	return 1;
}

/* Copies the id member key of obj to dst (OMS_ID_MAX + 1 bytes) after
 * checking it with valid (NULL: the general id rule). Returns 0, or -1
 * with err written. */
static int
command_id(struct json_object *obj, const char *ptr, const char *key,
    int (*valid)(const char *), const char *shape, char *dst, char *err,
    size_t errlen)
{
	const char	*s, *why = "must be 1 to 64 of letters, digits and _ . : -";

	if ((s = command_str(obj, key, &why)) == NULL ||
	    !order_id_valid(s, strlen(s))) {
		command_fail(err, errlen, ptr, why);
		return -1;
	}
	if (valid != NULL && !valid(s)) {
		command_fail(err, errlen, ptr, shape);
		return -1;
	}
	snprintf(dst, OMS_ID_MAX + 1, "%s", s);
	return 0;
}

/* Validates the actor object into out. */
static enum oms_err
command_actor(struct json_object *root, struct oms_command *out, char *err,
    size_t errlen)
{
	struct json_object	*actor;	/* borrowed */
	const char		*s, *why = "must be one of customer, shipper, "
				    "admin, system";

	if (!json_object_object_get_ex(root, "actor", &actor))
		return command_fail(err, errlen, "/actor", "is required");
	if (!json_object_is_type(actor, json_type_object))
		return command_fail(err, errlen, "/actor", "must be an object");
	if (command_unknown(actor, "/actor", command_actor_keys, err,
	    errlen) != OMS_OK)
		return OMS_EINVAL;
	if ((s = command_str(actor, "role", &why)) == NULL ||
	    command_role_parse(s, &out->role) == -1)
		return command_fail(err, errlen, "/actor/role", why);
	if (out->role == OMS_ROLE_CUSTOMER ||
	    json_object_object_get_ex(actor, "customerId", NULL)) {
		if (command_id(actor, "/actor/customerId", "customerId", NULL,
		    NULL, out->customer_id, err, errlen) == -1)
			return OMS_EINVAL;
	}
	return OMS_OK;
}

/* Validates "data" for out->type into out->data. */
static enum oms_err
command_data(struct json_object *root, struct oms_command *out, char *err,
    size_t errlen)
{
	struct json_object	*data;	/* borrowed */
	struct order_errors	*errs;
	enum oms_err		 r;
	static const char *const none[] = { NULL };

	if (!json_object_object_get_ex(root, "data", &data))
		return command_fail(err, errlen, "/data", "is required");
	errs = xmalloc(sizeof(*errs));
	order_errors_init(errs);
	switch (out->type) {
	case OMS_CMD_CREATE:
		r = order_validate_create(data, ORDER_ITEMS_ONLY |
		    ORDER_COMPUTED, "/data", &out->data.create, errs);
		if (r == OMS_OK && out->role == OMS_ROLE_CUSTOMER &&
		    strcmp(out->customer_id, out->data.create.customer_id) != 0)
			order_errors_add(errs, "/data/customerId",
			    "must be the customer actor's own customerId");
		break;
	case OMS_CMD_UPDATE:
		order_validate_update(data, "/data", &out->data.update, errs);
		break;
	case OMS_CMD_DELIVERED:
		order_validate_delivered(data, "/data", &out->data.delivered,
		    errs);
		break;
	default:
		if (!json_object_is_type(data, json_type_object))
			order_errors_add(errs, "/data", "must be a JSON object");
		else {
			free(errs);
			return command_unknown(data, "/data", none, err,
			    errlen);
		}
		break;
	}
	r = errs->found == 0 ? OMS_OK :
	    command_fail(err, errlen, errs->e[0].pointer, errs->e[0].detail);
	free(errs);
	return r;
}

/* Validates the envelope's members other than actor and data. */
static enum oms_err
command_head(struct json_object *root, struct oms_command *out, char *err,
    size_t errlen)
{
	struct json_object	*v;	/* borrowed */
	const char		*s, *why = "must be a known command type";

	if (command_unknown(root, "", command_keys, err, errlen) != OMS_OK)
		return OMS_EINVAL;
	if (!json_object_object_get_ex(root, "v", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) != OMS_COMMAND_VERSION)
		return command_fail(err, errlen, "/v", "must be 1");
	if ((s = command_str(root, "type", &why)) == NULL ||
	    command_type_parse(s, &out->type) == -1)
		return command_fail(err, errlen, "/type", why);
	if (command_id(root, "/commandId", "commandId", command_id_valid,
	    "must be a UUID, then follow-up suffixes such as .pay",
	    out->command_id, err, errlen) == -1 || command_id(root,
	    "/orderId", "orderId", command_order_id_valid,
	    "must be a UUID (lowercase, 8-4-4-4-12)", out->order_id, err,
	    errlen) == -1)
		return OMS_EINVAL;
	why = "must be an RFC 3339 UTC time with milliseconds";
	if ((s = command_str(root, "issuedAt", &why)) == NULL ||
	    !command_time_valid(s))
		return command_fail(err, errlen, "/issuedAt", why);
	memcpy(out->issued_at, s, OMS_TIME_LEN + 1);
	return OMS_OK;
}

enum oms_err
command_decode(const char *body, size_t len, struct oms_command *out,
    char *err, size_t errlen)
{
	struct json_object	*root;	/* owned */
	char			 why[128];
	enum oms_err		 r;

	/* data (about 150 KB) is reset by its validator, as far as it is
	 * used: zeroing it all for every message costs more than the rest */
	memset(out, 0, offsetof(struct oms_command, data));
	if (json_parse_strict(body, len, &root, why, sizeof(why)) != OMS_OK) {
		char	 detail[160];

		snprintf(detail, sizeof(detail), "is malformed JSON: %s", why);
		return command_fail(err, errlen, "", detail);
	}
	if (!json_object_is_type(root, json_type_object))
		r = command_fail(err, errlen, "", "must be a JSON object");
	else if ((r = command_head(root, out, err, errlen)) == OMS_OK &&
	    (r = command_actor(root, out, err, errlen)) == OMS_OK) {
		/* only the worker's own follow-ups void a shipment */
		if (out->type == OMS_CMD_VOID && out->role != OMS_ROLE_SYSTEM)
			r = command_fail(err, errlen, "/actor/role",
			    "must be system for orders.void");
		else
			r = command_data(root, out, err, errlen);
	}
	json_object_put(root);
	return r;
}

int
command_time_format(int64_t ms, char *buf, size_t size)
{
	struct tm	 tm;
	time_t		 secs;

	/* 253402300800000 is 10000-01-01T00:00:00Z */
	if (ms < 0 || ms >= 253402300800000LL || size < OMS_TIME_LEN + 1)
		return -1;
	secs = (time_t)(ms / 1000);
	if (gmtime_r(&secs, &tm) == NULL)
		return -1;
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return 0;
}

void
command_time_now(char buf[OMS_TIME_LEN + 1])
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		fatal("clock_gettime");
	if (command_time_format((int64_t)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000, buf, OMS_TIME_LEN + 1) == -1)
		fatalx("command: the clock is out of range");
}

/* Returns the n-digit decimal at s, or -1 if a byte is not a digit. */
static int
command_digits(const char *s, int n)
{
	int	 v = 0;

	while (n-- > 0) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

int
command_time_valid(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int	 y, mo, d;

	/* "YYYY-MM-DDTHH:MM:SS.mmmZ"; second 60 is RFC 3339's leap second */
	if (strnlen(s, OMS_TIME_LEN + 1) != OMS_TIME_LEN || s[4] != '-' ||
	    s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
	    s[19] != '.' || s[23] != 'Z')
		return 0;
	y = command_digits(s, 4);
	mo = command_digits(s + 5, 2);
	d = command_digits(s + 8, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return 0;
	if (mo == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0)))
		return 0;
	return command_digits(s + 11, 2) >= 0 && command_digits(s + 11, 2) < 24 &&
	    command_digits(s + 14, 2) >= 0 && command_digits(s + 14, 2) < 60 &&
	    command_digits(s + 17, 2) >= 0 && command_digits(s + 17, 2) <= 60 &&
	    command_digits(s + 20, 3) >= 0;
}
