/*
 * policy.c — the worker's decisions on failures and publishers (issue 14).
 *
 * A Redis error reply is permanent when retrying the same message cannot
 * help: our Function refused its arguments (EINVAL), a key holds another
 * type (WRONGTYPE), the script itself failed (ERR ...: a Lua error, or a
 * Function library that does not load). Such a message is poison and is
 * dead-lettered at once. Replies that describe Redis's state (OOM with
 * noeviction, LOADING, BUSY, READONLY, MASTERDOWN, TRYAGAIN, NOPERM while
 * an operator fixes the ACL, ...) are transient. A missing library (ERR
 * Function not found) is loaded again first.
 */
#include <string.h>

#include "policy.h"

/* True if reply starts with the error code code (then a space or end). */
static int
policy_code(const char *reply, const char *code)
{
	size_t	 n = strlen(code);

	return strncmp(reply, code, n) == 0 &&
	    (reply[n] == ' ' || reply[n] == '\0');
}

enum policy_class
policy_error_class(const char *reply)
{
	if (reply == NULL)
		return POLICY_TRANSIENT;
	if (policy_code(reply, "ERR") && (strstr(reply, "Function not found") !=
	    NULL || strstr(reply, "Library not found") != NULL))
		return POLICY_RELOAD;
	if (policy_code(reply, "NOSCRIPT"))
		return POLICY_RELOAD;
	if (policy_code(reply, "EINVAL") || policy_code(reply, "WRONGTYPE") ||
	    policy_code(reply, "ERR"))
		return POLICY_PERMANENT;
	return POLICY_TRANSIENT;
}

int
policy_retry_next(struct policy_retry *r, int redis_up)
{
	if (redis_up && ++r->attempts >= POLICY_RETRY_MAX)
		return -1;
	r->delay_ms = r->delay_ms == 0 ? POLICY_RETRY_MIN_MS :
	    r->delay_ms * 2 > POLICY_RETRY_MAX_MS ? POLICY_RETRY_MAX_MS :
	    r->delay_ms * 2;
	return r->delay_ms;
}

int
policy_publisher_ok(enum oms_cmd_type type, enum oms_role role,
    const char *user_id, const char *worker_user)
{
	int	 client;

	switch (type) {
	case OMS_CMD_CREATE:
	case OMS_CMD_UPDATE:
	case OMS_CMD_CANCEL:
	case OMS_CMD_DELETE:
	case OMS_CMD_DELIVERED:
		client = role != OMS_ROLE_SYSTEM;
		break;
	default:
		client = 0;
		break;
	}
	return client || (user_id != NULL && worker_user != NULL &&
	    *worker_user != '\0' && strcmp(user_id, worker_user) == 0);
}
