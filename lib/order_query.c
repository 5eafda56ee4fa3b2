/*
 * The query string of GET /orders (DESIGN.md section 4): limit (1..200,
 * default 50), cursor (opaque, 1..128 of the id charset), status (a status
 * name, "pending" included), customerId (an id) and includeDeleted
 * (true|false), orderNumber (a positive integer: the one order with that
 * number, or none). The string is split on '&' (empty segments are skipped),
 * each name and value is percent-decoded as
 * application/x-www-form-urlencoded ('+' is a space; an escape that is not
 * '%' and two hex digits, and %00, are refused). Unknown and repeated
 * parameters are errors. Errors point at "?name" — a convention of ours,
 * since RFC 6901 pointers address JSON documents — using the canonical
 * name for a known parameter and the raw name, when it is short and
 * plainly printable, for an unknown one ("?" otherwise).
 */
#include <stdio.h>
#include <string.h>

#include "order.h"
#include "url.h"

#define QUERY_VALUE_MAX	256	/* longer than any valid value */

enum query_param {
	QUERY_LIMIT = 0,
	QUERY_CURSOR,
	QUERY_STATUS,
	QUERY_CUSTOMER_ID,
	QUERY_INCLUDE_DELETED,
	QUERY_ORDER_NUMBER,
	QUERY_MAX
};

static const char *const query_names[] = {
	[QUERY_LIMIT] =			"limit",
	[QUERY_CURSOR] =		"cursor",
	[QUERY_STATUS] =		"status",
	[QUERY_CUSTOMER_ID] =		"customerId",
	[QUERY_INCLUDE_DELETED] =	"includeDeleted",
	[QUERY_ORDER_NUMBER] =		"orderNumber",
};

_Static_assert(sizeof(query_names) / sizeof(query_names[0]) == QUERY_MAX,
    "query_names must name every enum query_param");

/* Returns 1 if the len bytes at s are 1..max of the id charset. */
static int
query_token_ok(const char *s, size_t len, size_t max)
{
	size_t	 i;

	if (len == 0 || len > max)
		return 0;
	for (i = 0; i < len; i++)
		if (!order_id_valid(s + i, 1))
			return 0;
	return 1;
}

/* Reports an unknown parameter whose raw name is the len bytes at s. */
static void
query_unknown(const char *s, size_t len, struct order_errors *errs)
{
	char	 ptr[64];
	size_t	 i;

	ptr[0] = '?';
	ptr[1] = '\0';
	for (i = 0; i < len && len < sizeof(ptr) - 1; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '"' || s[i] == '\\')
			break;
	if (i == len && len < sizeof(ptr) - 1) {
		memcpy(ptr + 1, s, len);
		ptr[len + 1] = '\0';
	}
	order_errors_add(errs, ptr, "is not a known parameter");
}

/* Validates the decoded value v (n bytes) of parameter p into q. Returns
 * NULL, or a static detail for the error. */
static const char *
query_set(enum query_param p, const char *v, size_t n,
    struct order_list_query *q)
{
	size_t	 i;

	switch (p) {
	case QUERY_LIMIT:
		if (n == 0 || n > 3 || v[0] == '0')
			return "must be an integer between 1 and 200";
		for (q->limit = 0, i = 0; i < n; i++) {
			if (v[i] < '0' || v[i] > '9')
				return "must be an integer between 1 and 200";
			q->limit = q->limit * 10 + (v[i] - '0');
		}
		if (q->limit > ORDER_LIMIT_MAX)
			return "must be an integer between 1 and 200";
		return NULL;
	case QUERY_CURSOR:
		if (!query_token_ok(v, n, ORDER_CURSOR_MAX))
			return "must be 1 to 128 characters of letters, digits "
			    "and _ . : -";
		memcpy(q->cursor, v, n + 1);
		return NULL;
	case QUERY_STATUS:
		if (order_status_parse(v, &q->status) == -1)
			return "must be one of created, paymentSuccess, "
			    "paymentFailed, shipped, delivered, canceled, "
			    "pending";
		return NULL;
	case QUERY_CUSTOMER_ID:
		if (!query_token_ok(v, n, OMS_ID_MAX))
			return "must be 1 to 64 characters of letters, digits "
			    "and _ . : -";
		memcpy(q->customer_id, v, n + 1);
		return NULL;
	case QUERY_INCLUDE_DELETED:
		if (strcmp(v, "true") == 0)
			q->include_deleted = 1;
		else if (strcmp(v, "false") == 0)
			q->include_deleted = 0;
		else
			return "must be true or false";
		return NULL;
	case QUERY_ORDER_NUMBER:
		/* 1..2^53 - 1, the range of an integer in every JSON reader */
		if (n == 0 || n > 16 || v[0] == '0')
			return "must be a positive integer";
		for (q->order_number = 0, i = 0; i < n; i++) {
			if (v[i] < '0' || v[i] > '9')
				return "must be a positive integer";
			q->order_number = q->order_number * 10 + (v[i] - '0');
		}
		if (q->order_number > MONEY_MAX)
			return "must be a positive integer";
		return NULL;
	case QUERY_MAX:
		break;
	}
	return "is not a known parameter";
}

/* Handles one non-empty name[=value] segment of len bytes at s. */
static void
query_param(const char *s, size_t len, unsigned int *seen,
    unsigned int *reported, struct order_list_query *q,
    struct order_errors *errs)
{
	static const char *const why[] = {
		"has an invalid percent-encoding",
		"must not contain %00",
		"is too long",
	};
	const char	*eq, *val, *detail;
	char		 name[32], ptr[32], v[QUERY_VALUE_MAX];
	size_t		 nlen, vlen;
	long		 r;
	int		 p;

	eq = memchr(s, '=', len);
	nlen = eq != NULL ? (size_t)(eq - s) : len;
	val = eq != NULL ? eq + 1 : s + len;
	vlen = len - (size_t)(val - s);
	p = QUERY_MAX;
	if (url_pct_decode(s, nlen, name, sizeof(name), 1) >= 0)
		for (p = 0; p < QUERY_MAX; p++)
			if (strcmp(name, query_names[p]) == 0)
				break;
	if (p == QUERY_MAX) {
		query_unknown(s, nlen, errs);
		return;
	}
	snprintf(ptr, sizeof(ptr), "?%s", query_names[p]);
	if (*seen & (1u << p)) {
		if (!(*reported & (1u << p)))
			order_errors_add(errs, ptr, "must not be repeated");
		*reported |= 1u << p;
		return;
	}
	*seen |= 1u << p;
	if ((r = url_pct_decode(val, vlen, v, sizeof(v), 1)) < 0)
		detail = why[-r - 1];
	else
		detail = query_set((enum query_param)p, v, (size_t)r, q);
	if (detail != NULL)
		order_errors_add(errs, ptr, detail);
}

enum oms_err
order_parse_list_query(const char *query, struct order_list_query *q,
    struct order_errors *errs)
{
	const char	*p, *end;
	unsigned int	 seen = 0, reported = 0;

	memset(q, 0, sizeof(*q));
	q->limit = ORDER_LIMIT_DEFAULT;
	q->status = OMS_STATUS_NONE;
	order_errors_init(errs);
	for (p = query; p != NULL && *p != '\0'; p = *end != '\0' ? end + 1 :
	    end) {
		if ((end = strchr(p, '&')) == NULL)
			end = p + strlen(p);
		if (end > p)
			query_param(p, (size_t)(end - p), &seen, &reported, q,
			    errs);
	}
	return errs->found == 0 ? OMS_OK : OMS_EINVAL;
}
