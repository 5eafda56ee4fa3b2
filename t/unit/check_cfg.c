/*
 * Unit tests for lib/cfg.c: built-in defaults, the environment (OMS_<NAME>
 * and OMS_<NAME>_FILE), strict integer parsing with errors naming the
 * variable, cfg_set(), --help text, the logged configuration, and that no
 * error or log line ever contains a secret. The fixture clears every
 * OMS_* variable the module knows, so tests also run with CK_FORK=no.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"
#include "unit.h"

#define SECRET	"Hunter2pw"

static const char *const names[] = {
	"AMQP_URL", "AMQP_PASSWORD", "REDIS_URL", "REDIS_PASSWORD",
	"FCGI_LISTEN", "FCGI_SOCKET_MODE", "FCGI_PROCESSES",
	"FCGI_MAX_REQUESTS", "WORKER_PROCESSES", "WORKER_PREFETCH",
	"LOG_LEVEL", "LOG_FORMAT", "PAYMENT_DELAY_MS", "SHIPPING_DELAY_MS",
	"MAX_BODY_BYTES", "STOP_TIMEOUT_MS", "REDIS_FUNCTIONS",
	"WORKER_INFLIGHT", "PAYMENT_URL", "SHIPPING_URL", "PROVIDER_TIMEOUT_MS",
	"PROVIDER_CA_FILE", "PAYMENT_TOKEN", "SHIPPING_TOKEN",
	"PROVIDER_SIM_LISTEN", "PROVIDER_SIM_JITTER_PCT",
	"REDIS_MIN_REPLICAS", "REDIS_WAIT_MS",
};

static struct oms_config	 cfg;
static char			 err[512];
static char			 tmp[64];

static void
clear_env(void)
{
	char	 n[64];
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(n, sizeof(n), "OMS_%s", names[i]);
		unsetenv(n);
		snprintf(n, sizeof(n), "OMS_%s_FILE", names[i]);
		unsetenv(n);
	}
}

static void
setup(void)
{
	clear_env();
	cfg_defaults(&cfg);
	err[0] = '\0';
	tmp[0] = '\0';
}

static void
teardown(void)
{
	cfg_clear(&cfg);
	clear_env();
	if (tmp[0] != '\0')
		unlink(tmp);
}

/* Writes len bytes of content to a new temporary file named in tmp. */
static const char *
write_tmp(const char *content, size_t len)
{
	int fd;

	snprintf(tmp, sizeof(tmp), "/tmp/check_cfg.XXXXXX");
	fd = mkstemp(tmp);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
	close(fd);
	return tmp;
}

static int
load(void)
{
	err[0] = '\0';
	return cfg_load_env(&cfg, err, sizeof(err));
}

/* Asserts that OMS_<name>=value is rejected with exactly msg. */
static void
env_rejects(const char *name, const char *value, const char *msg)
{
	char n[64];

	snprintf(n, sizeof(n), "OMS_%s", name);
	setenv(n, value, 1);
	ck_assert_msg(load() == -1, "%s=\"%s\" accepted", n, value);
	ck_assert_str_eq(err, msg);
	unsetenv(n);
}

START_TEST(test_defaults)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	ck_assert_str_eq(cfg.amqp_url, "amqp://127.0.0.1:5672/oms");
	ck_assert_str_eq(cfg.redis_url, "redis://127.0.0.1:6379/0");
	ck_assert_ptr_null(cfg.amqp_password);
	ck_assert_ptr_null(cfg.redis_password);
	ck_assert_str_eq(cfg.fcgi_listen, "/run/oms/fcgi.sock");
	ck_assert_int_eq(cfg.fcgi_socket_mode, 0660);
	ck_assert_int_eq(cfg.fcgi_processes, ncpu < 1 ? 2 :
	    ncpu > 8 ? 16 : 2 * ncpu);
	ck_assert_int_eq(cfg.fcgi_threads, 16);
	ck_assert_int_eq(cfg.fcgi_max_requests, 0);
	ck_assert_int_eq(cfg.worker_processes, 8);
	ck_assert_int_eq(cfg.worker_prefetch, 0);
	ck_assert_int_eq(cfg.worker_inflight, 256);
	ck_assert_str_eq(cfg.payment_url, "http://127.0.0.1:8090");
	ck_assert_str_eq(cfg.shipping_url, "http://127.0.0.1:8090");
	ck_assert_int_eq(cfg.provider_timeout_ms, 10000);
	ck_assert_ptr_null(cfg.provider_ca_file);
	ck_assert_ptr_null(cfg.payment_token);
	ck_assert_ptr_null(cfg.shipping_token);
	ck_assert_int_eq(cfg.log_level, LOG_LEVEL_INFO);
	ck_assert_int_eq(cfg.log_format, LOG_FORMAT_TEXT);
	ck_assert_int_eq(cfg.payment_delay_ms, 0);
	ck_assert_int_eq(cfg.shipping_delay_ms, 0);
	ck_assert_int_eq(cfg.max_body_bytes, 65536);
	ck_assert_int_eq(cfg.stop_timeout_ms, 8000);
	ck_assert(strstr(cfg.redis_functions, "/oms.lua") != NULL);
	ck_assert_int_eq(cfg.redis_min_replicas, 0);
	ck_assert_int_eq(cfg.redis_wait_ms, 1000);
}
END_TEST

