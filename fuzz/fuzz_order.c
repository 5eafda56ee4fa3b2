/*
 * libFuzzer target for the HTTP body side of lib/json.c and lib/order.c:
 * json_parse_strict() and the three body parsers, order_parse_create(),
 * order_parse_update() and order_parse_delivered(), with
 * order_errors_to_json() on every result.
 *
 * A first byte of 'c', 'u' or 'd' selects one parser and is not part of
 * the body. Any other first byte parses the whole input once with
 * json_parse_strict() and runs the three validators that the parsers run
 * after it (order_validate_*), so a plain JSON file is a seed for every
 * one at the cost of a single parse. Besides the sanitizers
 * (a leak is a finding), the target checks properties and abort()s when
 * one fails:
 *  - the error list is consistent: n <= found, n <= ORDER_ERRORS_MAX,
 *    more == (found > n), malformed means exactly one error at the root,
 *    a failure has at least one error and a success none;
 *  - an accepted body round-trips: its canonical JSON (order_*_to_json)
 *    is accepted again and yields the same struct.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "order.h"

#define CHECK(cond)	do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz_order: %s:%d: check failed: %s\n",\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/* The results live in static storage: oms_order_input is about 14 KB. */
static struct oms_order_input		 in, in2;
static struct oms_order_update		 up, up2;
static struct oms_order_delivered	 dl, dl2;
static struct order_errors		 errs, errs2;

/* Checks the invariants of an error list returned with result r. */
static void
check_errors(enum oms_err r, const struct order_errors *e)
{
	struct json_object	*arr;	/* owned */
	size_t			 i, len;

	CHECK(r == OMS_OK || r == OMS_EINVAL);
	CHECK(e->n <= ORDER_ERRORS_MAX);
	CHECK(e->n <= e->found);
	CHECK(e->more == (e->found > e->n));
	if (r == OMS_OK)
		CHECK(e->found == 0 && !e->malformed);
	else
		CHECK(e->n >= 1);
	if (e->malformed)
		CHECK(e->n == 1 && e->e[0].pointer[0] == '\0');
	for (i = 0; i < e->n; i++) {
		CHECK(memchr(e->e[i].pointer, '\0',
		    sizeof(e->e[i].pointer)) != NULL);
		CHECK(memchr(e->e[i].detail, '\0',
		    sizeof(e->e[i].detail)) != NULL);
		CHECK(e->e[i].detail[0] != '\0');
		CHECK(e->e[i].pointer[0] == '\0' || e->e[i].pointer[0] == '/');
	}
	arr = order_errors_to_json(e);
	CHECK(json_object_is_type(arr, json_type_array));
	CHECK(json_object_array_length(arr) == e->n);
	(void)json_dump(arr, &len);
	CHECK(len >= 2);
	json_object_put(arr);
}

/* Serialises the owned doc and returns its dump in buf (NUL-terminated);
 * releases doc. */
static size_t
dump_put(struct json_object *doc, char **buf)
{
	const char	*s;
	size_t		 len;

	s = json_dump(doc, &len);
	if ((*buf = malloc(len + 1)) == NULL)
		abort();
	memcpy(*buf, s, len + 1);
	json_object_put(doc);
	return len;
}

/* Checks that the accepted create body in `in` round-trips. */
static void
roundtrip_create(void)
{
	enum oms_err	 r;
	char		*canon;
	size_t		 clen, i;

	CHECK(in.nitems >= 1 && in.nitems <= OMS_ITEMS_MAX);
	CHECK(order_id_valid(in.customer_id, strlen(in.customer_id)));
	CHECK(order_id_valid(in.payment_method_id,
	    strlen(in.payment_method_id)));
	clen = dump_put(order_input_to_json(&in), &canon);
	r = order_parse_create(canon, clen, 0, &in2, &errs2);
	check_errors(r, &errs2);
	CHECK(r == OMS_OK);
	CHECK(strcmp(in.customer_id, in2.customer_id) == 0);
	CHECK(strcmp(in.payment_method_id, in2.payment_method_id) == 0);
	CHECK(strcmp(in.store_id, in2.store_id) == 0);
	CHECK(in.nitems == in2.nitems);
	for (i = 0; i < in.nitems; i++) {
		CHECK(strcmp(in.items[i].product_id,
		    in2.items[i].product_id) == 0);
		CHECK(strcmp(in.items[i].variant_id,
		    in2.items[i].variant_id) == 0);
		CHECK(in.items[i].quantity == in2.items[i].quantity);
		CHECK(in.items[i].quantity >= 1 &&
		    in.items[i].quantity <= OMS_QUANTITY_MAX);
		CHECK(strcmp(in.items[i].name, in2.items[i].name) == 0);
		CHECK(in.items[i].unit_price == in2.items[i].unit_price);
		CHECK(in.items[i].total == in2.items[i].total);
	}
	/* money: all or none, and it adds up within 0..2^53 - 1 */
	CHECK(in.priced == in2.priced);
	CHECK(strcmp(in.currency, in2.currency) == 0);
	CHECK(in.total == in2.total && in.subtotal == in2.subtotal);
	if (in.priced) {
		int64_t sum = 0;

		CHECK(money_exponent(in.currency, strlen(in.currency)) >= 0);
		for (i = 0; i < in.nitems; i++) {
			CHECK(in.items[i].unit_price >= 0 &&
			    in.items[i].unit_price <= MONEY_UNIT_PRICE_MAX);
			CHECK(in.items[i].total ==
			    in.items[i].unit_price * in.items[i].quantity);
			sum += in.items[i].total;
		}
		CHECK(sum == in.subtotal);
		CHECK(in.total == in.subtotal + in.shipping_total +
		    in.tax_total - in.discount_total);
		CHECK(in.total >= 0 && in.total <= MONEY_MAX);
	} else
		CHECK(in.currency[0] == '\0' && in.total == 0);
	CHECK(in.shipping_address.present == in2.shipping_address.present);
	CHECK(!in.shipping_address.present ||
	    memcmp(&in.shipping_address, &in2.shipping_address,
	    sizeof(in.shipping_address)) == 0);
	CHECK(in.billing_address.present == in2.billing_address.present);
	CHECK(!in.billing_address.present ||
	    memcmp(&in.billing_address, &in2.billing_address,
	    sizeof(in.billing_address)) == 0);
	CHECK(strcmp(in.email, in2.email) == 0);
	CHECK(in.metadata.n == in2.metadata.n);
	for (i = 0; i < in.metadata.n; i++)
		CHECK(strcmp(in.metadata.e[i].key, in2.metadata.e[i].key) == 0 &&
		    strcmp(in.metadata.e[i].value, in2.metadata.e[i].value) ==
		    0);
	free(canon);
}

