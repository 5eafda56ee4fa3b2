/*
 * Unit tests for lib/uuid.c: the version and variant bits of UUIDv7, the
 * timestamp, monotonicity within a process and after fork, formatting and
 * the textual validity check.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "uuid.h"
#include "unit.h"

#define NCALLS	10000

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(test_version_variant)
{
	char u[UUID_STR_LEN + 1];
	int i;

	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(uuid_v7(u), OMS_OK);
		ck_assert_uint_eq(strlen(u), 36);
		ck_assert(uuid_valid(u));
		ck_assert_int_eq(u[14], '7');
		ck_assert_int_eq(uuid_version(u), 7);
		/* variant 10xx: the first nibble of the fourth group */
		ck_assert_msg(strchr("89ab", u[19]) != NULL, "variant %s", u);
	}
}
END_TEST

START_TEST(test_timestamp)
{
	char u[UUID_STR_LEN + 1];
	int64_t before = now_ms(), t, after;

	ck_assert_int_eq(uuid_v7(u), OMS_OK);
	after = now_ms();
	t = uuid_v7_time(u);
	ck_assert_int_ge(t, before - 1000);
	ck_assert_int_le(t, after + 1000);
	ck_assert_int_ge(t, before);
}
END_TEST

/* Strictly increasing, and stamped with the clock of their making: none
 * before the first clock reading, none after the last (no bound on how
 * long the loop takes: valgrind on a loaded machine is slow). */
START_TEST(test_monotonic)
{
	static char u[NCALLS][UUID_STR_LEN + 1];
	int64_t start = now_ms(), end;
	int i;

	for (i = 0; i < NCALLS; i++)
		ck_assert_int_eq(uuid_v7(u[i]), OMS_OK);
	end = now_ms();
	for (i = 1; i < NCALLS; i++)
		ck_assert_msg(strcmp(u[i - 1], u[i]) < 0, "%s !< %s",
		    u[i - 1], u[i]);
	ck_assert_int_ge(uuid_v7_time(u[0]), start);
	ck_assert_int_le(uuid_v7_time(u[NCALLS - 1]), end);
}
END_TEST

START_TEST(test_fork_reseeds)
{
	char parent[UUID_STR_LEN + 1], child[UUID_STR_LEN + 1];
	int fd[2], status;
	pid_t pid;

	ck_assert_int_eq(uuid_v7(parent), OMS_OK);
	ck_assert_int_eq(pipe(fd), 0);
	if ((pid = fork()) == 0) {
		close(fd[0]);
		if (uuid_v7(child) != OMS_OK ||
		    write(fd[1], child, sizeof(child)) != (ssize_t)sizeof(child))
			_exit(1);
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	close(fd[1]);
	ck_assert_int_eq(read(fd[0], child, sizeof(child)),
	    (ssize_t)sizeof(child));
	close(fd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert(uuid_valid(child));
	ck_assert_str_ne(parent, child);
	/* a fresh counter, not the parent's plus one: the counters differ
	 * in more than the last place with overwhelming probability */
	ck_assert(memcmp(parent + 14, child + 14, 8) != 0);
}
END_TEST

START_TEST(test_format)
{
	static const unsigned char b[16] = {
		0x01, 0x93, 0x5f, 0x2a, 0xbc, 0xde, 0x7f, 0xff,
		0x80, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc
	};
	char u[UUID_STR_LEN + 1];

	uuid_format(b, u);
	ck_assert_str_eq(u, "01935f2a-bcde-7fff-8000-123456789abc");
	ck_assert_int_eq(uuid_v7_time(u), 0x01935f2abcdeLL);
}
END_TEST

START_TEST(test_valid)
{
	ck_assert(uuid_valid("01935f2a-bcde-7fff-8000-123456789abc"));
	ck_assert(uuid_valid("00000000-0000-0000-0000-000000000000"));
	ck_assert_int_eq(uuid_version("6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
	    1);
	ck_assert(!uuid_valid(NULL));
	ck_assert(!uuid_valid(""));
	ck_assert(!uuid_valid("01935F2A-BCDE-7FFF-8000-123456789ABC"));
	ck_assert(!uuid_valid("01935f2a-bcde-7fff-8000-123456789ab"));
	ck_assert(!uuid_valid("01935f2a-bcde-7fff-8000-123456789abcd"));
	ck_assert(!uuid_valid("01935f2abcde-7fff-8000-123456789abc-"));
	ck_assert(!uuid_valid("01935f2a-bcde-7fff-8000-123456789abg"));
	ck_assert(!uuid_valid("{01935f2a-bcde-7fff-8000-123456789ab}"));
	ck_assert(!uuid_valid("01935f2a_bcde-7fff-8000-123456789abc"));
	ck_assert_int_eq(uuid_version("nope"), -1);
	ck_assert_int_eq(uuid_v7_time("6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
	    -1);
}
END_TEST

static Suite *
uuid_suite(void)
{
	Suite *s = suite_create("uuid");

#define ADD(name, fn) unit_add(s, name, fn, NULL, NULL)
	ADD("version_variant", test_version_variant);
	ADD("timestamp", test_timestamp);
	ADD("monotonic", test_monotonic);
	ADD("fork_reseeds", test_fork_reseeds);
	ADD("format", test_format);
	ADD("valid", test_valid);
#undef ADD
	return s;
}

int
main(void)
{
	return unit_run(uuid_suite());
}
