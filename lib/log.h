/*
 * Logging to stderr, one line per event, as text or JSON. Every line
 * carries the program name, pid, level and, when set, the request id,
 * command id and order id of the work in hand. Callers never pass secrets
 * (API keys, passwords, URLs with passwords: see url_redact()).
 */
#ifndef OMS_LOG_H
#define OMS_LOG_H

#include <stdio.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

enum log_format {
	LOG_FORMAT_TEXT = 0,
	LOG_FORMAT_JSON
};

/* Context fields carried by every line until changed or cleared. */
enum log_field {
	LOG_FIELD_REQUEST_ID = 0,
	LOG_FIELD_COMMAND_ID,
	LOG_FIELD_ORDER_ID,
	LOG_FIELD_ACTOR,	/* the API key id (never the key) */
	LOG_FIELD_MAX
};

/* Sets the program name, threshold and format. progname is borrowed and
 * must outlive the log (pass a string literal or argv[0]'s basename). */
void	log_init(const char *progname, enum log_level level, enum log_format fmt);

/* Sends output to stream instead of stderr (tests); NULL restores stderr. */
void	log_set_stream(FILE *stream);

/* Sets a context field (copied, truncated to 64 bytes; control characters
 * replaced); NULL or "" clears it. */
void	log_set_field(enum log_field field, const char *value);
void	log_clear_fields(void);

/* Parse "error|warn|info|debug" / "text|json". Return 0, or -1 if unknown. */
int	log_parse_level(const char *s, enum log_level *out);
int	log_parse_format(const char *s, enum log_format *out);
const char *log_level_name(enum log_level level);

/* log_warn and fatal append ": strerror(errno)". */
void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
