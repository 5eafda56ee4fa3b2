/*
 * Unit tests for the pure parts of oms-provider-sim: the idempotency
 * store (new, replay, in progress, conflict, growth), the record lists
 * (ids, filters, lookups), the body checks of the provider contract, the
 * fault switches (PUT /_sim/config bodies, jitter bounds, draws), the
 * timer queue (order of firing, draining), and routes.c on requests built
 * in memory (charge, replay, decline, refund, void, tokens, faults)
 * without a socket.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bodies.h"
#include "clock.h"
#include "faults.h"
#include "idem.h"
#include "json.h"
#include "records.h"
#include "routes.h"
#include "sim.h"
#include "timerq.h"
#include "unit.h"

static struct json_object *
parse(const char *s)
{
	struct json_object *o = NULL;
	char err[128];

	ck_assert_msg(json_parse_strict(s, strlen(s), &o, err, sizeof(err)) ==
	    OMS_OK, "%s: %s", s, err);
	return o;
}

/* ------------------------------------------------------------ idem */

START_TEST(test_idem_states)
{
	struct idem *st = idem_new();
	struct json_object *a = parse("{\"x\":1,\"y\":[2]}");
	struct json_object *a2 = parse("{\"y\":[2],\"x\":1}");
	struct json_object *b = parse("{\"x\":2,\"y\":[2]}");
	struct idem_answer ans;

	ck_assert_int_eq(idem_check(st, SIM_EP_CHARGES, "k", a, 0, &ans),
	    IDEM_NEW);
	idem_put(st, SIM_EP_CHARGES, "k", a, 201, "{\"id\":1}", 8, 100);
	ck_assert_int_eq(idem_check(st, SIM_EP_CHARGES, "k", a, 99, &ans),
	    IDEM_IN_PROGRESS);
	ck_assert_int_eq(idem_check(st, SIM_EP_CHARGES, "k", a2, 100, &ans),
	    IDEM_REPLAY);
	ck_assert_int_eq(ans.status, 201);
	ck_assert_uint_eq(ans.body_len, 8);
	ck_assert_str_eq(ans.body, "{\"id\":1}");
	/* another body conflicts, even while in progress */
	ck_assert_int_eq(idem_check(st, SIM_EP_CHARGES, "k", b, 50, &ans),
	    IDEM_CONFLICT);
	ck_assert_int_eq(idem_check(st, SIM_EP_CHARGES, "k", b, 500, &ans),
	    IDEM_CONFLICT);
	/* keys are per endpoint */
	ck_assert_int_eq(idem_check(st, SIM_EP_REFUNDS, "k", b, 500, &ans),
	    IDEM_NEW);
	ck_assert_uint_eq(idem_count(st), 1);
	json_object_put(a);
	json_object_put(a2);
	json_object_put(b);
	idem_free(st);
}
END_TEST

START_TEST(test_idem_many)
{
	struct idem *st = idem_new();
	struct json_object *r = parse("[1]");
	struct idem_answer ans;
	char key[32], body[32];
	int i;

	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		snprintf(body, sizeof(body), "%d", i);
		idem_put(st, SIM_EP_SHIPMENTS, key, r, 200, body, strlen(body),
		    0);
	}
	ck_assert_uint_eq(idem_count(st), 5000);
	for (i = 0; i < 5000; i += 499) {
		snprintf(key, sizeof(key), "key-%d", i);
		snprintf(body, sizeof(body), "%d", i);
		ck_assert_int_eq(idem_check(st, SIM_EP_SHIPMENTS, key, r, 1,
		    &ans), IDEM_REPLAY);
		ck_assert_str_eq(ans.body, body);
	}
	/* a put of a stored key replaces it */
	idem_put(st, SIM_EP_SHIPMENTS, "key-7", r, 500, "x", 1, 0);
	ck_assert_uint_eq(idem_count(st), 5000);
	ck_assert_int_eq(idem_check(st, SIM_EP_SHIPMENTS, "key-7", r, 1, &ans),
	    IDEM_REPLAY);
	ck_assert_int_eq(ans.status, 500);
	json_object_put(r);
	idem_free(st);
	idem_free(NULL);
}
END_TEST

/* ------------------------------------------------------------ records */

