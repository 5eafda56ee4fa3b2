/*
 * Logging for every oms process, modelled on OpenBSD's log.c: log_warn,
 * log_warnx, log_info, log_debug, fatal and fatalx, plus log_error. Each
 * call produces exactly one line on stderr, either as text
 *   2026-11-25T11:00:00.123Z oms-fcgi[123] info: message request_id=abc
 * or as one JSON object per line
 *   {"ts":"...","prog":"oms-fcgi","pid":123,"level":"info","msg":"...",
 *    "request_id":"abc"}
 * The message is cut at LOG_MSG_MAX bytes (on a UTF-8 boundary, marked with
 * "..."); control characters never reach the output raw, so a line cannot
 * be split or forged, and JSON output is always valid UTF-8. The line is
 * assembled in a bounded buffer and written with one write(2), so lines of
 * pre-forked processes sharing stderr do not interleave (atomic on a pipe
 * up to PIPE_BUF bytes). The context fields (request_id, ...) are the
 * calling thread's (thread-local: an oms-fcgi child serves several requests
 * at once, one per thread); the level, format and stream are set once at
 * start-up and only read afterwards. Every entry point preserves errno.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_MSG_MAX	4096	/* bytes of formatted message, with NUL */
#define LOG_FIELD_LEN	64	/* bytes of a context field value */
#define LOG_PROG_LEN	64	/* bytes of the program name written */
#define LOG_LINE_MAX	32768	/* worst case: every byte escaped as \u00XX */

struct log_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;		/* bytes usable for content, without "}\n" */
};

static const char	*log_prog = "oms";
static enum log_level	 log_threshold = LOG_LEVEL_INFO;
static enum log_format	 log_fmt = LOG_FORMAT_TEXT;
static FILE		*log_stream;	/* NULL: write(2) to stderr */
static _Thread_local char log_fields[LOG_FIELD_MAX][LOG_FIELD_LEN + 1];

static const char *const log_field_names[LOG_FIELD_MAX] = {
	[LOG_FIELD_REQUEST_ID] = "request_id",
	[LOG_FIELD_COMMAND_ID] = "command_id",
	[LOG_FIELD_ORDER_ID] = "order_id",
	[LOG_FIELD_ACTOR] = "key_id",
};

static const char *const log_level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void
log_init(const char *progname, enum log_level level, enum log_format fmt)
{
	log_prog = (progname != NULL && *progname != '\0') ? progname : "oms";
	log_threshold = level;
	log_fmt = fmt;
}

void
log_set_stream(FILE *stream)
{
	log_stream = stream;
}

void
log_set_field(enum log_field field, const char *value)
{
	char	*dst;
	size_t	 i;

	if ((unsigned int)field >= LOG_FIELD_MAX)
		return;
	dst = log_fields[field];
	if (value == NULL)
		value = "";
	for (i = 0; i < LOG_FIELD_LEN && value[i] != '\0'; i++) {
		unsigned char c = (unsigned char)value[i];

		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[i] = '\0';
}

void
log_clear_fields(void)
{
	memset(log_fields, 0, sizeof(log_fields));
}

int
log_parse_level(const char *s, enum log_level *out)
{
	size_t	 i;

	for (i = 0; s != NULL && i < sizeof(log_level_names) /
	    sizeof(log_level_names[0]); i++) {
		if (strcmp(s, log_level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int
log_parse_format(const char *s, enum log_format *out)
{
	if (s != NULL && strcmp(s, "text") == 0)
		*out = LOG_FORMAT_TEXT;
	else if (s != NULL && strcmp(s, "json") == 0)
		*out = LOG_FORMAT_JSON;
	else
		return -1;
	return 0;
}

/* Returns a static name; "unknown" for an out-of-range level. */
const char *
log_level_name(enum log_level level)
{
	if ((unsigned int)level > LOG_LEVEL_DEBUG)
		return "unknown";
	return log_level_names[level];
}

/* Appends n bytes as one unit, or nothing if they do not fit. */
static void
log_add(struct log_buf *b, const char *s, size_t n)
{
	if (n > b->cap - b->len)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void
log_adds(struct log_buf *b, const char *s)
{
	log_add(b, s, strlen(s));
}

/* Returns the length of the valid UTF-8 sequence at s (n > 0 bytes
 * available), or 0 if it is invalid: overlong, surrogate, > U+10FFFF or
 * truncated (RFC 3629, section 4). */
static size_t
log_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	size_t		 need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2)
		return 0;
	if (s[0] < 0xe0)
		need = 2;
	else if (s[0] < 0xf0) {
		need = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] < 0xf5) {
		need = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return need;
}

/* Appends s escaped for the current format: as the inside of a JSON
 * string (RFC 8259, section 7; invalid UTF-8 becomes U+FFFD), or for text
 * with control characters written as \n, \r, \t or \xNN. */
static void
log_add_escaped(struct log_buf *b, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = strlen(s), k;
	char			 esc[8];

	while (n > 0) {
		if (*p == '\n')
			log_add(b, "\\n", 2);
		else if (*p == '\r')
			log_add(b, "\\r", 2);
		else if (*p == '\t')
			log_add(b, "\\t", 2);
		else if (*p < 0x20 || *p == 0x7f) {
			if (log_fmt == LOG_FORMAT_JSON)
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
			else
				snprintf(esc, sizeof(esc), "\\x%02x", *p);
			log_adds(b, esc);
		} else if (log_fmt == LOG_FORMAT_TEXT)
			log_add(b, (const char *)p, 1);
		else if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			log_add(b, esc, 2);
		} else if ((k = log_utf8_len(p, n)) == 0)
			log_add(b, "\\ufffd", 6);
		else {
			log_add(b, (const char *)p, k);
			p += k - 1;
			n -= k - 1;
		}
		p++;
		n--;
	}
}

/* Writes the current UTC time as 2026-11-25T11:00:00.123Z. */
static void
log_timestamp(char *buf, size_t len)
{
	struct timespec	 ts;
	struct tm	 tm;
	size_t		 n;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    (n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm)) == 0) {
		snprintf(buf, len, "1970-01-01T00:00:00.000Z");
		return;
	}
	snprintf(buf + n, len - n, ".%03uZ",
	    (unsigned int)(ts.tv_nsec / 1000000L) % 1000u);
}

/* Cuts msg (NUL-terminated, in a LOG_MSG_MAX buffer that overflowed) so
 * that "..." fits, without leaving an incomplete UTF-8 sequence: if the
 * last kept bytes are the start of a sequence longer than what is kept,
 * they are dropped. */
static void
log_truncate(char *msg)
{
	const unsigned char	*m = (const unsigned char *)msg;
	size_t			 len = LOG_MSG_MAX - 4, back = 0, need;

	while (back < 3 && (m[len - back - 1] & 0xc0) == 0x80)
		back++;
	need = m[len - back - 1] >= 0xf0 ? 4 : m[len - back - 1] >= 0xe0 ? 3 :
	    m[len - back - 1] >= 0xc0 ? 2 : 1;
	if (need > back + 1)
		len -= back + 1;
	memcpy(msg + len, "...", 4);
}

/* Sends one finished line to the log stream. */
static void
log_emit(const char *line, size_t len)
{
	if (log_stream != NULL) {
		fwrite(line, 1, len, log_stream);
		fflush(log_stream);
		return;
	}
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, line, len);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			return;
		}
		line += n;
		len -= (size_t)n;
	}
}

