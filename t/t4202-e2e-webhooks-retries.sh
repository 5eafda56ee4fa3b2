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

# order_events ID: the event ids of order ID's history, one a line.
order_events() {
	api admin GET "/orders/$1/events" >/dev/null &&
	api_json '.items[].commandId | "evt_" + .'
}

# all_delivered NAME FILE: every event id of FILE has a 2xx at NAME.
all_delivered() {
	local e
	while read -r e; do
		delivered "$1" "$e" || return 1
	done <"$2"
}

# received NAME EVENT-ID: how many requests of EVENT-ID NAME answered.
received() {
	jq -r --arg id "$2" 'select(.id == $id) | .id' "$TRASH_DIRECTORY/$1.log" | wc -l
}

if test_have_fault_injection; then
	# The read for the event of the create of customer
	# cus_event_read_fail fails for 15 s (worker/events.c): the delivery
	# waits in BACKOFF while the one process works on another order.
	test_expect_success 'start the stack (one worker process, a failing event read) and oms-notify' '
		stack_start_redis &&
		stack_start_rabbitmq &&
		stack_start_worker OMS_WORKER_PROCESSES=1 OMS_FAULT=event-read-fail-ms=15000 &&
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
		retry_until 60 status_is "$slow" shipped &&
		order_events "$slow" >slow.events &&
		test_eq "$(wc -l <slow.events)" 3 &&
		retry_until 20 all_delivered fast slow.events &&
		test_eq "$(received fast "$(head -n 1 slow.events)")" 1
	'
else
	test_skip 'start the stack (one worker process, a failing event read) and oms-notify' \
	    'needs ./configure --enable-fault-injection'
	test_skip 'a failing event read delays its own order only' \
	    'needs ./configure --enable-fault-injection'
fi

test_done