START_TEST(test_records)
{
	struct records *rs = records_new();
	struct json_object *rec, *list;
	char id1[RECORDS_ID_SIZE], id2[RECORDS_ID_SIZE];
	int i;

	records_new_id(rs, "ch_", id1);
	records_new_id(rs, "ch_", id2);
	ck_assert_uint_eq(strlen(id1), 27);
	ck_assert_str_ne(id1, id2);
	ck_assert(strncmp(id1, "ch_", 3) == 0);
	for (i = 0; i < 3; i++) {
		rec = json_object_new_object();
		json_add_str(rec, "id", i == 0 ? id1 : i == 1 ? id2 : "ch_x");
		json_add_str(rec, "orderId", i < 2 ? "o1" : "o2");
		records_add(rs, SIM_EP_CHARGES, rec);
	}
	ck_assert_uint_eq(records_count(rs, SIM_EP_CHARGES), 3);
	ck_assert_uint_eq(records_count(rs, SIM_EP_REFUNDS), 0);
	list = records_list(rs, SIM_EP_CHARGES, "o1");
	ck_assert_uint_eq(json_object_array_length(list), 2);
	ck_assert_str_eq(json_get_str(json_object_array_get_idx(list, 1), "id"),
	    id2);
	json_object_put(list);
	list = records_list(rs, SIM_EP_CHARGES, NULL);
	ck_assert_uint_eq(json_object_array_length(list), 3);
	json_object_put(list);
	list = records_list(rs, SIM_EP_VOIDS, NULL);
	ck_assert_uint_eq(json_object_array_length(list), 0);
	json_object_put(list);
	ck_assert_ptr_nonnull(records_find(rs, SIM_EP_CHARGES, "ch_x"));
	ck_assert_ptr_null(records_find(rs, SIM_EP_CHARGES, "ch_y"));
	ck_assert_ptr_null(records_find(rs, SIM_EP_SHIPMENTS, "ch_x"));
	records_free(rs);
	records_free(NULL);
}
END_TEST

/* ------------------------------------------------------------ bodies */

static const struct {
	const char	*body;
	const char	*why;	/* NULL: accepted */
} charges[] = {
	{ "{\"orderId\":\"o\",\"paymentMethodId\":\"pm\"}", NULL },
	{ "{\"orderId\":\"o\",\"paymentMethodId\":\"pm\",\"amount\":0,"
	    "\"currency\":\"EUR\",\"customerId\":\"c\",\"extra\":true}", NULL },
	{ "[]", "object" },
	{ "{\"paymentMethodId\":\"pm\"}", "orderId" },
	{ "{\"orderId\":\"\",\"paymentMethodId\":\"pm\"}", "orderId" },
	{ "{\"orderId\":\"a b\",\"paymentMethodId\":\"pm\"}", "orderId" },
	{ "{\"orderId\":7,\"paymentMethodId\":\"pm\"}", "orderId" },
	{ "{\"orderId\":\"o\"}", "paymentMethodId" },
	{ "{\"orderId\":\"o\",\"paymentMethodId\":\"pm\",\"customerId\":1}",
	    "customerId" },
	{ "{\"orderId\":\"o\",\"paymentMethodId\":\"pm\",\"amount\":5}",
	    "together" },
	{ "{\"orderId\":\"o\",\"paymentMethodId\":\"pm\",\"currency\":\"EUR\"}",
	    "together" },
	{ "{\"orderId\":\"o\",\"paymentMethodId\":\"pm\",\"amount\":-1,"
	    "\"currency\":\"EUR\"}", "amount" },
	{ "{\"orderId\":\"o\",\"paymentMethodId\":\"pm\",\"amount\":1.5,"
	    "\"currency\":\"EUR\"}", "amount" },
	{ "{\"orderId\":\"o\",\"paymentMethodId\":\"pm\",\"amount\":1,"
	    "\"currency\":\"eur\"}", "currency" },
	{ "{\"orderId\":\"o\",\"paymentMethodId\":\"pm\",\"amount\":1,"
	    "\"currency\":\"EURO\"}", "currency" },
};

