#!/usr/bin/env bash
test_description='end to end with oms-provider-sim: declines, 503 then success under one key, timeouts, 4xx refusals, no second charge after a kill between the answer and the apply, a slow provider delays no other order, many calls in flight'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

body() { # body PAYMENT-METHOD [CUSTOMER]
	printf '{"customerId":"%s","paymentMethodId":"%s","items":[{"productId":"p1","variantId":"v1","quantity":2}]}' "${2:-cus_demo}" "$1"
}

status_is() {
	test "$(api admin GET "/orders/$1")" = 200 &&
	test "$(api_json .status)" = "$2"
}

# records KIND ID: how many KIND records (charges, refunds, shipments,
# voids) the simulator holds for order ID.
records() {
	stack_provider_sim_get "/$1?orderId=$2" | jq length
}

# create [PAYMENT-METHOD]: a new order (202); prints its id.
create() {
	api_expect 202 customer POST /orders "$(body "${1:-pm_1}")" >/dev/null &&
	api_json .id
}

test_expect_success 'start the stack; the worker talks to oms-provider-sim' '
	stack_start_redis &&
	stack_start_rabbitmq &&
	stack_start_worker OMS_WORKER_PROCESSES=1 &&
	stack_start_fcgi &&
	stack_start_nginx &&
	stack_wait_ready 30 &&
	stack_demo_keys &&
	id=$(create) &&
	retry_until 20 status_is "$id" shipped &&
	test_eq "$(records charges "$id")" 1 &&
	test_eq "$(records shipments "$id")" 1 &&
	stack_provider_sim_get "/charges?orderId=$id" >charge.json &&
	test_match "$(jq -r ".[0].idempotencyKey" charge.json)" "^[0-9a-f-]{36}\.pay$"
'

test_expect_success 'a decline (2xx "declined") ends in paymentFailed, one charge' '
	id=$(create pm_decline_1) &&
	retry_until 20 status_is "$id" paymentFailed &&
	test_eq "$(records charges "$id")" 1 &&
	test_eq "$(records shipments "$id")" 0
'

test_expect_success '503 (Retry-After: 1) for 2 s, then success under the same key: one charge' '
	: >"$STACK_DIR/oms-worker.log" &&
	stack_provider_sim_set "{\"unavailableMs\":2000}" >/dev/null &&
	id=$(create) &&
	retry_until 30 status_is "$id" shipped &&
	test_eq "$(records charges "$id")" 1 &&
	test_eq "$(records shipments "$id")" 1 &&
	grep -q "orders.process.payment .*: 503; retry" "$STACK_DIR/oms-worker.log"
'

test_expect_success 'an answer slower than the timeout is retried; one charge' '
	stack_stop_worker &&
	: >"$STACK_DIR/oms-worker.log" &&
	stack_start_worker OMS_WORKER_PROCESSES=1 OMS_PROVIDER_TIMEOUT_MS=500 &&
	stack_provider_sim_set "{\"stallMs\":1500}" >/dev/null &&
	id=$(create) &&
	retry_until 20 grep -q "timed out: .*; retry" "$STACK_DIR/oms-worker.log" &&
	stack_provider_sim_set "{\"stallMs\":0}" >/dev/null &&
	retry_until 30 status_is "$id" shipped &&
	test_eq "$(records charges "$id")" 1 &&
	test_eq "$(records shipments "$id")" 1
'

test_expect_success 'a 4xx (401: wrong token) is a refusal: paymentFailed with the reason' '
	stack_stop_worker &&
	stack_stop_provider_sim &&
	stack_start_provider_sim OMS_PAYMENT_TOKEN=right-token &&
	stack_start_worker OMS_WORKER_PROCESSES=1 OMS_PAYMENT_TOKEN=wrong-token &&
	id=$(create) &&
	retry_until 20 status_is "$id" paymentFailed &&
	test_eq "$(records charges "$id")" 0 &&
	api admin GET "/orders/$id/events" >/dev/null &&
	api_json ".items[] | select(.type == \"orders.process.payment\") | .detail" >refusal.txt &&
	grep -q 401 refusal.txt
'

test_expect_success 'the right token is sent as a Bearer: paid and shipped' '
	stack_stop_worker &&
	stack_start_worker OMS_WORKER_PROCESSES=1 OMS_PAYMENT_TOKEN=right-token &&
	id=$(create) &&
	retry_until 20 status_is "$id" shipped &&
	test_eq "$(records charges "$id")" 1
'

if test_have_fault_injection; then
	test_expect_success 'kill between the provider answer and the apply: no second charge' '
		stack_stop_worker &&
		stack_stop_provider_sim &&
		stack_start_provider_sim &&
		: >"$STACK_DIR/oms-worker.log" &&
		stack_start_worker OMS_WORKER_PROCESSES=1 OMS_FAULT=exit-after-provider &&
		id=$(create) &&
		retry_until 40 status_is "$id" shipped &&
		test "$(grep -c "exiting after the provider answered" "$STACK_DIR/oms-worker.log")" -ge 2 &&
		test_eq "$(records charges "$id")" 1 &&
		test_eq "$(records shipments "$id")" 1
	'
