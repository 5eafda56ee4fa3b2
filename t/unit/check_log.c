/*
 * Unit tests for lib/log.c. Output goes to an open_memstream() stream
 * (log_set_stream) so each line can be inspected; JSON lines are parsed
 * back with json-c. fatal()/fatalx() and the stderr path run in a child
 * process that the test forks itself, so they work with CK_FORK=no too.
 */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "unit.h"

static FILE	*mem;
static char	*out;
static size_t	 outlen;

static void
setup(void)
{
	out = NULL;
	outlen = 0;
	mem = open_memstream(&out, &outlen);
	ck_assert_ptr_nonnull(mem);
	log_init("oms-test", LOG_LEVEL_DEBUG, LOG_FORMAT_TEXT);
	log_clear_fields();
	log_set_stream(mem);
}

static void
teardown(void)
{
	log_set_stream(NULL);
	fclose(mem);
	free(out);
}

static int
matches(const char *s, const char *re)
{
	regex_t	 r;
	int	 rc;

	ck_assert_int_eq(regcomp(&r, re, REG_EXTENDED | REG_NOSUB), 0);
	rc = regexec(&r, s, 0, NULL, 0);
	regfree(&r);
	return rc == 0;
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

/* Parses the single JSON line in out; the caller puts the result. */
static struct json_object *
parse_line(void)
{
	struct json_object *o;

	ck_assert_int_eq(count_lines(out), 1);
	ck_assert_int_eq(out[outlen - 1], '\n');
	o = json_tokener_parse(out);
	ck_assert_msg(o != NULL, "not JSON: %s", out);
	ck_assert(json_object_is_type(o, json_type_object));
	return o;
}

static const char *
member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

START_TEST(test_text_format)
{
	char re[256];

	log_info("hello %d", 42);
	snprintf(re, sizeof(re), "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
	    "[0-9]{2}\\.[0-9]{3}Z oms-test\\[%ld\\] info: hello 42\n$",
	    (long)getpid());
	ck_assert_msg(matches(out, re), "got: %s", out);
}
END_TEST

START_TEST(test_text_fields)
{
	log_set_field(LOG_FIELD_REQUEST_ID, "req-1");
	log_set_field(LOG_FIELD_ORDER_ID, "ord-9");
	log_warnx("x");
	ck_assert_msg(matches(out, " warn: x request_id=req-1 order_id=ord-9\n$"),
	    "got: %s", out);
	ck_assert_ptr_null(strstr(out, "command_id"));
}
END_TEST

START_TEST(test_clear_fields)
{
	log_set_field(LOG_FIELD_REQUEST_ID, "r");
	log_set_field(LOG_FIELD_COMMAND_ID, "c");
	log_set_field(LOG_FIELD_ORDER_ID, "o");
	log_set_field(LOG_FIELD_REQUEST_ID, NULL);
	log_set_field(LOG_FIELD_COMMAND_ID, "");
	log_info("one");
	ck_assert_ptr_null(strstr(out, "request_id"));
	ck_assert_ptr_null(strstr(out, "command_id"));
	ck_assert_ptr_nonnull(strstr(out, "order_id=o"));
	log_clear_fields();
	log_info("two");
	ck_assert_msg(matches(out, "info: two\n$"), "got: %s", out);
}
END_TEST

START_TEST(test_json_format)
{
	struct json_object *o, *pid;

	log_init("oms-fcgi", LOG_LEVEL_DEBUG, LOG_FORMAT_JSON);
	log_set_field(LOG_FIELD_REQUEST_ID, "abc");
	log_info("started %s", "ok");
	ck_assert_msg(matches(out, "^\\{\"ts\":\"[0-9T:.-]+Z\",\"prog\":"
	    "\"oms-fcgi\",\"pid\":[0-9]+,\"level\":\"info\",\"msg\":"
	    "\"started ok\",\"request_id\":\"abc\"\\}\n$"), "got: %s", out);
	o = parse_line();
	ck_assert_str_eq(member(o, "prog"), "oms-fcgi");
	ck_assert_str_eq(member(o, "level"), "info");
	ck_assert_str_eq(member(o, "msg"), "started ok");
	ck_assert_str_eq(member(o, "request_id"), "abc");
	ck_assert(json_object_object_get_ex(o, "pid", &pid));
	ck_assert(json_object_is_type(pid, json_type_int));
	ck_assert_int_eq(json_object_get_int(pid), getpid());
	ck_assert_ptr_null(member(o, "order_id"));
	json_object_put(o);
}
END_TEST

START_TEST(test_json_escaping)
{
	struct json_object *o;
	const char *msg = "say \"hi\"\\ back\nline2\ttab\x01\x1f\x7f/";

	log_init("t", LOG_LEVEL_INFO, LOG_FORMAT_JSON);
	log_info("%s", msg);
	ck_assert_ptr_nonnull(strstr(out, "say \\\"hi\\\"\\\\ back\\nline2\\ttab"
	    "\\u0001\\u001f\\u007f/"));
	o = parse_line();
	ck_assert_str_eq(member(o, "msg"), msg);
	json_object_put(o);
}
END_TEST

START_TEST(test_json_field_escaping)
{
	struct json_object *o;

	log_init("t", LOG_LEVEL_INFO, LOG_FORMAT_JSON);
	log_set_field(LOG_FIELD_COMMAND_ID, "a\"b\\c\nd");
	log_info("m");
	o = parse_line();
	/* control characters are replaced when the field is set */
	ck_assert_str_eq(member(o, "command_id"), "a\"b\\c?d");
	json_object_put(o);
}
END_TEST

START_TEST(test_json_utf8)
{
	struct json_object *o;

	log_init("t", LOG_LEVEL_INFO, LOG_FORMAT_JSON);
	log_info("caf\xc3\xa9 bad:\xff\xc0\x80 cut:\xe2\x82");
	ck_assert_ptr_nonnull(strstr(out, "caf\xc3\xa9 "));
	ck_assert_ptr_nonnull(strstr(out,
	    "bad:\\ufffd\\ufffd\\ufffd cut:\\ufffd\\ufffd"));
	o = parse_line();
	ck_assert_str_eq(member(o, "msg"),
	    "caf\xc3\xa9 bad:\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	    " cut:\xef\xbf\xbd\xef\xbf\xbd");
	json_object_put(o);
}
END_TEST

START_TEST(test_text_escaping)
{
	log_info("a\nb\rc\td\x01" "e");
	ck_assert_int_eq(count_lines(out), 1);
	ck_assert_msg(matches(out, "info: a\\\\nb\\\\rc\\\\td\\\\x01e\n$"),
	    "got: %s", out);
}
END_TEST

START_TEST(test_threshold)
{
	log_init("t", LOG_LEVEL_WARN, LOG_FORMAT_TEXT);
	log_debug("d");
	log_info("i");
	ck_assert_uint_eq(outlen, 0);
	log_warnx("w");
	log_error("e");
	ck_assert_int_eq(count_lines(out), 2);
	ck_assert_ptr_nonnull(strstr(out, "warn: w\n"));
	ck_assert_ptr_nonnull(strstr(out, "error: e\n"));
}
END_TEST

START_TEST(test_threshold_error)
{
	log_init("t", LOG_LEVEL_ERROR, LOG_FORMAT_TEXT);
	errno = EIO;
	log_warn("w");
	log_warnx("w");
	ck_assert_uint_eq(outlen, 0);
	log_error("only");
	ck_assert_int_eq(count_lines(out), 1);
}
END_TEST

START_TEST(test_debug_level)
{
	log_debug("dbg %s", "x");
	ck_assert_msg(matches(out, " debug: dbg x\n$"), "got: %s", out);
}
END_TEST

START_TEST(test_warn_errno)
{
	errno = ENOENT;
	log_warn("open %s", "/nope");
	ck_assert_msg(matches(out, "warn: open /nope: No such file or "
	    "directory\n$"), "got: %s", out);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(test_warnx_no_errno)
{
	errno = ENOENT;
	log_warnx("plain");
	ck_assert_msg(matches(out, "warn: plain\n$"), "got: %s", out);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(test_truncation_text)
{
	char *big = malloc(10001);

	memset(big, 'a', 10000);
	big[10000] = '\0';
	log_info("%s", big);
	free(big);
	ck_assert_int_eq(count_lines(out), 1);
	ck_assert_uint_lt(outlen, 4096 + 128);
	ck_assert_msg(matches(out, "aaa\\.\\.\\.\n$"), "tail: %s",
	    out + outlen - 20);
}
END_TEST

START_TEST(test_truncation_utf8)
{
	struct json_object *o;
	char *big = malloc(6001);
	const char *msg;
	size_t i, n;

	for (i = 0; i < 6000; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[6000] = '\0';
	/* one ASCII byte first so the cut falls inside a sequence */
	log_init("t", LOG_LEVEL_INFO, LOG_FORMAT_JSON);
	log_info("x%s", big);
	free(big);
	ck_assert_ptr_null(strstr(out, "\\ufffd"));
	o = parse_line();
	msg = member(o, "msg");
	n = strlen(msg);
	ck_assert_uint_le(n, 4095);
	ck_assert_uint_gt(n, 4000);
	ck_assert_str_eq(msg + n - 5, "\xc3\xa9...");
	json_object_put(o);
}
END_TEST

START_TEST(test_field_truncation)
{
	char id[101], want[80];

	memset(id, 'x', 100);
	id[100] = '\0';
	log_set_field(LOG_FIELD_ORDER_ID, id);
	log_info("m");
	snprintf(want, sizeof(want), "order_id=%.64s\n", id);
	ck_assert_msg(strstr(out, want) != NULL, "got: %s", out);
	ck_assert_ptr_null(strstr(out, "order_id=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
}
END_TEST

START_TEST(test_field_control_chars)
{
	log_set_field(LOG_FIELD_REQUEST_ID, "a\nb\x1b[31m");
	log_info("m");
	ck_assert_int_eq(count_lines(out), 1);
	ck_assert_ptr_nonnull(strstr(out, "request_id=a?b?[31m\n"));
}
END_TEST

START_TEST(test_parse_level)
{
	enum log_level l = LOG_LEVEL_INFO;

	ck_assert_int_eq(log_parse_level("debug", &l), 0);
	ck_assert_int_eq(l, LOG_LEVEL_DEBUG);
	ck_assert_int_eq(log_parse_level("error", &l), 0);
	ck_assert_int_eq(l, LOG_LEVEL_ERROR);
	ck_assert_int_eq(log_parse_level("warn", &l), 0);
	ck_assert_int_eq(l, LOG_LEVEL_WARN);
	ck_assert_int_eq(log_parse_level("info", &l), 0);
	ck_assert_int_eq(l, LOG_LEVEL_INFO);
	ck_assert_int_eq(log_parse_level("INFO", &l), -1);
	ck_assert_int_eq(log_parse_level("warning", &l), -1);
	ck_assert_int_eq(log_parse_level("", &l), -1);
	ck_assert_int_eq(log_parse_level(NULL, &l), -1);
	ck_assert_int_eq(l, LOG_LEVEL_INFO);
	ck_assert_str_eq(log_level_name(LOG_LEVEL_WARN), "warn");
	ck_assert_str_eq(log_level_name((enum log_level)99), "unknown");
}
END_TEST

START_TEST(test_parse_format)
{
	enum log_format f = LOG_FORMAT_TEXT;

	ck_assert_int_eq(log_parse_format("json", &f), 0);
	ck_assert_int_eq(f, LOG_FORMAT_JSON);
	ck_assert_int_eq(log_parse_format("text", &f), 0);
	ck_assert_int_eq(f, LOG_FORMAT_TEXT);
	ck_assert_int_eq(log_parse_format("JSON", &f), -1);
	ck_assert_int_eq(log_parse_format("xml", &f), -1);
	ck_assert_int_eq(log_parse_format(NULL, &f), -1);
}
END_TEST

START_TEST(test_json_levels)
{
	struct json_object *o;

	log_init("t", LOG_LEVEL_DEBUG, LOG_FORMAT_JSON);
	log_error("e");
	o = parse_line();
	ck_assert_str_eq(member(o, "level"), "error");
	json_object_put(o);
}
END_TEST

START_TEST(test_one_line_per_call)
{
	log_info("a");
	log_info("b");
	log_debug("c");
	ck_assert_int_eq(count_lines(out), 3);
}
END_TEST

START_TEST(test_default_progname)
{
	log_init(NULL, LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	log_info("m");
	ck_assert_msg(matches(out, "Z oms\\[[0-9]+\\] info: m\n$"), "got: %s",
	    out);
}
END_TEST

/* Runs fn in a child whose log goes to a pipe (as stderr when to_stderr)
 * and returns what it wrote; *status receives the wait status. */
static char *
run_child(void (*fn)(void), int to_stderr, int *status)
{
	static char	 buf[8192];
	size_t		 len = 0;
	ssize_t		 n;
	pid_t		 pid;
	int		 p[2];

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		close(p[0]);
		if (to_stderr) {
			dup2(p[1], STDERR_FILENO);
			log_set_stream(NULL);
		} else
			log_set_stream(fdopen(p[1], "w"));
		fn();
		_exit(0);
	}
	close(p[1]);
	while (len < sizeof(buf) - 1 &&
	    (n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, status, 0), pid);
	return buf;
}

static void
child_fatalx(void)
{
	fatalx("boom %d", 7);
}

static void
child_fatal(void)
{
	errno = EACCES;
	fatal("cannot bind");
}

static void
child_stderr(void)
{
	log_info("via write");
}

START_TEST(test_fatalx)
{
	int status;
	char *s = run_child(child_fatalx, 0, &status);

	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 1);
	ck_assert_msg(matches(s, " error: fatal: boom 7\n$"), "got: %s", s);
}
END_TEST

START_TEST(test_fatal_errno)
{
	int status;
	char *s = run_child(child_fatal, 0, &status);

	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 1);
	ck_assert_msg(matches(s, "fatal: cannot bind: Permission denied\n$"),
	    "got: %s", s);
}
END_TEST

START_TEST(test_stderr_default)
{
	int status;
	char *s = run_child(child_stderr, 1, &status);

	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_msg(matches(s, "^[^\n]* oms-test\\[[0-9]+\\] info: via "
	    "write\n$"), "got: %s", s);
	ck_assert_uint_eq(outlen, 0);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");

#define ADD(name, fn) unit_add(s, name, fn, setup, teardown)
	ADD("text_format", test_text_format);
	ADD("text_fields", test_text_fields);
	ADD("clear_fields", test_clear_fields);
	ADD("json_format", test_json_format);
	ADD("json_escaping", test_json_escaping);
	ADD("json_field_escaping", test_json_field_escaping);
	ADD("json_utf8", test_json_utf8);
	ADD("text_escaping", test_text_escaping);
	ADD("threshold", test_threshold);
	ADD("threshold_error", test_threshold_error);
	ADD("debug_level", test_debug_level);
	ADD("warn_errno", test_warn_errno);
	ADD("warnx_no_errno", test_warnx_no_errno);
	ADD("truncation_text", test_truncation_text);
	ADD("truncation_utf8", test_truncation_utf8);
	ADD("field_truncation", test_field_truncation);
	ADD("field_control_chars", test_field_control_chars);
	ADD("parse_level", test_parse_level);
	ADD("parse_format", test_parse_format);
	ADD("json_levels", test_json_levels);
	ADD("one_line_per_call", test_one_line_per_call);
	ADD("default_progname", test_default_progname);
	ADD("fatalx", test_fatalx);
	ADD("fatal_errno", test_fatal_errno);
	ADD("stderr_default", test_stderr_default);
#undef ADD
	return s;
}

int
main(void)
{
	return unit_run(log_suite());
}
