/*
 * Unit tests for lib/url.c: the amqp, redis, unix and redis-sentinel
 * forms, lists of hosts, defaults,
 * percent-decoding, rejected inputs (with errors that never quote the
 * password) and url_redact().
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"
#include "unit.h"

static struct oms_url	 u;
static char		 err[256];

static void
setup(void)
{
	memset(&u, 0, sizeof(u));
	err[0] = '\0';
}

static void
teardown(void)
{
	url_clear(&u);
}

static void
parse_ok(const char *s)
{
	enum oms_err rc = url_parse(s, &u, err, sizeof(err));

	ck_assert_msg(rc == OMS_OK, "%s: %s", s, err);
}

START_TEST(test_amqp_full)
{
	parse_ok("amqp://oms:pw@mq.example:5673/prod");
	ck_assert_str_eq(u.scheme, "amqp");
	ck_assert_str_eq(u.user, "oms");
	ck_assert_str_eq(u.password, "pw");
	ck_assert_str_eq(u.host, "mq.example");
	ck_assert_int_eq(u.port, 5673);
	ck_assert_str_eq(u.path, "prod");
}
END_TEST

START_TEST(test_amqp_defaults)
{
	parse_ok("amqp://127.0.0.1");
	ck_assert_ptr_null(u.user);
	ck_assert_ptr_null(u.password);
	ck_assert_str_eq(u.host, "127.0.0.1");
	ck_assert_int_eq(u.port, 5672);
	ck_assert_str_eq(u.path, "/");
	url_clear(&u);
	parse_ok("amqp://h/");
	ck_assert_str_eq(u.path, "/");
	url_clear(&u);
	parse_ok("amqp://127.0.0.1:5672/oms");
	ck_assert_str_eq(u.path, "oms");
}
END_TEST

START_TEST(test_amqp_vhost_decoding)
{
	parse_ok("amqp://h/%2Foms%20x");
	ck_assert_str_eq(u.path, "/oms x");
	url_clear(&u);
	parse_ok("amqp://h/%2f");
	ck_assert_str_eq(u.path, "/");
	url_clear(&u);
	ck_assert_int_eq(url_parse("amqp://h/a/b", &u, err, sizeof(err)),
	    OMS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "vhost"));
}
END_TEST

START_TEST(test_redis_full)
{
	parse_ok("redis://app:pw@cache.example:6380/3");
	ck_assert_str_eq(u.scheme, "redis");
	ck_assert_str_eq(u.user, "app");
	ck_assert_str_eq(u.password, "pw");
	ck_assert_str_eq(u.host, "cache.example");
	ck_assert_int_eq(u.port, 6380);
	ck_assert_int_eq(u.db, 3);
	ck_assert_str_eq(u.path, "3");
}
END_TEST

START_TEST(test_redis_defaults)
{
	parse_ok("redis://localhost");
	ck_assert_int_eq(u.port, 6379);
	ck_assert_int_eq(u.db, 0);
	ck_assert_str_eq(u.path, "0");
	url_clear(&u);
	parse_ok("redis://localhost/");
	ck_assert_int_eq(u.db, 0);
	ck_assert_str_eq(u.path, "0");
	url_clear(&u);
	parse_ok("redis://localhost/007");
	ck_assert_int_eq(u.db, 7);
	ck_assert_str_eq(u.path, "7");
}
END_TEST

START_TEST(test_redis_password_only)
{
	parse_ok("redis://:s3cret@h:7000");
	ck_assert_ptr_null(u.user);
	ck_assert_str_eq(u.password, "s3cret");
	ck_assert_int_eq(u.port, 7000);
	url_clear(&u);
	parse_ok("redis://alice@h");
	ck_assert_str_eq(u.user, "alice");
	ck_assert_ptr_null(u.password);
	url_clear(&u);
	parse_ok("redis://alice:@h");
	ck_assert_str_eq(u.password, "");
}
END_TEST

START_TEST(test_unix)
{
	parse_ok("unix:///run/redis/redis.sock");
	ck_assert_str_eq(u.scheme, "unix");
	ck_assert_ptr_null(u.host);
	ck_assert_int_eq(u.port, 0);
	ck_assert_str_eq(u.path, "/run/redis/redis.sock");
	ck_assert_int_eq(u.db, 0);
	url_clear(&u);
	parse_ok("unix:///tmp/r.sock?db=5");
	ck_assert_str_eq(u.path, "/tmp/r.sock");
	ck_assert_int_eq(u.db, 5);
	url_clear(&u);
	parse_ok("unix://oms:p%40w@/tmp/r.sock");
	ck_assert_str_eq(u.user, "oms");
	ck_assert_str_eq(u.password, "p@w");
	ck_assert_str_eq(u.path, "/tmp/r.sock");
}
END_TEST

START_TEST(test_percent_decoding)
{
	parse_ok("amqp://us%40er:p%3Ass%2f%25@h");
	ck_assert_str_eq(u.user, "us@er");
	ck_assert_str_eq(u.password, "p:ss/%");
	ck_assert_str_eq(u.host, "h");
}
END_TEST

START_TEST(test_last_at_ends_userinfo)
{
	parse_ok("amqp://u:p@ss@h:1");
	ck_assert_str_eq(u.user, "u");
	ck_assert_str_eq(u.password, "p@ss");
	ck_assert_str_eq(u.host, "h");
	ck_assert_int_eq(u.port, 1);
}
END_TEST

START_TEST(test_scheme_case)
{
	parse_ok("AMQP://h");
	ck_assert_str_eq(u.scheme, "amqp");
	url_clear(&u);
	parse_ok("Redis://h");
	ck_assert_str_eq(u.scheme, "redis");
}
END_TEST

START_TEST(test_ipv6)
{
	parse_ok("redis://[::1]:6380/1");
	ck_assert_str_eq(u.host, "::1");
	ck_assert_int_eq(u.port, 6380);
	url_clear(&u);
	parse_ok("amqp://u:p@[fe80::1]");
	ck_assert_str_eq(u.host, "fe80::1");
	ck_assert_int_eq(u.port, 5672);
}
END_TEST

START_TEST(test_port_range)
{
	parse_ok("redis://h:65535");
	ck_assert_int_eq(u.port, 65535);
	url_clear(&u);
	parse_ok("redis://h:1");
	ck_assert_int_eq(u.port, 1);
}
END_TEST

static const char *const bad_urls[] = {
	"",
	"h:5672",
	"http://h",
	"amqps://h",
	"amqp:/h",
	"amqp://",
	"amqp://:5672",
	"amqp://u:p@",
	"amqp://h:0",
	"amqp://h:65536",
	"amqp://h:99999999999999999999",
	"amqp://h:12a",
	"amqp://h:",
	"amqp://h:-1",
	"amqp://h:+1",
	"amqp://h?x=1",
	"amqp://h/v?x=1",
	"amqp://h#frag",
	"amqp://u:p%zz@h",
	"amqp://u:p%4@h",
	"amqp://u:p%00@h",
	"amqp://h/%",
	"amqp://h x",
	"amqp://h\tx",
	"amqp://h\n",
	"redis://h/x",
	"redis://h/1/2",
	"redis://h/-1",
	"redis://h/99999999999",
	"redis://::1",
	"redis://[::1",
	"redis://[::1]x",
	"redis://[]:1",
	"redis://h%41",
	"unix://host/path",
	"unix://",
	"unix:///",
	"unix://relative",
	"unix:///s?db=x",
	"unix:///s?db=",
	"unix:///s?foo=1",
	"unix:///s#x",
	"unix:///aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
};

START_TEST(test_bad_inputs)
{
	const char *s = bad_urls[_i];

	ck_assert_msg(url_parse(s, &u, err, sizeof(err)) == OMS_EINVAL,
	    "accepted \"%s\"", s);
	ck_assert_msg(err[0] != '\0', "no reason for \"%s\"", s);
	/* a failed parse leaves nothing to free */
	ck_assert_ptr_null(u.scheme);
	ck_assert_ptr_null(u.user);
	ck_assert_ptr_null(u.password);
	ck_assert_ptr_null(u.host);
	ck_assert_ptr_null(u.path);
}
END_TEST