START_TEST(test_bodies_charge)
{
	struct json_object *b = parse(charges[_i].body);
	struct bodies_charge ch;
	char err[256] = "";
	enum oms_err rc = bodies_charge(b, &ch, err, sizeof(err));

	if (charges[_i].why == NULL) {
		ck_assert_msg(rc == OMS_OK, "%s: %s", charges[_i].body, err);
		ck_assert_str_eq(ch.order_id, "o");
		ck_assert_str_eq(ch.payment_method_id, "pm");
	} else {
		ck_assert_msg(rc == OMS_EINVAL, "accepted %s", charges[_i].body);
		ck_assert_msg(strstr(err, charges[_i].why) != NULL, "%s: %s",
		    charges[_i].body, err);
	}
	json_object_put(b);
}
END_TEST

START_TEST(test_bodies_others)
{
	struct json_object *b;
	struct bodies_refund re;
	struct bodies_shipment sh;
	struct bodies_charge ch;
	char err[256];

	b = parse("{\"orderId\":\"o\",\"paymentMethodId\":\"pm\",\"amount\":250,"
	    "\"currency\":\"EUR\"}");
	ck_assert_int_eq(bodies_charge(b, &ch, err, sizeof(err)), OMS_OK);
	ck_assert(ch.priced);
	ck_assert_int_eq(ch.amount, 250);
	ck_assert_str_eq(ch.currency, "EUR");
	ck_assert_ptr_null(ch.customer_id);
	json_object_put(b);

	b = parse("{\"chargeId\":\"ch_1\",\"orderId\":\"o\"}");
	ck_assert_int_eq(bodies_refund(b, &re, err, sizeof(err)), OMS_OK);
	ck_assert(!re.has_amount);
	json_object_put(b);
	b = parse("{\"chargeId\":\"ch_1\",\"orderId\":\"o\",\"amount\":0}");
	ck_assert_int_eq(bodies_refund(b, &re, err, sizeof(err)), OMS_EINVAL);
	ck_assert(strstr(err, "amount") != NULL);
	json_object_put(b);
	b = parse("{\"orderId\":\"o\"}");
	ck_assert_int_eq(bodies_refund(b, &re, err, sizeof(err)), OMS_EINVAL);
	ck_assert(strstr(err, "chargeId") != NULL);
	json_object_put(b);

	b = parse("{\"orderId\":\"o\",\"items\":[{\"sku\":\"a\"}],"
	    "\"address\":{\"city\":\"x\"}}");
	ck_assert_int_eq(bodies_shipment(b, &sh, err, sizeof(err)), OMS_OK);
	ck_assert_ptr_nonnull(sh.address);
	ck_assert_uint_eq(json_object_array_length(sh.items), 1);
	json_object_put(b);
	b = parse("{\"orderId\":\"o\",\"items\":[1]}");
	ck_assert_int_eq(bodies_shipment(b, &sh, err, sizeof(err)),
	    OMS_EINVAL);
	ck_assert(strstr(err, "items[0]") != NULL);
	json_object_put(b);
	b = parse("{\"orderId\":\"o\",\"items\":[],\"address\":\"street\"}");
	ck_assert_int_eq(bodies_shipment(b, &sh, err, sizeof(err)),
	    OMS_EINVAL);
	ck_assert(strstr(err, "address") != NULL);
	json_object_put(b);

	b = parse("{}");
	ck_assert_int_eq(bodies_void(b, err, sizeof(err)), OMS_OK);
	json_object_put(b);
	b = parse("null");
	ck_assert_int_eq(bodies_void(b, err, sizeof(err)), OMS_EINVAL);
	json_object_put(b);

	ck_assert(bodies_id_valid("0192f0c1-aaaa-7bbb-8ccc-1234567890ab"));
	ck_assert(!bodies_id_valid(""));
	ck_assert(!bodies_id_valid(NULL));
	ck_assert(!bodies_id_valid("tab\there"));
}
END_TEST

/* ------------------------------------------------------------ faults */