START_TEST(test_empty_env)
{
	ck_assert_int_eq(load(), 0);
	ck_assert_str_eq(cfg.amqp_url, "amqp://127.0.0.1:5672/oms");
	ck_assert_int_eq(cfg.worker_prefetch, 0);
}
END_TEST

START_TEST(test_env_override)
{
	setenv("OMS_AMQP_URL", "amqp://u:p@mq:5673/v", 1);
	setenv("OMS_REDIS_URL", "unix:///tmp/r.sock?db=2", 1);
	setenv("OMS_FCGI_LISTEN", "127.0.0.1:9000", 1);
	setenv("OMS_FCGI_SOCKET_MODE", "0600", 1);
	setenv("OMS_FCGI_PROCESSES", "7", 1);
	setenv("OMS_FCGI_MAX_REQUESTS", "2147483647", 1);
	setenv("OMS_WORKER_PROCESSES", "3", 1);
	setenv("OMS_WORKER_PREFETCH", "65535", 1);
	setenv("OMS_LOG_LEVEL", "debug", 1);
	setenv("OMS_LOG_FORMAT", "json", 1);
	setenv("OMS_PAYMENT_DELAY_MS", "250", 1);
	setenv("OMS_SHIPPING_DELAY_MS", "0", 1);
	setenv("OMS_MAX_BODY_BYTES", "1024", 1);
	setenv("OMS_STOP_TIMEOUT_MS", "100", 1);
	setenv("OMS_REDIS_PASSWORD", "pw", 1);
	ck_assert_msg(load() == 0, "%s", err);
	ck_assert_str_eq(cfg.amqp_url, "amqp://u:p@mq:5673/v");
	ck_assert_str_eq(cfg.redis_url, "unix:///tmp/r.sock?db=2");
	ck_assert_str_eq(cfg.fcgi_listen, "127.0.0.1:9000");
	ck_assert_int_eq(cfg.fcgi_socket_mode, 0600);
	ck_assert_int_eq(cfg.fcgi_processes, 7);
	ck_assert_int_eq(cfg.fcgi_max_requests, 2147483647);
	ck_assert_int_eq(cfg.worker_processes, 3);
	ck_assert_int_eq(cfg.worker_prefetch, 65535);
	ck_assert_int_eq(cfg.log_level, LOG_LEVEL_DEBUG);
	ck_assert_int_eq(cfg.log_format, LOG_FORMAT_JSON);
	ck_assert_int_eq(cfg.payment_delay_ms, 250);
	ck_assert_int_eq(cfg.max_body_bytes, 1024);
	ck_assert_int_eq(cfg.stop_timeout_ms, 100);
	ck_assert_str_eq(cfg.redis_password, "pw");
	ck_assert_ptr_null(cfg.amqp_password);
}
END_TEST

START_TEST(test_secret_file)
{
	setenv("OMS_AMQP_PASSWORD_FILE", write_tmp(SECRET "\n", 10), 1);
	ck_assert_msg(load() == 0, "%s", err);
	ck_assert_str_eq(cfg.amqp_password, SECRET);
	unlink(tmp);
	setenv("OMS_AMQP_PASSWORD_FILE", write_tmp("a\r\n", 3), 1);
	ck_assert_int_eq(load(), 0);
	ck_assert_str_eq(cfg.amqp_password, "a");
	unlink(tmp);
	setenv("OMS_AMQP_PASSWORD_FILE", write_tmp("nonl", 4), 1);
	ck_assert_int_eq(load(), 0);
	ck_assert_str_eq(cfg.amqp_password, "nonl");
	unlink(tmp);
	/* only one trailing newline is removed */
	setenv("OMS_AMQP_PASSWORD_FILE", write_tmp("two\n\n", 5), 1);
	ck_assert_int_eq(load(), 0);
	ck_assert_str_eq(cfg.amqp_password, "two\n");
}
END_TEST