START_TEST(test_null_and_no_err)
{
	ck_assert_int_eq(url_parse(NULL, &u, err, sizeof(err)), OMS_EINVAL);
	ck_assert_str_eq(err, "empty URL");
	/* err may be NULL */
	ck_assert_int_eq(url_parse("bogus", &u, NULL, 0), OMS_EINVAL);
}
END_TEST

static const char *const secret_urls[] = {
	"amqp://u:Hunter2pw@h:0/v",
	"amqp://u:Hunter2pw@h/a/b",
	"amqp://u:Hunter2pw@:5672",
	"redis://:Hunter2pw@h/x",
	"redis://:Hunter2pw@[::1",
	"ftp://u:Hunter2pw@h",
	"unix://:Hunter2pw@host/s",
	"amqp://u:Hunter2pw%zz@h",
};

START_TEST(test_error_hides_password)
{
	const char *s = secret_urls[_i];

	ck_assert_int_eq(url_parse(s, &u, err, sizeof(err)), OMS_EINVAL);
	ck_assert_msg(strstr(err, "Hunter2") == NULL, "leak: %s", err);
	ck_assert_uint_gt(strlen(err), 0);
}
END_TEST

START_TEST(test_clear)
{
	parse_ok("amqp://u:p@h/v");
	url_clear(&u);
	ck_assert_ptr_null(u.scheme);
	ck_assert_ptr_null(u.password);
	ck_assert_ptr_null(u.host);
	ck_assert_int_eq(u.port, 0);
	url_clear(&u);	/* twice is harmless */
}
END_TEST

