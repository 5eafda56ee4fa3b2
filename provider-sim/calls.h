/*
 * The provider calls of oms-provider-sim, in the order a gateway meets
 * them: a 503 window, a drawn 500, the Bearer token, the Idempotency-Key,
 * the body, the idempotency store, then the business (charge or decline,
 * refund, book, void) with its record, held for the API's delay. Not
 * thread-safe: the HTTP loop's one thread calls it.
 */
#ifndef OMS_SIM_CALLS_H
#define OMS_SIM_CALLS_H

#include <json-c/json.h>

#include "faults.h"
#include "records.h"
#include "routes.h"
#include "sim.h"

struct calls;

/* Returns the calls' state (store, records, faults, counters); the tokens
 * of rc are copied. Free with calls_free(). */
struct calls	*calls_new(const struct routes_config *rc);
void		 calls_free(struct calls *c);

/* Answers a POST to ep; shipment_id is the {id} of a void, else NULL. */
void	calls_handle(struct calls *c, enum sim_endpoint ep,
	    const char *shipment_id, const struct sim_request *req,
	    struct sim_response *resp);

/* Borrowed parts, for the record lists and /_sim/config. */
struct records	*calls_records(struct calls *c);
struct faults	*calls_faults(struct calls *c);

/* Returns a new object (owned): per endpoint the calls by outcome, the
 * records and the keys stored. */
struct json_object *calls_stats(const struct calls *c);

#endif
