/*
 * Inside the store module (lib/store.c, lib/store_reply.c): what its files
 * share and nobody else may use.
 */
#ifndef OMS_STORE_IMPL_H
#define OMS_STORE_IMPL_H

#include <hiredis/hiredis.h>

#include "store.h"

/* How a struct store_reply was allocated (its block member). */
#define STORE_BLOCK_PARTS	0	/* node, elem and str each on its own */
#define STORE_BLOCK_TREE	1	/* the node and all under it: one block */
#define STORE_BLOCK_NODE	2	/* each node with its str or elem */

/* Reader functions that build our replies (STORE_BLOCK_NODE) instead of
 * hiredis's: set as a context's reader->fn while reading replies, and
 * left set if the context is then freed (it frees a partial reply with
 * them). The replies are the caller's, freed with store_reply_free. */
extern redisReplyObjectFunctions store_reply_functions;

/* Deep-copies hr into one allocation; the caller owns the result (free it
 * with store_reply_free) and still owns hr. */
struct store_reply *store_reply_copy(const redisReply *hr);

#endif
