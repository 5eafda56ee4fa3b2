/*
 * Unit tests for lib/view.c: view_order_write() prints, for every kind of
 * order hash, exactly the bytes of json_dump(view_order_from_hash()) —
 * priced and unpriced, canceled, shipped with carrier fields, delivered,
 * deleted, metadata in unicode and in cjson's escapes, stored JSON that
 * only json-c re-prints, strange values — and for thousands of random
 * hashes built from those values; view_order_get() and the index.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jsonw.h"
#include "unit.h"
#include "view.h"
#include "xmalloc.h"

/* A field of a test hash: value n bytes long (strlen when n == 0). */
struct kv {
	const char	*k;
	const char	*v;
	size_t		 n;
};

static struct store_reply *
str_reply(const char *s, size_t n)
{
	struct store_reply *r = xcalloc(1, sizeof(*r));

	r->type = STORE_STRING;
	r->str = xmalloc(n + 1);
	memcpy(r->str, s, n);
	r->str[n] = '\0';
	r->len = n;
	return r;
}

/* An HGETALL reply of the n fields. */
static struct store_reply *
hash_reply(const struct kv *f, size_t n)
{
	struct store_reply *r = xcalloc(1, sizeof(*r));

	r->type = STORE_ARRAY;
	r->elem = xcalloc(2 * n + 1, sizeof(*r->elem));
	for (size_t i = 0; i < n; i++) {
		r->elem[r->nelem++] = str_reply(f[i].k, strlen(f[i].k));
		r->elem[r->nelem++] = str_reply(f[i].v, f[i].n > 0 ? f[i].n :
		    strlen(f[i].v));
	}
	return r;
}

/* Asserts both paths print the same order for r; returns 1 when r is an
 * order, 0 when both find none. */
static int
same_order(const struct store_reply *r, const char *what)
{
	struct json_object *o = view_order_from_hash(r);
	struct view_order vo;
	struct jsonw w;
	const char *want;
	size_t len;

	if (o == NULL) {
		ck_assert_msg(view_order_index(r, &vo) == -1, "%s", what);
		return 0;
	}
	ck_assert_msg(view_order_index(r, &vo) == 0, "%s", what);
	want = json_dump(o, &len);
	jsonw_init(&w, 1 << 20);
	ck_assert_int_eq(view_order_write(&vo, &w), 0);
	ck_assert_msg(w.len == len && memcmp(w.buf, want, len) == 0,
	    "%s:\n got    %.*s\n json-c %s", what, (int)w.len, w.buf, want);
	jsonw_free(&w);
	json_object_put(o);
	return 1;
}

#define ID	"4f9c7a52-8d1e-4b7a-9f3e-2a6c1d0b5e71"
#define COMMON	{ "id", ID, 0 }, { "orderNumber", "1042", 0 }, \
	{ "customerId", "cus_demo", 0 }, { "paymentMethodId", "pm_1", 0 }, \
	{ "createdAt", "2026-12-01T12:00:00.123Z", 0 }, \
	{ "updatedAt", "2026-12-01T12:00:01.456Z", 0 }
#define ITEMS1	"[{\"productId\":\"p1\",\"variantId\":\"v1\",\"quantity\":1}]"
#define ITEMS_PRICED "[{\"productId\":\"p1\",\"variantId\":\"v1\"," \
	"\"quantity\":2,\"name\":\"T-shirt \\/ blue \\u00e9\",\"unitPrice\":" \
	"1999,\"total\":3998},{\"productId\":\"p2\",\"variantId\":\"v9\"," \
	"\"quantity\":1,\"name\":\"Mug\",\"unitPrice\":550,\"total\":550}]"
#define ADDRESS	"{\"name\":\"Zoë Ångström\",\"line1\":\"1 Rue de l'Église\"," \
	"\"line2\":\"Bât. B \\/ 3e\",\"city\":\"Paris\",\"region\":\"IDF\"," \
	"\"postalCode\":\"75001\",\"country\":\"FR\",\"phone\":\"+33 1 23\"}"
#define META_UNI "{\"gift\":\"yes \xf0\x9f\x8e\x81\",\"note\":\"caf\\u00e9 " \
	"\\u4e2d\\u6587 \\\"quoted\\\" back\\\\slash\",\"src\":\"https:\\/\\/" \
	"shop.example\\/c?a=1&b=2\",\"tab\":\"a\\tb\\u0001\"}"