START_TEST(test_faults_update)
{
	struct faults f;
	struct json_object *b, *o;
	char err[256];

	faults_init(&f, 300, 150, 20, 42);
	b = parse("{\"errorRate\":0.5,\"stallMs\":10,\"unavailableMs\":1000}");
	ck_assert_int_eq(faults_update(&f, b, 5000, err, sizeof(err)), OMS_OK);
	json_object_put(b);
	ck_assert(f.error_rate == 0.5);
	ck_assert_int_eq(f.stall_ms, 10);
	ck_assert_int_eq(faults_unavailable_ms(&f, 5400), 600);
	ck_assert_int_eq(faults_unavailable_ms(&f, 6000), 0);
	o = faults_json(&f, 5000);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(o,
	    "unavailableMs")), 1000);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(o,
	    "paymentDelayMs")), 300);
	json_object_put(o);

	/* one bad member: nothing changes */
	b = parse("{\"stallMs\":99,\"jitterPct\":101}");
	ck_assert_int_eq(faults_update(&f, b, 0, err, sizeof(err)), OMS_EINVAL);
	ck_assert(strstr(err, "jitterPct") != NULL);
	ck_assert_int_eq(f.stall_ms, 10);
	json_object_put(b);
	b = parse("{\"errorRate\":\"1\"}");
	ck_assert_int_eq(faults_update(&f, b, 0, err, sizeof(err)), OMS_EINVAL);
	json_object_put(b);
	b = parse("{\"paymentDelayMs\":-1}");
	ck_assert_int_eq(faults_update(&f, b, 0, err, sizeof(err)), OMS_EINVAL);
	json_object_put(b);
	b = parse("{\"nope\":1}");
	ck_assert_int_eq(faults_update(&f, b, 0, err, sizeof(err)), OMS_EINVAL);
	ck_assert(strstr(err, "nope") != NULL);
	json_object_put(b);
	/* unavailableMs 0 ends a window */
	b = parse("{\"unavailableMs\":0}");
	ck_assert_int_eq(faults_update(&f, b, 5500, err, sizeof(err)), OMS_OK);
	ck_assert_int_eq(faults_unavailable_ms(&f, 5500), 0);
	json_object_put(b);
}
END_TEST

START_TEST(test_faults_draws)
{
	struct faults f;
	long d, lo = 1000000, hi = 0;
	int i, n = 0;

	faults_init(&f, 1000, 0, 20, 7);
	for (i = 0; i < 10000; i++) {
		d = faults_delay_ms(&f, SIM_EP_CHARGES);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
		n += faults_draw(&f, 0.25);
		ck_assert(!faults_draw(&f, 0));
		ck_assert(faults_draw(&f, 1));
	}
	ck_assert_msg(lo >= 800 && lo < 820, "lowest %ld", lo);
	ck_assert_msg(hi <= 1200 && hi > 1180, "highest %ld", hi);
	ck_assert_msg(n > 2200 && n < 2800, "%d of 10000 at 0.25", n);
	ck_assert_int_eq(faults_delay_ms(&f, SIM_EP_SHIPMENTS), 0);
	ck_assert_int_eq(faults_delay_ms(&f, SIM_EP_VOIDS), 0);
	f.jitter_pct = 0;
	ck_assert_int_eq(faults_delay_ms(&f, SIM_EP_REFUNDS), 1000);
}
END_TEST

/* ------------------------------------------------------------ timerq */

static pthread_mutex_t fired_mu = PTHREAD_MUTEX_INITIALIZER;
static int fired[16];
static int nfired;

static void
record_fire(void *item, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&fired_mu);
	fired[nfired++] = (int)(long)item;
	pthread_mutex_unlock(&fired_mu);
}

static int
fired_count(void)
{
	int n;

	pthread_mutex_lock(&fired_mu);
	n = nfired;
	pthread_mutex_unlock(&fired_mu);
	return n;
}

