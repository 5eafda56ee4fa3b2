/*
 * idem.c — the idempotency store (see idem.h): a chained hash table keyed
 * by endpoint and Idempotency-Key (FNV-1a), doubled when it holds more
 * entries than buckets. Each entry owns a reference to the request that
 * first used the key and a copy of the answer.
 */
#include <stdlib.h>
#include <string.h>

#include "idem.h"
#include "xmalloc.h"

#define IDEM_BUCKETS_MIN	1024

struct idem_entry {
	struct idem_entry	*next;
	enum sim_endpoint	 ep;
	char			*key;
	struct json_object	*request;	/* owned */
	int			 status;
	char			*body;
	size_t			 body_len;
	int64_t			 due_ms;
	uint32_t		 hash;
};

struct idem {
	struct idem_entry	**buckets;
	size_t			 nbuckets;	/* a power of two */
	size_t			 count;
};

static uint32_t
idem_hash(enum sim_endpoint ep, const char *key)
{
	uint32_t h = 2166136261u;

	h = (h ^ (uint32_t)ep) * 16777619u;
	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h;
}

struct idem *
idem_new(void)
{
	struct idem *st = xcalloc(1, sizeof(*st));

	st->nbuckets = IDEM_BUCKETS_MIN;
	st->buckets = xcalloc(st->nbuckets, sizeof(*st->buckets));
	return st;
}

static void
idem_entry_free(struct idem_entry *e)
{
	json_object_put(e->request);
	free(e->key);
	free(e->body);
	free(e);
}

void
idem_free(struct idem *st)
{
	struct idem_entry *e, *next;
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nbuckets; i++)
		for (e = st->buckets[i]; e != NULL; e = next) {
			next = e->next;
			idem_entry_free(e);
		}
	free(st->buckets);
	free(st);
}

static struct idem_entry **
idem_slot(struct idem *st, enum sim_endpoint ep, const char *key, uint32_t h)
{
	struct idem_entry **p;

	for (p = &st->buckets[h & (st->nbuckets - 1)]; *p != NULL;
	    p = &(*p)->next)
		if ((*p)->hash == h && (*p)->ep == ep &&
		    strcmp((*p)->key, key) == 0)
			break;
	return p;
}

enum idem_result
idem_check(struct idem *st, enum sim_endpoint ep, const char *key,
    struct json_object *request, int64_t now_ms, struct idem_answer *ans)
{
	struct idem_entry *e = *idem_slot(st, ep, key, idem_hash(ep, key));

	if (e == NULL)
		return IDEM_NEW;
	if (!json_object_equal(e->request, request))
		return IDEM_CONFLICT;
	if (now_ms < e->due_ms)
		return IDEM_IN_PROGRESS;
	ans->status = e->status;
	ans->body = e->body;
	ans->body_len = e->body_len;
	return IDEM_REPLAY;
}

static void
idem_grow(struct idem *st)
{
	struct idem_entry **old = st->buckets, *e, *next;
	size_t i, n = st->nbuckets;

	st->nbuckets = n * 2;
	st->buckets = xcalloc(st->nbuckets, sizeof(*st->buckets));
	for (i = 0; i < n; i++)
		for (e = old[i]; e != NULL; e = next) {
			next = e->next;
			e->next = st->buckets[e->hash & (st->nbuckets - 1)];
			st->buckets[e->hash & (st->nbuckets - 1)] = e;
		}
	free(old);
}

void
idem_put(struct idem *st, enum sim_endpoint ep, const char *key,
    struct json_object *request, int status, const char *body,
    size_t body_len, int64_t due_ms)
{
	uint32_t h = idem_hash(ep, key);
	struct idem_entry **p = idem_slot(st, ep, key, h), *e;

	if ((e = *p) != NULL) {
		*p = e->next;
		idem_entry_free(e);
		st->count--;
	}
	if (st->count >= st->nbuckets)
		idem_grow(st);
	e = xcalloc(1, sizeof(*e));
	e->ep = ep;
	e->hash = h;
	e->key = xstrdup(key);
	e->request = json_object_get(request);
	e->status = status;
	e->body = xmalloc(body_len + 1);
	memcpy(e->body, body, body_len);
	e->body[body_len] = '\0';
	e->body_len = body_len;
	e->due_ms = due_ms;
	e->next = st->buckets[h & (st->nbuckets - 1)];
	st->buckets[h & (st->nbuckets - 1)] = e;
	st->count++;
}

size_t
idem_count(const struct idem *st)
{
	return st->count;
}