START_TEST(test_kinds)
{
	static const struct kv created[] = { COMMON, { "items", ITEMS1, 0 },
	    { "status", "created", 0 }, { "isDeleted", "0", 0 },
	    { "version", "1", 0 } };
	static const struct kv priced[] = { COMMON, { "storeId", "st_7", 0 },
	    { "items", ITEMS_PRICED, 0 }, { "currency", "EUR", 0 },
	    { "subtotal", "4548", 0 }, { "shippingTotal", "500", 0 },
	    { "taxTotal", "0", 0 }, { "discountTotal", "100", 0 },
	    { "total", "4948", 0 }, { "shippingAddress", ADDRESS, 0 },
	    { "billingAddress", ADDRESS, 0 }, { "email", "zoe@example.com", 0 },
	    { "metadata", META_UNI, 0 }, { "status", "paymentSuccess", 0 },
	    { "paymentTransactionId", "tx_991", 0 }, { "isDeleted", "0", 0 },
	    { "version", "3", 0 } };
	static const struct kv canceled[] = { COMMON, { "items", ITEMS1, 0 },
	    { "status", "canceled", 0 }, { "paymentTransactionId", "tx_1", 0 },
	    { "refundTransactionId", "rf_1", 0 }, { "isDeleted", "0", 0 },
	    { "version", "4", 0 } };
	static const struct kv shipped[] = { COMMON, { "items", ITEMS1, 0 },
	    { "status", "shipped", 0 }, { "paymentTransactionId", "tx_2", 0 },
	    { "shipCompanyId", "ups", 0 }, { "trackingNumber", "1Z999", 0 },
	    { "isDeleted", "0", 0 }, { "version", "5", 0 } };
	static const struct kv delivered[] = { COMMON, { "items", ITEMS1, 0 },
	    { "status", "delivered", 0 }, { "shipCompanyId", "ups", 0 },
	    { "trackingNumber", "1Z999", 0 }, { "confirmationId", "c_1", 0 },
	    { "isDeleted", "0", 0 }, { "version", "6", 0 } };
	static const struct kv deleted[] = { COMMON, { "items", ITEMS1, 0 },
	    { "status", "created", 0 }, { "isDeleted", "1", 0 },
	    { "version", "2", 0 } };
	static const struct kv deleted_true[] = { { "id", ID, 0 },
	    { "isDeleted", "true", 0 } };
	static const struct kv minimal[] = { { "id", ID, 0 } };
	static const struct kv only_unknown[] = { { "zzz", "1", 0 } };
	static const struct {
		const struct kv	*f;
		size_t		 n;
		const char	*what;
	} t[] = {
#define T(a) { a, sizeof(a) / sizeof(a[0]), #a }
		T(created), T(priced), T(canceled), T(shipped), T(delivered),
		T(deleted), T(deleted_true), T(minimal), T(only_unknown),
#undef T
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct store_reply *r = hash_reply(t[i].f, t[i].n);

		ck_assert_int_eq(same_order(r, t[i].what), 1);
		store_reply_free(r);
	}
}
END_TEST

/* Values of every field kind that the random hashes pick from: what the
 * Functions write, and what they never write but a hash could hold. */
static const struct kv strange[] = {
	{ "s", "a\"b\\c/d\x01\x1f\x7f\n", 0 },
	{ "s", "\xff\xfe not UTF-8 \xc3", 0 },
	{ "s", "cut\0here", 8 },			/* a NUL: cut there */
	{ "s", "\xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80", 0 },
	{ "s", "", 0 },
	{ "i", "12abc", 0 }, { "i", "-5", 0 }, { "i", "abc", 0 },
	{ "i", "99999999999999999999999", 0 }, { "i", " 7", 0 },
	{ "j", "[1.50,2e3,-0.0]", 0 },			/* numbers: json-c */
	{ "j", "{\"a\":1,\"a\":2}", 0 },		/* duplicate: json-c */
	{ "j", "{\"k\":\"\\ud83d\\ude00 pair\"}", 0 },
	{ "j", "{\"k\":\"lone \\ud83d\"}", 0 },
	{ "j", "{\"k\":\"nul \\u0000 in it\"}", 0 },
	{ "j", "{\"k\":\"raw\ttab\"}", 0 },
	{ "j", " {\n  \"pretty\" : [ 1 , true , null ]\n} ", 0 },
	{ "j", "{\"a\":1}garbage", 0 }, { "j", "{", 0 }, { "j", "null", 0 },
	{ "j", "[]", 0 }, { "j", "{}", 0 }, { "j", "\"text\"", 0 },
	{ "j", "{\"big\":123456789012345678901}", 0 },
	{ "j", "{\"n\":{\"e\":{\"s\":{\"t\":[[[[[[[[[[[[[[1]]]]]]]]]]]]]]}}}}", 0 },
	{ "j", "[{\"k\":1}]\0[2]", 12 },		/* NUL in JSON text */
	{ "j", "{\"k\":\"v\"}\0}", 11 },
	{ "j", ITEMS_PRICED, 0 }, { "j", ADDRESS, 0 }, { "j", META_UNI, 0 },
	{ "j", "{'single':1}", 0 }, { "j", "[1,2,]", 0 },
	{ "b", "0", 0 }, { "b", "1", 0 }, { "b", "true", 0 }, { "b", "yes", 0 },
};