START_TEST(test_timerq_order)
{
	struct timerq *q = timerq_start(record_fire, NULL);
	int64_t now = clock_ms(), deadline = now + 30000;

	nfired = 0;
	ck_assert_ptr_nonnull(q);
	timerq_add(q, now + 300, (void *)3L);
	timerq_add(q, now + 100, (void *)1L);
	timerq_add(q, now + 200, (void *)2L);
	timerq_add(q, now + 200, (void *)4L);	/* after 2: same time */
	timerq_add(q, now + 60000, (void *)9L);
	ck_assert_uint_eq(timerq_peak(q), 5);
	/* sleep, not spin: under valgrind threads take turns, and a spinning
	 * main thread starves the timer thread */
	while (fired_count() < 4 && clock_ms() < deadline)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	ck_assert_int_eq(fired_count(), 4);
	ck_assert(clock_ms() - now >= 300);
	ck_assert_int_eq(fired[0], 1);
	ck_assert_int_eq(fired[1], 2);
	ck_assert_int_eq(fired[2], 4);
	ck_assert_int_eq(fired[3], 3);
	ck_assert_uint_eq(timerq_waiting(q), 1);
	/* draining fires what is left at once, and later adds in the caller */
	timerq_drain(q);
	ck_assert_int_eq(fired_count(), 5);
	ck_assert_int_eq(fired[4], 9);
	timerq_add(q, now + 60000, (void *)5L);
	ck_assert_int_eq(fired_count(), 6);
	timerq_free(q);
	timerq_free(NULL);
}
END_TEST

/* ------------------------------------------------------------ routes */

static struct routes *rt;
static struct sim_response resp;
static struct json_object *answer;

static void
routes_setup(void)
{
	struct routes_config rc = { "paytok", NULL, 0, 0, 0, 1 };

	rt = routes_new(&rc, NULL);
	memset(&resp, 0, sizeof(resp));
	answer = NULL;
}

static void
routes_teardown(void)
{
	free(resp.body);
	json_object_put(answer);
	routes_free(rt);
}

/* Sends method path (with the query's orderId, a key and a body) and
 * parses the answer into `answer`; returns the status. */
static int
call(const char *method, const char *path, const char *order_id,
    const char *key, const char *body)
{
	struct sim_request req = { method, path, order_id, key,
	    "Bearer paytok", "req-1", body != NULL ? body : "",
	    body != NULL ? strlen(body) : 0, 0 };

	free(resp.body);
	json_object_put(answer);
	answer = NULL;
	routes_handle(rt, &req, &resp);
	if (resp.body != NULL)
		answer = parse(resp.body);
	return resp.status;
}

static const char *
field(const char *key)
{
	const char *s = json_get_str(answer, key);

	return s != NULL ? s : "(none)";
}

START_TEST(test_routes_flow)
{
	char ch[64], sh[64], path[128];
	const char *charge = "{\"orderId\":\"o1\",\"paymentMethodId\":\"pm_ok\","
	    "\"amount\":100,\"currency\":\"EUR\"}";

	ck_assert_int_eq(call("GET", "/healthz", NULL, NULL, NULL), 200);
	ck_assert_int_eq(call("POST", "/charges", NULL, "k1", charge), 201);
	ck_assert_str_eq(field("status"), "succeeded");
	snprintf(ch, sizeof(ch), "%s", field("id"));
	ck_assert_int_eq(call("POST", "/charges", NULL, "k1", charge), 201);
	ck_assert_str_eq(field("id"), ch);
	ck_assert_int_eq(call("POST", "/charges", NULL, "k1",
	    "{\"orderId\":\"o1\",\"paymentMethodId\":\"pm_other\"}"), 409);
	ck_assert_str_eq(resp.content_type, "application/problem+json");
	ck_assert_str_eq(field("requestId"), "req-1");
	ck_assert_int_eq(call("GET", "/charges", "o1", NULL, NULL), 200);
	ck_assert_uint_eq(json_object_array_length(answer), 1);

	ck_assert_int_eq(call("POST", "/charges", NULL, "k2",
	    "{\"orderId\":\"o2\",\"paymentMethodId\":\"pm_decline_x\"}"), 201);
	ck_assert_str_eq(field("status"), "declined");
	ck_assert_str_eq(field("declineCode"), "card_declined");

	snprintf(path, sizeof(path), "{\"chargeId\":\"%s\",\"orderId\":\"o1\","
	    "\"amount\":40}", ch);
	ck_assert_int_eq(call("POST", "/refunds", NULL, "k3", path), 201);
	ck_assert_int_eq(call("GET", "/refunds", "o1", NULL, NULL), 200);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(
	    json_object_array_get_idx(answer, 0), "amount")), 40);

	/* no shipping token configured: none asked */
	ck_assert_int_eq(call("POST", "/shipments", NULL, "k4",
	    "{\"orderId\":\"o1\",\"items\":[]}"), 201);
	snprintf(sh, sizeof(sh), "%s", field("id"));
	snprintf(path, sizeof(path), "/shipments/%s/void", sh);
	ck_assert_int_eq(call("POST", path, NULL, "k5", "{}"), 200);
	ck_assert_str_eq(field("status"), "voided");
	ck_assert_int_eq(call("POST", path, NULL, "k6", "{}"), 200);
	ck_assert_int_eq(call("GET", "/voids", NULL, NULL, NULL), 200);
	ck_assert_uint_eq(json_object_array_length(answer), 1);
	ck_assert_int_eq(call("GET", path, NULL, NULL, NULL), 405);
	ck_assert_str_eq(resp.allow, "POST");
	ck_assert_int_eq(call("POST", "/shipments//void", NULL, "k7", "{}"),
	    404);
	ck_assert_int_eq(call("GET", "/_sim/stats", NULL, NULL, NULL), 200);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(
	    json_object_object_get(json_object_object_get(answer, "requests"),
	    "charges"), "replayed")), 1);
}
END_TEST

