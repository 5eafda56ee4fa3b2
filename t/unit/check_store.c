/*
 * Unit tests for lib/store.c without a Redis: which URLs store_new takes,
 * store_wait_replicas without replicas to wait for or without the
 * connection of a write, and a Sentinel set that nobody answers for.
 * The failover itself is tested against real servers in t/t6000.
 */
#include <check.h>
#include <string.h>

#include "store.h"
#include "unit.h"

static char	 err[256];

START_TEST(test_new_schemes)
{
	static const char *const good[] = {
		"redis://127.0.0.1:1/0", "unix:///tmp/r.sock?db=1",
		"redis-sentinel://127.0.0.1:1,127.0.0.1:2/oms?db=2",
	};
	struct store *st;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		st = store_new(good[i], NULL, "u", 100, err, sizeof(err));
		ck_assert_msg(st != NULL, "%s: %s", good[i], err);
		ck_assert_str_eq(store_errstr(st), "not connected");
		store_free(st);
	}
	ck_assert_ptr_null(store_new("amqp://h/oms", NULL, "u", 100, err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "redis-sentinel://"));
	ck_assert_ptr_null(store_new("redis-sentinel://h", NULL, "u", 100,
	    err, sizeof(err)));
}
END_TEST

START_TEST(test_wait_none)
{
	struct store *st = store_new("redis://127.0.0.1:1/0", NULL, "u", 100,
	    err, sizeof(err));

	/* n = 0: a single node; no command, no connection needed */
	ck_assert_int_eq(store_wait_replicas(st, 0, 100), OMS_OK);
	ck_assert_int_eq(store_wait_replicas(st, -1, 100), OMS_OK);
	/* n > 0 and no connection: the write's connection is gone, and a
	 * new one would acknowledge nothing of it */
	ck_assert_int_eq(store_wait_replicas(st, 1, 100), OMS_EUNAVAIL);
	ck_assert_ptr_nonnull(strstr(store_errstr(st), "lost"));
	store_free(st);
}
END_TEST

START_TEST(test_sentinels_down)
{
	struct store *st = store_new("redis-sentinel://u:pw@127.0.0.1:1,"
	    "127.0.0.1:2/oms", NULL, "u", 100, err, sizeof(err));

	ck_assert_int_eq(store_ping(st), OMS_EUNAVAIL);
	ck_assert_msg(strncmp(store_errstr(st), "resolve: sentinel "
	    "127.0.0.1:", 18) == 0, "%s", store_errstr(st));
	ck_assert_ptr_null(strstr(store_errstr(st), "pw"));
	/* backing off: no second round at once */
	ck_assert_int_eq(store_ping(st), OMS_EUNAVAIL);
	store_free(st);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s = suite_create("store");

	unit_add(s, "new_schemes", test_new_schemes, NULL, NULL);
	unit_add(s, "wait_none", test_wait_none, NULL, NULL);
	unit_add(s, "sentinels_down", test_sentinels_down, NULL, NULL);
	return s;
}

int
main(void)
{
	return unit_run(store_suite());
}