static const char *const fields[] = {
	"id", "orderNumber", "customerId", "paymentMethodId", "storeId",
	"items", "currency", "subtotal", "shippingTotal", "taxTotal",
	"discountTotal", "total", "shippingAddress", "billingAddress", "email",
	"metadata", "status", "isDeleted", "paymentTransactionId",
	"refundTransactionId", "shipCompanyId", "trackingNumber",
	"confirmationId", "createdAt", "updatedAt", "version", "unknownField",
};

START_TEST(test_random)
{
	const size_t nf = sizeof(fields) / sizeof(fields[0]);
	const size_t ns = sizeof(strange) / sizeof(strange[0]);
	struct kv f[40];
	int orders = 0;

	srandom(42);
	for (int i = 0; i < 3000; i++) {
		size_t n = (size_t)(random() % 40);
		struct store_reply *r;

		for (size_t j = 0; j < n; j++) {
			const struct kv *v = &strange[random() % (long)ns];

			f[j].k = fields[random() % (long)nf];
			f[j].v = v->v;
			f[j].n = v->n;
		}
		r = hash_reply(f, n);
		orders += same_order(r, "random");
		store_reply_free(r);
	}
	ck_assert_int_gt(orders, 2500);
}
END_TEST

/* Every strange value in every field, one field at a time. */
START_TEST(test_each_field)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		for (size_t j = 0; j < sizeof(strange) / sizeof(strange[0]);
		    j++) {
			struct kv f[2] = { { "id", ID, 0 }, { fields[i],
			    strange[j].v, strange[j].n } };
			struct store_reply *r = hash_reply(f, 2);

			ck_assert_int_eq(same_order(r, fields[i]), 1);
			store_reply_free(r);
		}
}
END_TEST

START_TEST(test_get_and_index)
{
	static const struct kv f[] = { { "id", ID, 0 }, { "status", "", 0 },
	    { "customerId", "cus\0x", 5 }, { "isDeleted", "1", 0 } };
	struct store_reply *r = hash_reply(f, 4), empty = { .type =
	    STORE_ARRAY }, nil = { .type = STORE_NIL };
	struct view_order vo;
	struct jsonw w;

	ck_assert_int_eq(view_order_index(r, &vo), 0);
	ck_assert_str_eq(view_order_get(&vo, "id"), ID);
	ck_assert_str_eq(view_order_get(&vo, "customerId"), "cus");
	ck_assert_str_eq(view_order_get(&vo, "isDeleted"), "1");
	ck_assert_ptr_null(view_order_get(&vo, "status"));	/* empty */
	ck_assert_ptr_null(view_order_get(&vo, "email"));	/* absent */
	ck_assert_ptr_null(view_order_get(&vo, "nosuch"));
	store_reply_free(r);
	ck_assert_int_eq(view_order_index(&empty, &vo), -1);
	ck_assert_int_eq(view_order_index(&nil, &vo), -1);
	ck_assert_int_eq(view_order_index(NULL, &vo), -1);

	/* a full buffer is an error, not a short document */
	r = hash_reply(f, 4);
	ck_assert_int_eq(view_order_index(r, &vo), 0);
	jsonw_init(&w, 64);
	ck_assert_int_eq(view_order_write(&vo, &w), -1);
	ck_assert_int_eq(w.err, 1);
	jsonw_free(&w);
	store_reply_free(r);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("view");

	unit_add(s, "kinds", test_kinds, NULL, NULL);
	unit_add(s, "random", test_random, NULL, NULL);
	unit_add(s, "each_field", test_each_field, NULL, NULL);
	unit_add(s, "get_and_index", test_get_and_index, NULL, NULL);
	return unit_run(s);
}
