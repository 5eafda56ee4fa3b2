/*
 * Inside the store module (lib/store.c, lib/store_reply.c): what its files
 * share and nobody else may use.
 */
#ifndef OMS_STORE_IMPL_H
#define OMS_STORE_IMPL_H

#include <hiredis/hiredis.h>

#include "store.h"

/* Deep-copies hr into one allocation; the caller owns the result (free it
 * with store_reply_free) and still owns hr. */
struct store_reply *store_reply_copy(const redisReply *hr);

#endif