else
	test_skip 'kill between the provider answer and the apply: no second charge' \
	    'needs ./configure --enable-fault-injection'
fi

# While one order's charge is held 4 s, the same process creates, declines
# and cancels another order.
test_expect_success 'a slow payment of one order does not delay another order (one process)' '
	stack_stop_worker &&
	stack_start_worker OMS_WORKER_PROCESSES=1 OMS_PAYMENT_DELAY_MS=4000 &&
	slow=$(create) &&
	retry_until 20 eval "test \"\$(stack_provider_sim_get /_sim/stats | jq .waiting)\" -ge 1" &&
	stack_provider_sim_set "{\"paymentDelayMs\":0}" >/dev/null &&
	api_expect 201 customer POST /orders "$(body pm_decline_2)" "Prefer: wait=5" &&
	other=$(api_json .id) &&
	retry_until 10 status_is "$other" paymentFailed &&
	api_expect 200 customer PATCH "/orders/$other/cancel" "" "Prefer: wait=5" &&
	test_eq "$(api_json .status)" canceled &&
	status_is "$slow" created &&
	retry_until 20 status_is "$slow" shipped
'

test_expect_success '200 orders with a 1 s payment and 2 processes ship in seconds, not 100 s' '
	stack_stop_worker &&
	stack_start_worker OMS_WORKER_PROCESSES=2 OMS_PAYMENT_DELAY_MS=1000 &&
	start=$(date +%s) &&
	pids= &&
	for j in 1 2 3 4; do
		(for i in $(seq 50); do
			curl -s -o /dev/null -H "Authorization: Bearer $OMS_ADMIN_KEY" \
			    -H "Content-Type: application/json" \
			    --data-binary "$(body pm_1 cus_bulk)" "$OMS_URL/orders"
		done) &
		pids="$pids $!"
	done &&
	for p in $pids; do wait "$p" || return 1; done &&
	shipped() {
		api admin GET "/orders?customerId=cus_bulk&status=shipped&limit=200" >/dev/null &&
		test "$(api_json ".items | length")" -eq 200
	} &&
	retry_until 60 shipped &&
	took=$(($(date +%s) - start)) &&
	echo "200 orders shipped in $took s" >&2 &&
	test "$took" -le 30
'

test_expect_success 'a stop while a call is in flight requeues it; the next worker completes it: one charge' '
	stack_provider_sim_set "{\"paymentDelayMs\":3000}" >/dev/null &&
	id=$(create) &&
	retry_until 20 eval "test \"\$(stack_provider_sim_get /_sim/stats | jq .waiting)\" -ge 1" &&
	stack_stop_worker &&
	status_is "$id" created &&
	stack_start_worker OMS_WORKER_PROCESSES=1 &&
	retry_until 30 status_is "$id" shipped &&
	test_eq "$(records charges "$id")" 1
'

# payment_waits LINE ORDER N: since line LINE, the worker logged N or more
# first 503 answers to the payment of ORDER (each a process holding it in
# its retry backoff).
payment_waits() {
	test "$(tail -n +"$(($1 + 1))" "$STACK_DIR/oms-worker.log" |
	    grep -c "orders.process.payment .*: 503; retry 1 .*order_id=$2")" -ge "$3"
}

# kill_while_waiting LINE ORDER N: N times, once the worker process (one)
# holds the waiting payment of ORDER, kill -9 it (the broker returns the
# payment to the queue each time; the master starts a new process).
kill_while_waiting() {
	local k
	for k in $(seq 1 "$3"); do
		retry_until 30 payment_waits "$1" "$2" "$k" || return 1
		kill -KILL "$(stack_worker_children)" || return 1
	done
}

# A queue counts every return against its delivery limit (5): without the
# renewal (worker/renew.c) the sixth kill dead-letters the payment.
test_expect_success 'a payment waiting through 6 crashes of its worker is renewed, never dead-lettered' '
	marker=$(wc -l <"$STACK_DIR/oms-worker.log") &&
	test "$(queue_drain order-worker-queue.dead)" -ge 0 &&
	stack_provider_sim_set "{\"unavailableMs\":600000}" >/dev/null &&
	id=$(create) &&
	kill_while_waiting "$marker" "$id" 6 &&
	retry_until 30 payment_waits "$marker" "$id" 7 &&
	tail -n +"$((marker + 1))" "$STACK_DIR/oms-worker.log" |
	    grep -q "orders.process.payment .* came back 3 times while it waited: publishing a fresh copy" &&
	stack_provider_sim_set "{\"unavailableMs\":0}" >/dev/null &&
	retry_until 30 status_is "$id" shipped &&
	test_eq "$(records charges "$id")" 1 &&
	test_eq "$(queue_drain order-worker-queue.dead)" 0
'

test_expect_success 'no sanitizer report, no crashed worker (but the kills above)' '
	! head -n "$marker" "$STACK_DIR/oms-worker.log" | grep -Eq "killed by signal" &&
	stack_stop_worker && stack_stop_fcgi &&
	stack_sanitizer_reports
'

test_done
