#!/usr/bin/env bash
test_description='end to end: kill -9 of a worker mid-flow, and a worker that dies between the Redis write and the ack, lose and duplicate nothing'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

BODY='{"customerId":"cus_demo","paymentMethodId":"pm_1","items":[{"productId":"p1","variantId":"v1","quantity":1}]}'

status_is() {
	test "$(api customer GET "/orders/$1")" = 200 &&
	test "$(api_json .status)" = "$2"
}

# exactly_once ID: shipped, and one applied event per command of the flow.
exactly_once() {
	api admin GET "/orders/$1/events" >/dev/null &&
	test -z "$(api_json '.items[].commandId' | sort | uniq -d)" &&
	test "$(api_json '[.items[] | select(.outcome == "applied")] | length')" = 3 &&
	test "$(api_json '[.items[] | select(.type == "orders.ship")] | length')" = 1
}

has_worker_child() {
	test -n "$(stack_worker_children)"
}

# kills_logged N: the master has logged N children killed by signal 9.
kills_logged() {
	test "$(grep -c "killed by signal 9" "$STACK_DIR/oms-worker.log")" -ge "$1"
}

test_expect_success 'start the stack; worker with a 1 s payment provider' '
	stack_start_redis &&
	stack_start_rabbitmq &&
	stack_start_worker OMS_WORKER_PROCESSES=2 OMS_PAYMENT_DELAY_MS=1000 &&
	stack_start_fcgi &&
	stack_start_nginx &&
	stack_wait_ready 30 &&
	stack_demo_keys
'

test_expect_success 'kill -9 worker processes while 8 orders are in the flow' '
	for i in 1 2 3 4 5 6 7 8; do
		api_expect 202 customer POST /orders "$BODY" &&
		api_json .id >>orders.ids || return 1
	done &&
	sleep 0.5 &&
	for round in 1 2 3; do
		victim=$(stack_worker_children | head -n 1) &&
		test -n "$victim" && kill -9 "$victim" &&
		sleep 0.7 || return 1
	done &&
	retry_until 10 kills_logged 3
'

test_expect_success 'every order still reaches shipped, each command applied once' '
	while read -r id; do
		retry_until 40 status_is "$id" shipped ||
		    { echo "$id is $(api_json .status)"; return 1; }
		exactly_once "$id" || { echo "$id: events"; api_json . ; return 1; }
	done <orders.ids
'

if test_have_fault_injection; then
	# One delivery at a time (OMS_WORKER_INFLIGHT=1), so that each of the
	# 9 commands is the one a process dies on: with more in flight, those
	# beside it come back redelivered and do not trigger the fault.
	test_expect_success 'worker dying after every first apply (exit-after-apply)' '
		stack_stop_worker &&
		stack_start_worker OMS_FAULT=exit-after-apply OMS_WORKER_INFLIGHT=1 &&
		for i in 1 2 3; do
			api_expect 202 customer POST /orders "$BODY" &&
			api_json .id >>fault.ids || return 1
		done &&
		while read -r id; do
			retry_until 40 status_is "$id" shipped ||
			    { echo "$id is $(api_json .status)"; return 1; }
			exactly_once "$id" || return 1
		done <fault.ids &&
		test "$(grep -c "fault injection: exiting after apply" "$STACK_DIR/oms-worker.log")" -ge 9 &&
		test "$(grep -c "orders.create duplicate" "$STACK_DIR/oms-worker.log")" -ge 3
	'
else
	test_skip 'worker dying after every first apply (exit-after-apply)' \
	    'needs ./configure --enable-fault-injection'
fi

# A prefetch above 1: each process works on up to 16 deliveries at once,
# each acked once its own follow-ups are confirmed. The 24 creates are
# queued before the worker starts, so that it holds many at once however
# slowly the POSTs come on a loaded machine.
test_expect_success 'batches (prefetch 16): kill -9 while 24 orders are in the flow' '
	stack_stop_worker &&
	marker=$(wc -l <"$STACK_DIR/oms-worker.log") &&
	for i in $(seq 24); do
		api_expect 202 customer POST /orders "$BODY" &&
		api_json .id >>batch.ids || return 1
	done &&
	stack_start_worker OMS_WORKER_PROCESSES=2 OMS_WORKER_PREFETCH=16 \
	    OMS_PAYMENT_DELAY_MS=100 OMS_LOG_LEVEL=debug &&
	kills=$(grep -c "killed by signal 9" "$STACK_DIR/oms-worker.log") &&
	for round in 1 2; do
		retry_until 10 has_worker_child &&
		victim=$(stack_worker_children | head -n 1) &&
		kill -9 "$victim" &&
		retry_until 10 kills_logged $((kills + round)) &&
		sleep 0.3 || return 1
	done &&
	while read -r id; do
		retry_until 40 status_is "$id" shipped ||
		    { echo "$id is $(api_json .status)"; return 1; }
		exactly_once "$id" || { echo "$id: events"; api_json . ; return 1; }
	done <batch.ids &&
	{ tail -n +"$((marker + 1))" "$STACK_DIR/oms-worker.log" |
	    grep -Eq "(^|[^0-9])([2-9]|1[0-6]) deliveries in flight" ||
	    { echo "never 2 or more deliveries in flight in the log"; false; }; }
'

if test_have_fault_injection; then
	test_expect_success 'batches: a worker dying after the first apply of each batch' '
		stack_stop_worker &&
		: >"$STACK_DIR/oms-worker.log" &&
		for i in $(seq 12); do
			api_expect 202 customer POST /orders "$BODY" &&
			api_json .id >>batchfault.ids || return 1
		done &&
		stack_start_worker OMS_WORKER_PROCESSES=2 OMS_WORKER_PREFETCH=16 \
		    OMS_FAULT=exit-after-apply &&
		while read -r id; do
			retry_until 60 status_is "$id" shipped ||
			    { echo "$id is $(api_json .status)"; return 1; }
			exactly_once "$id" || return 1
		done <batchfault.ids &&
		grep -q "fault injection: exiting after apply" "$STACK_DIR/oms-worker.log"
	'

	# A follow-up that never left (the broker unreachable at connect) must
	# be published again after a backoff, and only then its delivery
	# acked: every seventh publish fails before sending here.
	test_expect_success 'batches: follow-ups that were never sent are published again' '
		stack_stop_worker &&
		: >"$STACK_DIR/oms-worker.log" &&
		stack_start_worker OMS_WORKER_PROCESSES=2 OMS_WORKER_PREFETCH=4 \
		    OMS_FAULT=mq-unsent-every=7 &&
		for i in $(seq 8); do
			api_expect 202 customer POST /orders "$BODY" &&
			api_json .id >>unsent.ids || return 1
		done &&
		while read -r id; do
			retry_until 40 status_is "$id" shipped ||
			    { echo "$id is $(api_json .status)"; return 1; }
			exactly_once "$id" || return 1
		done <unsent.ids &&
		grep -Eq "not sent \(fault injection\); retry|follow-ups not confirmed; publishing them again" \
		    "$STACK_DIR/oms-worker.log"
	'
fi

test_expect_success 'nothing was dead-lettered' '
	test_eq "$(queue_drain order-worker-queue.dead)" 0
'

test_expect_success 'no sanitizer report' '
	stack_stop_worker && stack_stop_fcgi &&
	stack_sanitizer_reports
'

test_done
