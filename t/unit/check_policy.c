/*
 * Unit tests for worker/policy.c: which Redis error replies make a message
 * poison, the retry bound of one message, and which publisher may send
 * which step (issue 14, items 3 and 5).
 */
#include <check.h>
#include <stddef.h>

#include "policy.h"
#include "unit.h"

START_TEST(test_error_class)
{
	static const struct {
		const char		*reply;
		enum policy_class	 want;
	} cases[] = {
		{ "WRONGTYPE Operation against a key holding the wrong kind of "
		    "value", POLICY_PERMANENT },
		{ "EINVAL orderId must be an id", POLICY_PERMANENT },
		{ "ERR user_script:12: Script attempted to access nonexistent "
		    "global variable 'x' script: oms_apply", POLICY_PERMANENT },
		{ "ERR Error compiling function", POLICY_PERMANENT },
		{ "ERR Function not found", POLICY_RELOAD },
		{ "NOSCRIPT No matching script", POLICY_RELOAD },
		{ "OOM command not allowed when used memory > 'maxmemory'.",
		    POLICY_TRANSIENT },
		{ "LOADING Redis is loading the dataset in memory",
		    POLICY_TRANSIENT },
		{ "BUSY Redis is busy running a script", POLICY_TRANSIENT },
		{ "READONLY You can't write against a read only replica.",
		    POLICY_TRANSIENT },
		{ "NOPERM this user has no permissions", POLICY_TRANSIENT },
		{ "ERRX not a code we know", POLICY_TRANSIENT },
		{ "EINVALID", POLICY_TRANSIENT },
		{ "", POLICY_TRANSIENT },
		{ NULL, POLICY_TRANSIENT },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(policy_error_class(cases[i].reply) ==
		    cases[i].want, "%s", cases[i].reply != NULL ?
		    cases[i].reply : "(null)");
}
END_TEST

START_TEST(test_retry_bounded_while_up)
{
	struct policy_retry r = { 0, 0 };
	int i, d, total = 0;

	for (i = 1; i < POLICY_RETRY_MAX; i++) {
		d = policy_retry_next(&r, 1);
		ck_assert_int_ge(d, POLICY_RETRY_MIN_MS);
		ck_assert_int_le(d, POLICY_RETRY_MAX_MS);
		total += d;
	}
	ck_assert_int_eq(policy_retry_next(&r, 1), -1);
	ck_assert_int_eq(r.attempts, POLICY_RETRY_MAX);
	ck_assert_int_le(total, POLICY_RETRY_MAX * POLICY_RETRY_MAX_MS);
}
END_TEST

START_TEST(test_retry_unbounded_while_down)
{
	struct policy_retry r = { 0, 0 };

	for (int i = 0; i < 1000; i++)
		ck_assert_int_gt(policy_retry_next(&r, 0), 0);
	ck_assert_int_eq(r.attempts, 0);
	ck_assert_int_eq(policy_retry_next(&r, 0), POLICY_RETRY_MAX_MS);
	/* an outage does not use up the bound of the tries while up */
	ck_assert_int_gt(policy_retry_next(&r, 1), 0);
	ck_assert_int_eq(r.attempts, 1);
}
END_TEST

START_TEST(test_publisher)
{
	static const enum oms_cmd_type system_steps[] = {
		OMS_CMD_PROCESS_PAYMENT, OMS_CMD_SHIP, OMS_CMD_REFUND,
		OMS_CMD_MAX
	};
	static const enum oms_cmd_type client[] = {
		OMS_CMD_CREATE, OMS_CMD_UPDATE, OMS_CMD_CANCEL, OMS_CMD_DELETE,
		OMS_CMD_DELIVERED
	};
	size_t i;

	for (i = 0; i < sizeof(system_steps) / sizeof(system_steps[0]); i++) {
		enum oms_cmd_type t = system_steps[i];

		ck_assert(policy_publisher_ok(t, OMS_ROLE_SYSTEM, "oms-worker",
		    "oms-worker"));
		ck_assert(!policy_publisher_ok(t, OMS_ROLE_SYSTEM, "oms-fcgi",
		    "oms-worker"));
		ck_assert(!policy_publisher_ok(t, OMS_ROLE_ADMIN, "", "oms-worker"));
		ck_assert(!policy_publisher_ok(t, OMS_ROLE_SYSTEM, NULL,
		    "oms-worker"));
		ck_assert(!policy_publisher_ok(t, OMS_ROLE_SYSTEM, "", ""));
	}
	for (i = 0; i < sizeof(client) / sizeof(client[0]); i++) {
		ck_assert(policy_publisher_ok(client[i], OMS_ROLE_CUSTOMER,
		    "oms-fcgi", "oms-worker"));
		ck_assert(policy_publisher_ok(client[i], OMS_ROLE_ADMIN, "",
		    "oms-worker"));
		/* a system actor is the worker's to claim */
		ck_assert(!policy_publisher_ok(client[i], OMS_ROLE_SYSTEM,
		    "oms-fcgi", "oms-worker"));
		ck_assert(policy_publisher_ok(client[i], OMS_ROLE_SYSTEM,
		    "oms-worker", "oms-worker"));
	}
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");

#define ADD(name, fn) unit_add(s, name, fn, NULL, NULL)
	ADD("error_class", test_error_class);
	ADD("retry_bounded_while_up", test_retry_bounded_while_up);
	ADD("retry_unbounded_while_down", test_retry_unbounded_while_down);
	ADD("publisher", test_publisher);
#undef ADD
	return s;
}

int
main(void)
{
	return unit_run(policy_suite());
}