static void
run_create(const char *body, size_t len)
{
	enum oms_err	 r;

	r = order_parse_create(body, len, 0, &in, &errs);
	check_errors(r, &errs);
	if (r == OMS_OK)
		roundtrip_create();
}

static void
run_update(const char *body, size_t len)
{
	enum oms_err	 r;
	char		*canon;
	size_t		 clen;

	r = order_parse_update(body, len, &up, &errs);
	check_errors(r, &errs);
	if (r != OMS_OK)
		return;
	CHECK(up.ship_company_id[0] != '\0' || up.tracking_number[0] != '\0' ||
	    up.metadata.present);
	clen = dump_put(order_update_to_json(&up), &canon);
	r = order_parse_update(canon, clen, &up2, &errs2);
	check_errors(r, &errs2);
	CHECK(r == OMS_OK);
	CHECK(strcmp(up.ship_company_id, up2.ship_company_id) == 0);
	CHECK(strcmp(up.tracking_number, up2.tracking_number) == 0);
	CHECK(up.metadata.n == up2.metadata.n);
	for (size_t i = 0; i < up.metadata.n; i++)
		CHECK(up.metadata.e[i].remove == up2.metadata.e[i].remove &&
		    strcmp(up.metadata.e[i].value, up2.metadata.e[i].value) == 0);
	free(canon);
}

static void
run_delivered(const char *body, size_t len)
{
	enum oms_err	 r;
	char		*canon;
	size_t		 clen;

	r = order_parse_delivered(body, len, &dl, &errs);
	check_errors(r, &errs);
	if (r != OMS_OK)
		return;
	CHECK(dl.tracking_id[0] != '\0' && dl.confirmation_id[0] != '\0');
	clen = dump_put(order_delivered_to_json(&dl), &canon);
	r = order_parse_delivered(canon, clen, &dl2, &errs2);
	check_errors(r, &errs2);
	CHECK(r == OMS_OK);
	CHECK(strcmp(dl.tracking_id, dl2.tracking_id) == 0);
	CHECK(strcmp(dl.confirmation_id, dl2.confirmation_id) == 0);
	free(canon);
}

/* json_parse_strict() on its own: an error message on failure; on
 * success a serialisable document (or NULL for JSON null), then the three
 * validators on it, as order_parse_*() would run them. */
static void
run_strict(const char *body, size_t len)
{
	struct json_object	*doc;	/* owned */
	char			 why[128];
	size_t			 dlen;

	why[0] = '\0';
	if (json_parse_strict(body, len, &doc, why, sizeof(why)) != OMS_OK) {
		CHECK(doc == NULL);
		CHECK(strstr(why, " at byte offset ") != NULL);
		return;
	}
	(void)json_dump(doc, &dlen);
	CHECK(dlen > 0);
	order_errors_init(&errs);
	if (order_validate_create(doc, 0, "", &in, &errs) == OMS_OK)
		roundtrip_create();
	check_errors(errs.found == 0 ? OMS_OK : OMS_EINVAL, &errs);
	order_errors_init(&errs);
	check_errors(order_validate_create(doc, ORDER_ITEMS_ONLY, "", &in,
	    &errs), &errs);
	order_errors_init(&errs);
	check_errors(order_validate_update(doc, "", &up, &errs), &errs);
	order_errors_init(&errs);
	check_errors(order_validate_delivered(doc, "", &dl, &errs), &errs);
	json_object_put(doc);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*body = (const char *)data;

	if (size == 0 || (data[0] != 'c' && data[0] != 'u' && data[0] != 'd')) {
		run_strict(body, size);
		return 0;
	}
	switch (data[0]) {
	case 'c':
		run_create(body + 1, size - 1);
		break;
	case 'u':
		run_update(body + 1, size - 1);
		break;
	default:
		run_delivered(body + 1, size - 1);
		break;
	}
	return 0;
}