START_TEST(test_url_file)
{
	setenv("OMS_REDIS_URL_FILE", write_tmp("redis://:" SECRET "@r:1/4\n",
	    strlen("redis://:" SECRET "@r:1/4\n")), 1);
	ck_assert_msg(load() == 0, "%s", err);
	ck_assert_str_eq(cfg.redis_url, "redis://:" SECRET "@r:1/4");
}
END_TEST

START_TEST(test_empty_secret_file)
{
	setenv("OMS_REDIS_PASSWORD_FILE", write_tmp("\n", 1), 1);
	ck_assert_int_eq(load(), 0);
	ck_assert_ptr_null(cfg.redis_password);
}
END_TEST

START_TEST(test_both_set)
{
	setenv("OMS_AMQP_PASSWORD", SECRET, 1);
	setenv("OMS_AMQP_PASSWORD_FILE", write_tmp(SECRET, 9), 1);
	ck_assert_int_eq(load(), -1);
	ck_assert_str_eq(err, "OMS_AMQP_PASSWORD and OMS_AMQP_PASSWORD_FILE "
	    "are both set; use one");
	ck_assert_ptr_null(cfg.amqp_password);
	unsetenv("OMS_AMQP_PASSWORD");
	unsetenv("OMS_AMQP_PASSWORD_FILE");
	setenv("OMS_REDIS_URL", "redis://h", 1);
	setenv("OMS_REDIS_URL_FILE", tmp, 1);
	ck_assert_int_eq(load(), -1);
	ck_assert_ptr_nonnull(strstr(err, "OMS_REDIS_URL_FILE"));
}
END_TEST

START_TEST(test_unreadable_file)
{
	setenv("OMS_REDIS_PASSWORD_FILE", "/nonexistent/oms/secret", 1);
	ck_assert_int_eq(load(), -1);
	ck_assert_str_eq(err, "OMS_REDIS_PASSWORD_FILE: cannot open "
	    "/nonexistent/oms/secret: No such file or directory");
	setenv("OMS_REDIS_PASSWORD_FILE", "/tmp", 1);
	ck_assert_int_eq(load(), -1);
	ck_assert_ptr_nonnull(strstr(err, "OMS_REDIS_PASSWORD_FILE: cannot "
	    "read /tmp"));
}
END_TEST

START_TEST(test_bad_file_content)
{
	char big[5000];

	memset(big, 'x', sizeof(big));
	setenv("OMS_AMQP_PASSWORD_FILE", write_tmp(big, sizeof(big)), 1);
	ck_assert_int_eq(load(), -1);
	ck_assert_ptr_nonnull(strstr(err, "is larger than 4096 bytes"));
	unlink(tmp);
	setenv("OMS_AMQP_PASSWORD_FILE", write_tmp("ab\0cd", 5), 1);
	ck_assert_int_eq(load(), -1);
	ck_assert_ptr_nonnull(strstr(err, "contains a NUL byte"));
	ck_assert_ptr_null(cfg.amqp_password);
}
END_TEST

static const char *const bad_ints[] = {
	"", "abc", "12x", " 5", "5 ", "0x10", "+5", "1e3", "5.0", "0",
	"1025", "-1", "99999999999999999999", "-99999999999999999999",
};

START_TEST(test_bad_ints)
{
	env_rejects("FCGI_PROCESSES", bad_ints[_i],
	    "OMS_FCGI_PROCESSES: must be an integer in 1..1024");
	ck_assert_int_gt(cfg.fcgi_processes, 0);
}
END_TEST

