/*
 * The idempotency store of oms-provider-sim: per (endpoint, key), the
 * request that first used the key and the answer it got. A repeat with
 * an equal request gets that answer again; with another request it is a
 * conflict; while the first answer is still held back (a simulated delay)
 * the key is in progress. Entries live until the store is freed. Not
 * thread-safe: one thread (the HTTP loop) uses it.
 */
#ifndef OMS_SIM_IDEM_H
#define OMS_SIM_IDEM_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "sim.h"

struct idem;

enum idem_result {
	IDEM_NEW = 0,		/* the key is unknown: do the call */
	IDEM_REPLAY,		/* answer the stored status and body */
	IDEM_IN_PROGRESS,	/* the first call's answer is not out yet */
	IDEM_CONFLICT		/* the key was used with another request */
};

/* The stored answer of a key; borrowed from the store. */
struct idem_answer {
	int		 status;
	const char	*body;
	size_t		 body_len;
};

/* Returns a new empty store; free it with idem_free(). */
struct idem	*idem_new(void);
void		 idem_free(struct idem *st);

/* Looks up (ep, key) for request (compared with json_object_equal(): the
 * same members and values, in any order). On IDEM_REPLAY *ans is filled
 * with the stored answer. now_ms is clock_ms(). */
enum idem_result idem_check(struct idem *st, enum sim_endpoint ep,
	    const char *key, struct json_object *request, int64_t now_ms,
	    struct idem_answer *ans);

/* Stores the answer of a new key: status and body (copied), sent at
 * due_ms (until then the key is in progress). Takes a reference of
 * request (the caller keeps its own). A key already stored is replaced. */
void	idem_put(struct idem *st, enum sim_endpoint ep, const char *key,
	    struct json_object *request, int status, const char *body,
	    size_t body_len, int64_t due_ms);

/* Keys stored. */
size_t	idem_count(const struct idem *st);

#endif