/* Formats and emits one line at level. prefix (may be NULL) goes before
 * the message; errnum >= 0 appends ": strerror(errnum)". */
static void
log_vlog(enum log_level level, const char *prefix, int errnum,
    const char *fmt, va_list ap)
{
	char		 line[LOG_LINE_MAX], msg[LOG_MSG_MAX], ts[40];
	char		 prog[LOG_PROG_LEN + 1], pid[24];
	struct log_buf	 b = { line, 0, sizeof(line) - 3 };
	size_t		 i;
	int		 n, saved = errno;
	int		 json = (log_fmt == LOG_FORMAT_JSON);

	if (level > log_threshold)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		snprintf(msg, sizeof(msg), "(bad log format)");
	else if ((size_t)n >= sizeof(msg))
		log_truncate(msg);
	log_timestamp(ts, sizeof(ts));
	snprintf(prog, sizeof(prog), "%s", log_prog);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());

	log_adds(&b, json ? "{\"ts\":\"" : "");
	log_adds(&b, ts);
	log_adds(&b, json ? "\",\"prog\":\"" : " ");
	log_add_escaped(&b, prog);
	log_adds(&b, json ? "\",\"pid\":" : "[");
	log_adds(&b, pid);
	log_adds(&b, json ? ",\"level\":\"" : "] ");
	log_adds(&b, log_level_name(level));
	log_adds(&b, json ? "\",\"msg\":\"" : ": ");
	if (prefix != NULL)
		log_add_escaped(&b, prefix);
	log_add_escaped(&b, msg);
	if (errnum >= 0) {
		log_adds(&b, ": ");
		log_add_escaped(&b, strerror(errnum));
	}
	if (json)
		log_adds(&b, "\"");
	for (i = 0; i < LOG_FIELD_MAX; i++) {
		if (log_fields[i][0] == '\0')
			continue;
		log_adds(&b, json ? ",\"" : " ");
		log_adds(&b, log_field_names[i]);
		log_adds(&b, json ? "\":\"" : "=");
		log_add_escaped(&b, log_fields[i]);
		if (json)
			log_adds(&b, "\"");
	}
	/* cap left room for these three bytes */
	if (json)
		line[b.len++] = '}';
	line[b.len++] = '\n';
	log_emit(line, b.len);
	errno = saved;
}

void
log_error(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vlog(LOG_LEVEL_ERROR, NULL, -1, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vlog(LOG_LEVEL_WARN, NULL, saved, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vlog(LOG_LEVEL_WARN, NULL, -1, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vlog(LOG_LEVEL_INFO, NULL, -1, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vlog(LOG_LEVEL_DEBUG, NULL, -1, fmt, ap);
	va_end(ap);
}

/* Logs at error level with a "fatal: " prefix and strerror(errno), then
 * exits with status 1. */
void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vlog(LOG_LEVEL_ERROR, "fatal: ", saved, fmt, ap);
	va_end(ap);
	exit(1);
}

/* As fatal(), without strerror(errno). */
void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vlog(LOG_LEVEL_ERROR, "fatal: ", -1, fmt, ap);
	va_end(ap);
	exit(1);
}