START_TEST(test_redact)
{
	char buf[128];

	ck_assert_str_eq(url_redact("amqp://u:secret@h:5672/v", buf,
	    sizeof(buf)), "amqp://u:***@h:5672/v");
	ck_assert_str_eq(url_redact("redis://:secret@h/0", buf, sizeof(buf)),
	    "redis://:***@h/0");
	ck_assert_str_eq(url_redact("unix://u:secret@/run/r.sock?db=1", buf,
	    sizeof(buf)), "unix://u:***@/run/r.sock?db=1");
	ck_assert_str_eq(url_redact("amqp://u:secret@h1:5672,h2:5673/oms", buf,
	    sizeof(buf)), "amqp://u:***@h1:5672,h2:5673/oms");
	ck_assert_str_eq(url_redact("redis-sentinel://u:secret@s1:26379,"
	    "s2/oms?db=1", buf, sizeof(buf)),
	    "redis-sentinel://u:***@s1:26379,s2/oms?db=1");
	ck_assert_str_eq(url_redact("amqp://h1:5672,h2:5673/oms", buf,
	    sizeof(buf)), "amqp://h1:5672,h2:5673/oms");
	ck_assert_ptr_eq(url_redact("x", buf, sizeof(buf)), buf);
}
END_TEST

START_TEST(test_redact_unchanged)
{
	char buf[128];

	ck_assert_str_eq(url_redact("amqp://h:5672/v", buf, sizeof(buf)),
	    "amqp://h:5672/v");
	ck_assert_str_eq(url_redact("redis://alice@h/0", buf, sizeof(buf)),
	    "redis://alice@h/0");
	ck_assert_str_eq(url_redact("unix:///run/r.sock", buf, sizeof(buf)),
	    "unix:///run/r.sock");
	ck_assert_str_eq(url_redact("/run/oms/fcgi.sock", buf, sizeof(buf)),
	    "/run/oms/fcgi.sock");
	ck_assert_str_eq(url_redact(NULL, buf, sizeof(buf)), "");
}
END_TEST

START_TEST(test_redact_unencoded)
{
	char buf[128];

	/* a password with a raw '/' or '@' must still be hidden */
	ck_assert_str_eq(url_redact("amqp://u:se/cr@et@h/v", buf, sizeof(buf)),
	    "amqp://u:***@h/v");
	ck_assert_str_eq(url_redact("u:secret@h", buf, sizeof(buf)),
	    "u:***@h");
	ck_assert_ptr_null(strstr(url_redact("amqp://u:p:w@h", buf,
	    sizeof(buf)), "p:w"));
}
END_TEST