START_TEST(test_routes_faults)
{
	struct sim_request req = { "POST", "/charges", NULL, "k1",
	    "Bearer wrong", NULL, "{}", 2, 0 };
	const char *charge = "{\"orderId\":\"o1\",\"paymentMethodId\":\"pm\"}";

	routes_handle(rt, &req, &resp);
	ck_assert_int_eq(resp.status, 401);
	ck_assert(resp.www_authenticate);
	ck_assert_int_eq(call("PUT", "/_sim/config", NULL, NULL,
	    "{\"paymentDelayMs\":250,\"stallMs\":50}"), 200);
	ck_assert_int_eq(call("POST", "/charges", NULL, "k1", charge), 201);
	ck_assert_int_eq(resp.hold_ms, 300);
	/* the same key while its answer is held */
	ck_assert_int_eq(call("POST", "/charges", NULL, "k1", charge), 409);
	ck_assert_int_eq(resp.retry_after, 1);
	ck_assert_str_eq(field("type"), "/problems/idempotency-key-in-progress");
	ck_assert_int_eq(call("PUT", "/_sim/config", NULL, NULL,
	    "{\"unavailableMs\":60000,\"stallMs\":0}"), 200);
	ck_assert_int_eq(call("POST", "/charges", NULL, "k9", charge), 503);
	ck_assert_int_eq(resp.retry_after, 1);
	ck_assert_int_eq(resp.hold_ms, 0);
	ck_assert_int_eq(call("PUT", "/_sim/config", NULL, NULL,
	    "{\"unavailableMs\":0,\"errorRate\":1}"), 200);
	ck_assert_int_eq(call("POST", "/charges", NULL, "k9", charge), 500);
	ck_assert_int_eq(call("PUT", "/_sim/config", NULL, NULL,
	    "{\"errorRate\":0,\"paymentDelayMs\":0}"), 200);
	ck_assert_int_eq(call("POST", "/charges", NULL, "k9", charge), 201);
	ck_assert_int_eq(call("GET", "/charges", "o1", NULL, NULL), 200);
	ck_assert_uint_eq(json_object_array_length(answer), 2);
	ck_assert_int_eq(call("PUT", "/_sim/config", NULL, NULL, "[1]"), 400);
	ck_assert_int_eq(call("GET", "/nothing", NULL, NULL, NULL), 404);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("provider_sim");

	unit_add(s, "idem_states", test_idem_states, NULL, NULL);
	unit_add(s, "idem_many", test_idem_many, NULL, NULL);
	unit_add(s, "records", test_records, NULL, NULL);
	unit_add_loop(s, "bodies_charge", test_bodies_charge,
	    (int)(sizeof(charges) / sizeof(charges[0])), NULL, NULL);
	unit_add(s, "bodies_others", test_bodies_others, NULL, NULL);
	unit_add(s, "faults_update", test_faults_update, NULL, NULL);
	unit_add(s, "faults_draws", test_faults_draws, NULL, NULL);
	unit_add(s, "timerq_order", test_timerq_order, NULL, NULL);
	unit_add(s, "routes_flow", test_routes_flow, routes_setup,
	    routes_teardown);
	unit_add(s, "routes_faults", test_routes_faults, routes_setup,
	    routes_teardown);
	return unit_run(s);
}