START_TEST(test_ranges)
{
	env_rejects("FCGI_MAX_REQUESTS", "2147483648",
	    "OMS_FCGI_MAX_REQUESTS: must be an integer in 0..2147483647");
	env_rejects("FCGI_MAX_REQUESTS", "-1",
	    "OMS_FCGI_MAX_REQUESTS: must be an integer in 0..2147483647");
	env_rejects("WORKER_PREFETCH", "-1",
	    "OMS_WORKER_PREFETCH: must be an integer in 0..65535");
	env_rejects("WORKER_PREFETCH", "65536",
	    "OMS_WORKER_PREFETCH: must be an integer in 0..65535");
	env_rejects("WORKER_INFLIGHT", "0",
	    "OMS_WORKER_INFLIGHT: must be an integer in 1..65535");
	env_rejects("PROVIDER_TIMEOUT_MS", "99",
	    "OMS_PROVIDER_TIMEOUT_MS: must be an integer in 100..600000");
	env_rejects("WORKER_PROCESSES", "0",
	    "OMS_WORKER_PROCESSES: must be an integer in 1..1024");
	env_rejects("MAX_BODY_BYTES", "0",
	    "OMS_MAX_BODY_BYTES: must be an integer in 1..67108864");
	env_rejects("PAYMENT_DELAY_MS", "20001",
	    "OMS_PAYMENT_DELAY_MS: must be an integer in 0..20000");
	env_rejects("FCGI_SOCKET_MODE", "0800",
	    "OMS_FCGI_SOCKET_MODE: must be an octal mode in 0..0777");
	env_rejects("FCGI_SOCKET_MODE", "1777",
	    "OMS_FCGI_SOCKET_MODE: must be an octal mode in 0..0777");
	setenv("OMS_FCGI_MAX_REQUESTS", "0", 1);
	ck_assert_int_eq(load(), 0);
	ck_assert_int_eq(cfg.fcgi_max_requests, 0);
}
END_TEST

START_TEST(test_bad_enums)
{
	env_rejects("LOG_LEVEL", "verbose",
	    "OMS_LOG_LEVEL: must be one of error, warn, info, debug");
	env_rejects("LOG_FORMAT", "xml", "OMS_LOG_FORMAT: must be text or json");
	env_rejects("FCGI_LISTEN", "", "OMS_FCGI_LISTEN: must not be empty");
	ck_assert_int_eq(cfg.log_level, LOG_LEVEL_INFO);
	ck_assert_str_eq(cfg.fcgi_listen, "/run/oms/fcgi.sock");
}
END_TEST

START_TEST(test_bad_urls)
{
	env_rejects("AMQP_URL", "redis://h",
	    "OMS_AMQP_URL: scheme must be one of: amqp");
	env_rejects("REDIS_URL", "amqp://h",
	    "OMS_REDIS_URL: scheme must be one of: redis unix redis-sentinel");
	env_rejects("REDIS_URL", "redis://h:0",
	    "OMS_REDIS_URL: port must be a number in 1..65535");
	env_rejects("REDIS_URL", "redis-sentinel://s1,s2",
	    "OMS_REDIS_URL: redis-sentinel URL needs /master-name");
	env_rejects("REDIS_MIN_REPLICAS", "17",
	    "OMS_REDIS_MIN_REPLICAS: must be an integer in 0..16");
	ck_assert_str_eq(cfg.redis_url, "redis://127.0.0.1:6379/0");
}
END_TEST

