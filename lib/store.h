/*
 * The Redis client of oms (the only module that includes hiredis). One
 * struct store per process, opened after fork; it reconnects lazily after
 * any error, since a hiredis context is unusable once it has failed.
 */
#ifndef OMS_STORE_H
#define OMS_STORE_H

#include "err.h"

struct store;

/* Creates an unconnected client for url (redis:// or unix://). password
 * overrides the URL's (may be NULL); default_user is used when the URL
 * names none. Returns NULL with a reason in err if the URL is invalid.
 * The caller owns the result; free it with store_free(). */
struct store	*store_new(const char *url, const char *password,
		    const char *default_user, int timeout_ms,
		    char *err, size_t errlen);
void		 store_free(struct store *st);

/* Connects if needed and sends PING. OMS_OK or OMS_EUNAVAIL. */
enum oms_err	 store_ping(struct store *st);

/* The last error, for logs; never contains the password. */
const char	*store_errstr(const struct store *st);

#endif
