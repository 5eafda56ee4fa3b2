/*
 * The records of oms-provider-sim: every charge, refund, shipment and void
 * it made, as JSON objects in the order they were made, so that tests and
 * the soak can count what the providers did (two charge records for one
 * orderId is a double charge). Kept in memory until the process ends.
 * Not thread-safe: one thread (the HTTP loop) uses it.
 */
#ifndef OMS_SIM_RECORDS_H
#define OMS_SIM_RECORDS_H

#include <stddef.h>
#include <json-c/json.h>

#include "sim.h"

#define RECORDS_ID_SIZE	32	/* "ch_" and 24 hex digits, with the NUL */

struct records;

/* Returns a new empty set; free it with records_free(). */
struct records	*records_new(void);
void		 records_free(struct records *rs);

/* Writes prefix followed by 24 hex digits to out: 8 random to this run,
 * then a counter, so ids never repeat within a run and hardly across. */
void	records_new_id(struct records *rs, const char *prefix,
	    char out[RECORDS_ID_SIZE]);

/* Appends rec (an object with at least "id" and "orderId") to the list
 * of ep; takes the caller's reference. */
void	records_add(struct records *rs, enum sim_endpoint ep,
	    struct json_object *rec);

/* Returns the record of ep whose "id" is id (borrowed), or NULL. */
struct json_object *records_find(const struct records *rs,
	    enum sim_endpoint ep, const char *id);

/* Returns a new array (owned) of the records of ep whose "orderId" is
 * order_id, or all of them when order_id is NULL. */
struct json_object *records_list(const struct records *rs,
	    enum sim_endpoint ep, const char *order_id);

/* Records of ep. */
size_t	records_count(const struct records *rs, enum sim_endpoint ep);

#endif