START_TEST(test_redact_truncates)
{
	char buf[12];

	memset(buf, 'Z', sizeof(buf));
	url_redact("amqp://u:secret@host/vhost", buf, sizeof(buf));
	ck_assert_uint_eq(strlen(buf), sizeof(buf) - 1);
	ck_assert_str_eq(buf, "amqp://u:**");
	memset(buf, 'Z', sizeof(buf));
	url_redact("amqp://u:secret@h", buf, 0);
	ck_assert_int_eq(buf[0], 'Z');
	url_redact("amqp://u:secret@h", buf, 1);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(test_amqp_hosts)
{
	parse_ok("amqp://u@h1:5673,h2,[::1]:5674/oms");
	ck_assert_uint_eq(u.nhosts, 3);
	ck_assert_str_eq(u.hosts[0].host, "h1");
	ck_assert_int_eq(u.hosts[0].port, 5673);
	ck_assert_str_eq(u.hosts[1].host, "h2");
	ck_assert_int_eq(u.hosts[1].port, 5672);
	ck_assert_str_eq(u.hosts[2].host, "::1");
	ck_assert_int_eq(u.hosts[2].port, 5674);
	ck_assert_str_eq(u.host, "h1");
	ck_assert_int_eq(u.port, 5673);
	ck_assert_str_eq(u.user, "u");
	ck_assert_str_eq(u.path, "oms");
	url_clear(&u);
	parse_ok("amqp://h");
	ck_assert_uint_eq(u.nhosts, 1);
	ck_assert_str_eq(u.hosts[0].host, "h");
	ck_assert_int_eq(u.hosts[0].port, 5672);
}
END_TEST

START_TEST(test_sentinel)
{
	parse_ok("redis-sentinel://oms-fcgi:pw@s1:26380,s2,s3:26381/mymaster"
	    "?db=3");
	ck_assert_str_eq(u.scheme, "redis-sentinel");
	ck_assert_str_eq(u.user, "oms-fcgi");
	ck_assert_str_eq(u.password, "pw");
	ck_assert_uint_eq(u.nhosts, 3);
	ck_assert_int_eq(u.hosts[0].port, 26380);
	ck_assert_str_eq(u.hosts[1].host, "s2");
	ck_assert_int_eq(u.hosts[1].port, 26379);
	ck_assert_int_eq(u.hosts[2].port, 26381);
	ck_assert_str_eq(u.path, "mymaster");
	ck_assert_int_eq(u.db, 3);
	url_clear(&u);
	parse_ok("REDIS-SENTINEL://127.0.0.1/oms.main_1");
	ck_assert_str_eq(u.path, "oms.main_1");
	ck_assert_int_eq(u.db, 0);
	ck_assert_int_eq(u.port, 26379);
}
END_TEST

static const char *const bad_hosts[] = {
	"redis://h1,h2/0",			/* one Redis, not a list */
	"amqp://h1,,h2/oms",			/* an empty host */
	"amqp://h1,/oms",
	"amqp://h1:0,h2/oms",
	"redis-sentinel://s1,s2",		/* no master name */
	"redis-sentinel://s1/",
	"redis-sentinel://s1/ma ster",
	"redis-sentinel://s1/m%41",
	"redis-sentinel://s1/m?db=x",
	"redis-sentinel://s1/m?x=1",
	"redis-sentinel://s1/m/0",
	"amqp://a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q/oms",	/* 17 hosts */
};

START_TEST(test_bad_hosts)
{
	ck_assert_msg(url_parse(bad_hosts[_i], &u, err, sizeof(err)) ==
	    OMS_EINVAL, "accepted %s", bad_hosts[_i]);
	ck_assert_uint_eq(u.nhosts, 0);
	ck_assert_ptr_null(u.hosts);
	ck_assert_int_ne(err[0], '\0');
}
END_TEST

static Suite *
url_suite(void)
{
	Suite *s = suite_create("url");

#define ADD(name, fn) unit_add(s, name, fn, setup, teardown)
#define ADD_LOOP(name, fn, arr) unit_add_loop(s, name, fn, \
	    (int)(sizeof(arr) / sizeof(arr[0])), setup, teardown)
	ADD("amqp_full", test_amqp_full);
	ADD("amqp_defaults", test_amqp_defaults);
	ADD("amqp_vhost_decoding", test_amqp_vhost_decoding);
	ADD("redis_full", test_redis_full);
	ADD("redis_defaults", test_redis_defaults);
	ADD("redis_password_only", test_redis_password_only);
	ADD("unix", test_unix);
	ADD("percent_decoding", test_percent_decoding);
	ADD("last_at_ends_userinfo", test_last_at_ends_userinfo);
	ADD("scheme_case", test_scheme_case);
	ADD("ipv6", test_ipv6);
	ADD("port_range", test_port_range);
	ADD_LOOP("bad_inputs", test_bad_inputs, bad_urls);
	ADD("null_and_no_err", test_null_and_no_err);
	ADD_LOOP("error_hides_password", test_error_hides_password,
	    secret_urls);
	ADD("clear", test_clear);
	ADD("amqp_hosts", test_amqp_hosts);
	ADD("sentinel", test_sentinel);
	ADD_LOOP("bad_hosts", test_bad_hosts, bad_hosts);
	ADD("redact", test_redact);
	ADD("redact_unchanged", test_redact_unchanged);
	ADD("redact_unencoded", test_redact_unencoded);
	ADD("redact_truncates", test_redact_truncates);
#undef ADD
#undef ADD_LOOP
	return s;
}

int
main(void)
{
	return unit_run(url_suite());
}