START_TEST(test_cluster_urls)
{
	setenv("OMS_REDIS_URL", "redis-sentinel://u@s1:26379,s2:26380/oms", 1);
	setenv("OMS_AMQP_URL", "amqp://u@h1:5672,h2:5673,h3/oms", 1);
	setenv("OMS_REDIS_MIN_REPLICAS", "1", 1);
	ck_assert_msg(cfg_load_env(&cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(cfg.redis_url, "redis-sentinel://u@s1:26379,"
	    "s2:26380/oms");
	ck_assert_str_eq(cfg.amqp_url, "amqp://u@h1:5672,h2:5673,h3/oms");
	ck_assert_int_eq(cfg.redis_min_replicas, 1);
}
END_TEST

START_TEST(test_non_secret_file_ignored)
{
	setenv("OMS_FCGI_PROCESSES_FILE", "/nonexistent", 1);
	setenv("OMS_LOG_LEVEL_FILE", "/nonexistent", 1);
	ck_assert_int_eq(load(), 0);
	unsetenv("OMS_FCGI_PROCESSES_FILE");
	unsetenv("OMS_LOG_LEVEL_FILE");
}
END_TEST

static const char *const leaky[][2] = {
	{ "OMS_AMQP_URL", "amqp://u:" SECRET "@h:99999/v" },
	{ "OMS_AMQP_URL", "amqp://u:" SECRET "@h/a/b" },
	{ "OMS_AMQP_URL", "redis://u:" SECRET "@h" },
	{ "OMS_REDIS_URL", "redis://:" SECRET "@h/x" },
	{ "OMS_REDIS_URL", "redis://:" SECRET "%zz@h" },
	{ "OMS_AMQP_URL", SECRET },
};

START_TEST(test_errors_hide_secrets)
{
	setenv(leaky[_i][0], leaky[_i][1], 1);
	ck_assert_int_eq(load(), -1);
	ck_assert_ptr_nonnull(strstr(err, leaky[_i][0]));
	ck_assert_msg(strstr(err, SECRET) == NULL, "leak: %s", err);
	unsetenv(leaky[_i][0]);
}
END_TEST

START_TEST(test_file_errors_hide_secrets)
{
	setenv("OMS_AMQP_URL_FILE", write_tmp("amqp://u:" SECRET "@h:0\n",
	    strlen("amqp://u:" SECRET "@h:0\n")), 1);
	ck_assert_int_eq(load(), -1);
	ck_assert_ptr_nonnull(strstr(err, "OMS_AMQP_URL_FILE"));
	ck_assert_msg(strstr(err, SECRET) == NULL, "leak: %s", err);
	ck_assert_str_eq(cfg.amqp_url, "amqp://127.0.0.1:5672/oms");
}
END_TEST

START_TEST(test_cfg_set)
{
	ck_assert_int_eq(cfg_set(&cfg, "FCGI_PROCESSES", "5", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(cfg.fcgi_processes, 5);
	ck_assert_int_eq(cfg_set(&cfg, "AMQP_PASSWORD", SECRET, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(cfg.amqp_password, SECRET);
	ck_assert_int_eq(cfg_set(&cfg, "AMQP_PASSWORD", cfg.amqp_password, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(cfg.amqp_password, SECRET);
	ck_assert_int_eq(cfg_set(&cfg, "LOG_FORMAT", "json", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(cfg.log_format, LOG_FORMAT_JSON);
	ck_assert_int_eq(cfg_set(&cfg, "FCGI_PROCESSES", "0", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "FCGI_PROCESSES: must be an integer in 1..1024");
	ck_assert_int_eq(cfg.fcgi_processes, 5);
}
END_TEST

START_TEST(test_cfg_set_unknown)
{
	ck_assert_int_eq(cfg_set(&cfg, "NO_SUCH", "1", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "unknown option NO_SUCH");
	ck_assert_int_eq(cfg_set(&cfg, "OMS_FCGI_PROCESSES", "1", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(cfg_set(&cfg, "WORKER_PREFETCH", NULL, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "WORKER_PREFETCH: missing value");
}
END_TEST

START_TEST(test_cfg_set_overrides_env)
{
	setenv("OMS_WORKER_PROCESSES", "4", 1);
	ck_assert_int_eq(load(), 0);
	ck_assert_int_eq(cfg.worker_processes, 4);
	ck_assert_int_eq(cfg_set(&cfg, "WORKER_PROCESSES", "9", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(cfg.worker_processes, 9);
}
END_TEST

/* A usage line fits 79 columns, or its only long part is a default path. */
static int
usage_line_ok(const char *line, size_t len)
{
	char buf[512];
	const char *d;

	if (len <= 79)
		return 1;
	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, line, len);
	buf[len] = '\0';
	d = strstr(buf, "(default: /");
	return d != NULL && strchr(d + 10, ' ') == NULL;
}

START_TEST(test_usage)
{
	char *buf = NULL, *line, *nl;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cfg_usage(f, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "  OMS_AMQP_URL=URL "));
	ck_assert_ptr_nonnull(strstr(buf, "(default: amqp://127.0.0.1:5672/oms)"));
	ck_assert_ptr_nonnull(strstr(buf, "  OMS_AMQP_PASSWORD_FILE=PATH "));
	ck_assert_ptr_nonnull(strstr(buf, "  OMS_REDIS_URL_FILE=PATH "));
	ck_assert_ptr_nonnull(strstr(buf, "2 x online CPUs"));
	ck_assert_ptr_nonnull(strstr(buf, "OMS_STOP_TIMEOUT_MS=MS"));
	ck_assert_ptr_nonnull(strstr(buf, "(default: 0660)"));
	ck_assert_ptr_null(strstr(buf, "OMS_LOG_LEVEL_FILE"));
	/* Lines fit 79 columns, but for a default that is one long word
	 * (the installed path of oms.lua, say), which is never split. */
	for (line = buf; *line != '\0'; line = nl + 1) {
		ck_assert_ptr_nonnull(nl = strchr(line, '\n'));
		ck_assert_msg(usage_line_ok(line, (size_t)(nl - line)),
		    "long line: %.*s", (int)(nl - line), line);
	}
	free(buf);
}
END_TEST

START_TEST(test_usage_filtered)
{
	static const char *const only[] = { "LOG_LEVEL", "REDIS_URL", NULL };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cfg_usage(f, only);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "OMS_LOG_LEVEL=LEVEL"));
	ck_assert_ptr_nonnull(strstr(buf, "OMS_REDIS_URL=URL"));
	ck_assert_ptr_null(strstr(buf, "OMS_AMQP_URL"));
	ck_assert_ptr_null(strstr(buf, "OMS_FCGI_PROCESSES"));
	free(buf);
}
END_TEST

START_TEST(test_log_redacts)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	log_init("t", LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	log_set_stream(f);
	ck_assert_int_eq(cfg_set(&cfg, "AMQP_URL", "amqp://oms:" SECRET
	    "@mq/v", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg_set(&cfg, "AMQP_PASSWORD", SECRET, err,
	    sizeof(err)), 0);
	cfg_log(&cfg);
	log_set_stream(NULL);
	fclose(f);
	ck_assert_ptr_null(strstr(buf, SECRET));
	ck_assert_ptr_nonnull(strstr(buf, " info: config: AMQP_URL="
	    "amqp://oms:***@mq/v AMQP_PASSWORD=(set) REDIS_URL="
	    "redis://127.0.0.1:6379/0 REDIS_PASSWORD=(unset) "));
	ck_assert_ptr_nonnull(strstr(buf, " FCGI_SOCKET_MODE=0660 "));
	ck_assert_ptr_nonnull(strstr(buf, " LOG_LEVEL=info LOG_FORMAT=text "));
	ck_assert_ptr_nonnull(strstr(buf, " MAX_BODY_BYTES=65536 "
	    "STOP_TIMEOUT_MS=8000 REQUIRE_PRICES=0 REQUIRE_ADDRESS=0\n"));
	free(buf);
}
END_TEST

START_TEST(test_clear)
{
	ck_assert_int_eq(cfg_set(&cfg, "REDIS_PASSWORD", "x", err,
	    sizeof(err)), 0);
	cfg_clear(&cfg);
	ck_assert_ptr_null(cfg.amqp_url);
	ck_assert_ptr_null(cfg.redis_password);
	ck_assert_ptr_null(cfg.fcgi_listen);
	ck_assert_int_eq(cfg.fcgi_processes, 0);
	cfg_clear(&cfg);	/* twice is harmless */
}
END_TEST

static Suite *
cfg_suite(void)
{
	Suite *s = suite_create("cfg");

#define ADD(name, fn) unit_add(s, name, fn, setup, teardown)
#define ADD_LOOP(name, fn, arr) unit_add_loop(s, name, fn, \
	    (int)(sizeof(arr) / sizeof(arr[0])), setup, teardown)
	ADD("defaults", test_defaults);
	ADD("empty_env", test_empty_env);
	ADD("env_override", test_env_override);
	ADD("secret_file", test_secret_file);
	ADD("url_file", test_url_file);
	ADD("empty_secret_file", test_empty_secret_file);
	ADD("both_set", test_both_set);
	ADD("unreadable_file", test_unreadable_file);
	ADD("bad_file_content", test_bad_file_content);
	ADD_LOOP("bad_ints", test_bad_ints, bad_ints);
	ADD("ranges", test_ranges);
	ADD("bad_enums", test_bad_enums);
	ADD("bad_urls", test_bad_urls);
	ADD("cluster_urls", test_cluster_urls);
	ADD("non_secret_file_ignored", test_non_secret_file_ignored);
	ADD_LOOP("errors_hide_secrets", test_errors_hide_secrets, leaky);
	ADD("file_errors_hide_secrets", test_file_errors_hide_secrets);
	ADD("cfg_set", test_cfg_set);
	ADD("cfg_set_unknown", test_cfg_set_unknown);
	ADD("cfg_set_overrides_env", test_cfg_set_overrides_env);
	ADD("usage", test_usage);
	ADD("usage_filtered", test_usage_filtered);
	ADD("log_redacts", test_log_redacts);
	ADD("clear", test_clear);
#undef ADD
#undef ADD_LOOP
	return s;
}

int
main(void)
{
	return unit_run(cfg_suite());
}
