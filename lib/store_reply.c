/*
 * store_reply.c — replies of lib/store.c: hiredis's reply copied into ours
 * (so that no other module depends on hiredis) and freed. Part of the
 * store module, the only one that includes hiredis.
 *
 * A copy is one allocation: first every node and element array (sizes
 * that keep pointer alignment), then every string; store_reply_free()
 * frees the block at once. The pipeline of the list (50 HGETALLs) goes
 * further: hiredis's reader is handed store_reply_functions, so it builds
 * our replies itself, each node in one allocation with its string or its
 * element pointers, and hiredis allocates no reply object of its own
 * (docs/performance.md).
 */
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "store_impl.h"
#include "xmalloc.h"

void
store_reply_free(struct store_reply *r)
{
	if (r == NULL)
		return;
	if (r->block == STORE_BLOCK_TREE) {
		free(r);	/* everything under r is in it */
		return;
	}
	for (size_t i = 0; i < r->nelem; i++)
		store_reply_free(r->elem[i]);
	if (r->block != STORE_BLOCK_NODE) {
		free(r->elem);
		free(r->str);
	}
	free(r);
}

struct store_reply_layout {
	char	*nodes;		/* next node or element array */
	char	*strs;		/* next string */
};

/* Adds to *nodes and *strs the bytes the copy of hr needs. */
static void
store_reply_size(const redisReply *hr, size_t *nodes, size_t *strs)
{
	*nodes += sizeof(struct store_reply);
	switch (hr->type) {
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
	case REDIS_REPLY_ERROR:
		*strs += hr->len + 1;
		break;
	case REDIS_REPLY_ARRAY:
		*nodes += (hr->elements > 0 ? hr->elements : 1) *
		    sizeof(struct store_reply *);
		for (size_t i = 0; i < hr->elements; i++)
			store_reply_size(hr->element[i], nodes, strs);
		break;
	default:
		break;
	}
}

/* Copies hr into the block at l, which store_reply_size() measured. */
static struct store_reply *
store_reply_into(const redisReply *hr, struct store_reply_layout *l)
{
	struct store_reply *r = (struct store_reply *)(void *)l->nodes;

	l->nodes += sizeof(*r);
	memset(r, 0, sizeof(*r));
	switch (hr->type) {
	case REDIS_REPLY_STRING:
		r->type = STORE_STRING;
		break;
	case REDIS_REPLY_STATUS:
		r->type = STORE_STATUS;
		break;
	case REDIS_REPLY_ERROR:
		r->type = STORE_ERROR;
		break;
	case REDIS_REPLY_INTEGER:
		r->type = STORE_INTEGER;
		r->integer = hr->integer;
		return r;
	case REDIS_REPLY_ARRAY:
		r->type = STORE_ARRAY;
		r->nelem = hr->elements;
		r->elem = (struct store_reply **)(void *)l->nodes;
		l->nodes += (hr->elements > 0 ? hr->elements : 1) *
		    sizeof(*r->elem);
		for (size_t i = 0; i < hr->elements; i++)
			r->elem[i] = store_reply_into(hr->element[i], l);
		return r;
	default:
		r->type = STORE_NIL;
		return r;
	}
	r->len = hr->len;
	r->str = l->strs;
	l->strs += hr->len + 1;
	memcpy(r->str, hr->str, hr->len);
	r->str[hr->len] = '\0';
	return r;
}

struct store_reply *
store_reply_copy(const redisReply *hr)
{
	struct store_reply_layout l;
	struct store_reply *r;
	size_t nodes = 0, strs = 0;

	store_reply_size(hr, &nodes, &strs);
	l.nodes = xmalloc(nodes + strs);
	l.strs = l.nodes + nodes;
	r = store_reply_into(hr, &l);
	r->block = STORE_BLOCK_TREE;
	return r;
}

/* A node with room for extra bytes after it (its string or its element
 * pointers), linked into its parent array. */
static struct store_reply *
store_reply_node(const redisReadTask *task, enum store_type type,
    size_t extra)
{
	struct store_reply *r = xmalloc(sizeof(*r) + extra);

	memset(r, 0, sizeof(*r) + extra);
	r->type = type;
	r->block = STORE_BLOCK_NODE;
	if (task->parent != NULL) {
		struct store_reply *p = task->parent->obj;

		p->elem[task->idx] = r;
	}
	return r;
}

static void *
store_reply_fn_string(const redisReadTask *task, char *str, size_t len)
{
	struct store_reply *r = store_reply_node(task, task->type ==
	    REDIS_REPLY_ERROR ? STORE_ERROR : task->type == REDIS_REPLY_STATUS ?
	    STORE_STATUS : STORE_STRING, len + 1);

	r->str = (char *)(r + 1);
	r->len = len;
	memcpy(r->str, str, len);
	return r;
}

/* hiredis 1.x counts elements in a size_t, 0.14 (Debian 12) in an int. */
#if HIREDIS_MAJOR >= 1
typedef size_t	store_reply_count;
#else
typedef int	store_reply_count;
#endif

static void *
store_reply_fn_array(const redisReadTask *task, store_reply_count elements)
{
	size_t n = elements > 0 ? (size_t)elements : 0;
	struct store_reply *r = store_reply_node(task, STORE_ARRAY,
	    (n > 0 ? n : 1) * sizeof(struct store_reply *));

	r->elem = (struct store_reply **)(void *)(r + 1);
	r->nelem = n;
	return r;
}

static void *
store_reply_fn_integer(const redisReadTask *task, long long v)
{
	struct store_reply *r = store_reply_node(task, STORE_INTEGER, 0);

	r->integer = v;
	return r;
}

static void *
store_reply_fn_nil(const redisReadTask *task)
{
	return store_reply_node(task, STORE_NIL, 0);
}

static void
store_reply_fn_free(void *r)
{
	store_reply_free(r);
}

/* Not const: hiredis's reader takes a mutable pointer. */
redisReplyObjectFunctions store_reply_functions = {
	.createString = store_reply_fn_string,
	.createArray = store_reply_fn_array,
	.createInteger = store_reply_fn_integer,
	.createNil = store_reply_fn_nil,
	.freeObject = store_reply_fn_free,
};
