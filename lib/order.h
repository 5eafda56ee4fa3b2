/*
 * The order model's input side: validation of the HTTP bodies and query
 * parameters of DESIGN.md section 4 (reused by the worker on message
 * data), the status names and the transition table of section 5. Pure: no
 * I/O. Validation reports every error it finds, up to a cap, each with an
 * RFC 6901 JSON pointer, ready for an RFC 9457 "errors" array.
 */
#ifndef OMS_ORDER_H
#define OMS_ORDER_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "address.h"
#include "err.h"
#include "metadata.h"
#include "money.h"

#define OMS_ID_MAX		64	/* ids: 1..64 of [A-Za-z0-9_.:-] */
#define OMS_ITEMS_MAX		100
#define OMS_QUANTITY_MAX	10000
#define ORDER_ERRORS_MAX	32
#define ORDER_LIMIT_DEFAULT	50
#define ORDER_LIMIT_MAX		200
#define ORDER_CURSOR_MAX	128	/* cursor: 1..128 of the id charset */
#define OMS_ITEM_NAME_MAX	200	/* characters */

struct oms_item {
	char	 product_id[OMS_ID_MAX + 1];
	char	 variant_id[OMS_ID_MAX + 1];
	long	 quantity;
	char	 name[TEXT_SIZE(OMS_ITEM_NAME_MAX)];	/* "" when absent */
	int64_t	 unit_price;	/* minor units; with total, set when priced */
	int64_t	 total;		/* unit_price x quantity, computed */
};

/*
 * A validated create body. priced: the order has a currency and every item
 * a unitPrice; then subtotal and total are computed (lib/money.c) and the
 * other amounts are 0 when absent. Everything lives in the struct (about
 * 150 KB at the limits), so it needs no freeing: keep it off the stack.
 * The validators zero the members before items, and of the rest only what
 * they fill (items[0..nitems), an address when .present, metadata.e[0..n)):
 * read nothing beyond those, and copy the struct no more than needed.
 */
struct oms_order_input {
	char			 customer_id[OMS_ID_MAX + 1];
	char			 payment_method_id[OMS_ID_MAX + 1];
	char			 store_id[OMS_ID_MAX + 1];	/* "" when absent */
	size_t			 nitems;		/* 1..OMS_ITEMS_MAX */
	int			 priced;
	char			 currency[MONEY_CODE_LEN + 1];	/* "" unpriced */
	int64_t			 subtotal;
	int64_t			 shipping_total;
	int64_t			 tax_total;
	int64_t			 discount_total;
	int64_t			 total;
	char			 email[EMAIL_MAX + 1];		/* "" when absent */
	struct oms_item		 items[OMS_ITEMS_MAX];
	struct oms_address	 shipping_address;	/* .present */
	struct oms_address	 billing_address;
	struct oms_metadata	 metadata;		/* .n == 0 when none */
};

/* PATCH /orders/{id}: at least one of shipCompanyId, trackingNumber and
 * metadata is set; the ids are "" when absent. Of metadata only e[0..n)
 * is written. */
struct oms_order_update {
	char			 ship_company_id[OMS_ID_MAX + 1];
	char			 tracking_number[OMS_ID_MAX + 1];
	struct oms_metadata	 metadata;	/* .present; null removes */
};

/* PATCH /orders/{id}/delivered: both set. */
struct oms_order_delivered {
	char	 tracking_id[OMS_ID_MAX + 1];
	char	 confirmation_id[OMS_ID_MAX + 1];
};

/*
 * Validation errors. pointer is an RFC 6901 JSON pointer into the body
 * ("" is the root, "/items/3/quantity"); for query parameters it is "?"
 * followed by the parameter's name ("?limit"), or "?" alone for a name
 * that cannot be shown. When malformed is set the body is not acceptable
 * JSON at all (HTTP 400) and there is one error, at the root; otherwise a
 * failed validation is HTTP 422. Errors beyond ORDER_ERRORS_MAX are
 * counted in found and dropped, and more is set.
 */
struct order_error {
	char	 pointer[128];
	char	 detail[160];
};

struct order_errors {
	size_t			 n;		/* entries in e */
	size_t			 found;		/* errors found, dropped included */
	int			 more;		/* found > n */
	int			 malformed;
	struct order_error	 e[ORDER_ERRORS_MAX];
};

/* Statuses of DESIGN.md section 5. OMS_STATUS_NONE is "no such order
 * yet"; OMS_STATUS_PENDING is only seen through the API. */
