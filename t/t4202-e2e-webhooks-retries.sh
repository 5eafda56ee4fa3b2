#!/usr/bin/env bash
test_description='webhook retries that must not stall the flow: a failing event read in the worker (fault injection) delays only its own order; a redeliver racing an attempt in flight loses nothing and sends one delivery at a time'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"
. "$OMS_SRCDIR/t/lib-webhooks.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

NOTIFY_ENV="OMS_WEBHOOK_ALLOW_HTTP=1 OMS_WEBHOOK_ALLOW_PRIVATE=1"

body() { # body CUSTOMER
	printf '{"customerId":"%s","paymentMethodId":"pm_1","items":[{"productId":"p1","variantId":"v1","quantity":1}]}' "$1"
}

status_is() {
	test "$(api admin GET "/orders/$1")" = 200 &&
	test "$(api_json .status)" = "$2"
}

# received NAME EVENT-ID: how many requests of EVENT-ID NAME answered.
received() {
	jq -r --arg id "$2" 'select(.id == $id) | .id' "$TRASH_DIRECTORY/$1.log" | wc -l
}

# The read for the event of the create of customer cus_event_read_fail
# fails for 20 s (worker/events.c; a build without fault injection ignores
# OMS_FAULT).
test_expect_success 'start the stack (one worker process, a failing event read) and oms-notify' '
	stack_start_redis &&
	stack_start_rabbitmq &&
	stack_start_worker OMS_WORKER_PROCESSES=1 OMS_FAULT=event-read-fail-ms=20000 &&
	stack_start_fcgi OMS_WEBHOOK_ALLOW_HTTP=1 &&
	stack_start_nginx &&
	stack_wait_ready 30 &&
	stack_demo_keys &&
	stack_start_notify $NOTIFY_ENV &&
	receiver_start fast &&
	webhook_add fast "[\"*\"]" >fast.id &&
	api_expect 202 admin POST /orders "$(body cus_warm)" &&
	warm=$(api_json .id) &&
	retry_until 20 status_is "$warm" shipped &&
	order_events "$warm" >warm.events &&
	retry_until 20 all_delivered fast warm.events
'

if test_have_fault_injection; then
	# the delivery waits in BACKOFF while the one process works on another
	# order
	test_expect_success 'a failing event read delays its own order only' '
		log="$STACK_DIR/oms-worker.log" &&
		api_expect 202 admin POST /orders "$(body cus_event_read_fail)" &&
		slow=$(api_json .id) &&
		retry_until 10 grep -q "orders.create .*: Redis: the read of the order for its event failed; retry 1" "$log" &&
		api_expect 201 admin POST /orders "$(body cus_other_order)" "Prefer: wait=5" &&
		other=$(api_json .id) &&
		retry_until 10 status_is "$other" shipped &&
		order_events "$other" >other.events &&
		test_eq "$(wc -l <other.events)" 3 &&
		retry_until 10 all_delivered fast other.events &&
		status_is "$slow" created &&
		order_events "$slow" >slow.events &&
		test_eq "$(received fast "$(head -n 1 slow.events)")" 0 &&
		retry_until 20 eval "test \$(grep -c \"HGETALL: ERR wrong number of arguments\" \"\$log\") -ge 3" &&
		retry_until 90 status_is "$slow" shipped &&
		order_events "$slow" >slow.events &&
		test_eq "$(wc -l <slow.events)" 3 &&
		retry_until 20 all_delivered fast slow.events &&
		test_eq "$(received fast "$(head -n 1 slow.events)")" 1
	'
else
	test_skip 'a failing event read delays its own order only' \
	    'needs ./configure --enable-fault-injection'
fi

# metrics_now: the delivery outcome counters, "delivered retried failed".
metrics_now() {
	local f v out=
	for f in delivered retried failed; do
		v=$(stack_redis_cli HGET oms:metrics:webhooks "$f") || return 1
		out="$out ${v:-0}"
	done
	echo "${out# }"
}

# metrics_delta FILE: the counters now minus those metrics_now wrote to FILE.
metrics_delta() {
	local a b
	read -r -a a <"$1" &&
	read -r -a b <<<"$(metrics_now)" &&
	echo "delivered=$((b[0] - a[0])) retried=$((b[1] - a[1])) failed=$((b[2] - a[2]))"
}

# redeliver_race NAME STATUS WANT: the receiver NAME holds the first attempt of
# an order.created event 3 s and answers it STATUS; a redeliver while it is
# held is honoured after it, as the next attempt (never a second one in
# flight); the delivery ends delivered, and the outcome counters grow by
# WANT (one count per attempt).
redeliver_race() {
	local name=$1 status=$2 want=$3 sid eid
	receiver_start "$name" --hold-first="3000:$status" &&
	sid=$(webhook_add "$name" "[\"order.created\"]") &&
	metrics_now >"$name.m0" &&
	api_expect 202 admin POST /orders "$(body cus_race)" &&
	retry_until 20 test -s "$TRASH_DIRECTORY/$name.log.held" &&
	eid=$(cat "$TRASH_DIRECTORY/$name.log.held") &&
	api_expect 202 admin POST "/webhooks/$sid/deliveries/$eid/redeliver" &&
	test_eq "$(api_json .state)" pending &&
	retry_until 30 eval "test \$(received $name $eid) -ge 2" &&
	retry_until 20 eval "test \"\$(stack_redis_cli HGET oms:webhook:dlv:$sid:$eid state)\" = delivered" &&
	test_eq "$(stack_redis_cli SCARD "oms:webhook:pending:$sid")" 0 &&
	test_eq "$(stack_redis_cli ZSCORE "oms:webhook:due:$sid" "$eid")" "" &&
	test_eq "$(received "$name" "$eid")" 2 &&
	# one at a time: the redelivery arrived after the held one was answered
	jq -s -e --arg id "$eid" "[.[] | select(.id == \$id)] | sort_by(.arrived) |
	    .[0].status == $status and .[1].status == 200 and
	    .[1].arrived >= .[0].at" "$TRASH_DIRECTORY/$name.log" >/dev/null &&
	api_expect 200 admin GET "/webhooks/$sid/deliveries" &&
	test_eq "$(api_json "[.items[] | select(.eventId == \"$eid\")] | length")" 2 &&
	test_eq "$(api_json "[.items[] | select(.eventId == \"$eid\")][0].state")" delivered &&
	test_eq "$(metrics_delta "$name.m0")" "$want" &&
	receiver_stop "$name" &&
	api_expect 204 admin DELETE "/webhooks/$sid"
}

test_expect_success 'a redeliver racing a held attempt that fails: sent once more after it, delivered' '
	api_expect 204 admin DELETE "/webhooks/$(cat fast.id)" &&
	redeliver_race hold500 500 "delivered=1 retried=1 failed=0"
'

test_expect_success 'a redeliver racing a held attempt that succeeds: sent again after it' '
	redeliver_race hold200 200 "delivered=2 retried=0 failed=0"
'

test_expect_success 'no sanitizer report (daemons and receivers)' '
	stack_stop_worker && stack_stop_notify && stack_stop_fcgi &&
	receiver_stop fast &&
	stack_sanitizer_reports &&
	! grep -El "ERROR: (Address|Leak)Sanitizer|runtime error:" "$TRASH_DIRECTORY"/*.out
'

test_done