enum oms_status {
	OMS_STATUS_NONE = 0,
	OMS_STATUS_CREATED,
	OMS_STATUS_PAYMENT_SUCCESS,
	OMS_STATUS_PAYMENT_FAILED,
	OMS_STATUS_SHIPPED,
	OMS_STATUS_DELIVERED,
	OMS_STATUS_CANCELED,
	OMS_STATUS_PENDING,
	OMS_STATUS_MAX
};

struct order_list_query {
	long		 limit;			/* 1..200, default 50 */
	char		 cursor[ORDER_CURSOR_MAX + 1];	/* "" when absent */
	enum oms_status	 status;		/* OMS_STATUS_NONE when absent */
	char		 customer_id[OMS_ID_MAX + 1];	/* "" when absent */
	int		 include_deleted;	/* default 0 */
	int64_t		 order_number;		/* 0 when absent */
};

/* Flags for order_validate_create() and order_parse_create(). */
#define ORDER_ITEMS_ONLY	0x01	/* refuse the single-product form */
#define ORDER_COMPUTED		0x02	/* require the computed amounts
					   (items[].total, subtotal, total) of
					   a priced order: a command's data */
#define ORDER_REQUIRE_PRICES	0x04	/* OMS_REQUIRE_PRICES=1 */
#define ORDER_REQUIRE_ADDRESS	0x08	/* OMS_REQUIRE_ADDRESS=1 */

/* Resets errs to no errors. */
void	order_errors_init(struct order_errors *errs);

/* Appends an error; pointer and detail are copied (truncated to fit). */
void	order_errors_add(struct order_errors *errs, const char *pointer,
	    const char *detail);

/* Returns an owned json-c array of {"pointer", "detail"} objects; release
 * it with json_object_put(). */
struct json_object *order_errors_to_json(const struct order_errors *errs);

/* Writes prefix + "/" + key to buf, with key escaped per RFC 6901 section
 * 3 ('~' as "~0", '/' as "~1"). Returns 0, or -1 if it does not fit. */
int	order_pointer(char *buf, size_t size, const char *prefix,
	    const char *key);

/* Returns 1 if the len bytes at s are 1..64 of [A-Za-z0-9_.:-], else 0. */
int	order_id_valid(const char *s, size_t len);

/*
 * The body parsers: each parses len bytes of body strictly (lib/json.c)
 * and validates it. They return OMS_OK with *out filled, or OMS_EINVAL
 * with errs filled (errs->malformed set for bad JSON); *out is then
 * unspecified. Nothing is allocated.
 */
enum oms_err order_parse_create(const char *body, size_t len, int flags,
	    struct oms_order_input *out, struct order_errors *errs);
enum oms_err order_parse_update(const char *body, size_t len,
	    struct oms_order_update *out, struct order_errors *errs);
enum oms_err order_parse_delivered(const char *body, size_t len,
	    struct oms_order_delivered *out, struct order_errors *errs);

/* The same validations on an already parsed document (borrowed; may be
 * NULL, JSON null). Errors are appended to errs, whose pointers start
 * with prefix ("" for a body, "/data" inside a command). */
enum oms_err order_validate_create(struct json_object *doc, int flags,
	    const char *prefix, struct oms_order_input *out,
	    struct order_errors *errs);
enum oms_err order_validate_update(struct json_object *doc,
	    const char *prefix, struct oms_order_update *out,
	    struct order_errors *errs);
enum oms_err order_validate_delivered(struct json_object *doc,
	    const char *prefix, struct oms_order_delivered *out,
	    struct order_errors *errs);

/* Canonical JSON forms (create always with "items"); each returns an owned
 * object, released with json_object_put(). */
struct json_object *order_input_to_json(const struct oms_order_input *in);
struct json_object *order_update_to_json(const struct oms_order_update *up);
struct json_object *order_delivered_to_json(
	    const struct oms_order_delivered *dl);

/* Parses the query string of GET /orders (without the '?'; NULL or "" for
 * none) into q, defaults first. Returns OMS_OK, or OMS_EINVAL with errs
 * filled ("?name" pointers). */
enum oms_err order_parse_list_query(const char *query,
	    struct order_list_query *q, struct order_errors *errs);

/* Returns the static name of a status ("paymentSuccess"); "" for
 * OMS_STATUS_NONE or an out-of-range value. */
const char *order_status_name(enum oms_status status);

/* Parses a status name (exact case). Returns 0, or -1 if unknown. */
int	order_status_parse(const char *s, enum oms_status *out);

/* Returns 1 if a command of type command_type (a routing key such as
 * "orders.cancel") may apply to an order in status from, else 0. Data
 * conditions (tracking id match, payment present) are checked elsewhere. */
int	order_transition_allowed(enum oms_status from, const char *command_type);

#endif
