#!/usr/bin/env bash
test_description='webhooks under faults: a receiver failing for 30 s gets everything afterwards; a slow receiver does not delay a fast one; kill -9 of oms-notify mid-delivery and of a worker after applying lose no event'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"
. "$OMS_SRCDIR/t/lib-webhooks.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

BODY='{"customerId":"cus_demo","paymentMethodId":"pm_1","items":[{"productId":"p1","variantId":"v1","quantity":2}]}'
NOTIFY_ENV="OMS_WEBHOOK_ALLOW_HTTP=1 OMS_WEBHOOK_ALLOW_PRIVATE=1"

status_is() {
	test "$(api customer GET "/orders/$1")" = 200 &&
	test "$(api_json .status)" = "$2"
}

test_expect_success 'start the stack and oms-notify (retries within 2 s, at most 4 s apart)' '
	stack_start_redis &&
	stack_start_rabbitmq &&
	stack_start_worker &&
	stack_start_fcgi OMS_WEBHOOK_ALLOW_HTTP=1 &&
	stack_start_nginx &&
	stack_wait_ready 30 &&
	stack_demo_keys &&
	stack_start_notify $NOTIFY_ENV OMS_WEBHOOK_RETRY_FIRST_MS=2000 \
	    OMS_WEBHOOK_RETRY_MAX_MS=4000
'

test_expect_success 'a receiver answering 500 for 30 s, then 200, gets every event' '
	receiver_start flaky --fail-for=30 &&
	t0=$(date +%s) &&
	webhook_add flaky "[\"*\"]" >flaky.id &&
	for i in 1 2 3; do
		api_expect 202 customer POST /orders "$BODY" &&
		api_json .id >>flaky.orders || return 1
	done &&
	while read -r id; do
		retry_until 40 status_is "$id" shipped &&
		order_events "$id" >>flaky.events || return 1
	done <flaky.orders &&
	test_eq "$(wc -l <flaky.events)" 9 &&
	retry_until 60 all_delivered flaky flaky.events &&
	test "$(($(date +%s) - t0))" -ge 30 &&
	test "$(jq -r "select(.status == 500) | .id" flaky.log | wc -l)" -ge 9 &&
	test_eq "$(jq -r "select(.status == 200 and .attempt < 2) | .id" flaky.log)" "" &&
	test_eq "$(jq -r "select(.valid != [0]) | .id" flaky.log)" "" &&
	sid=$(cat flaky.id) &&
	api_expect 200 admin GET "/webhooks/$sid/deliveries?limit=100" &&
	test "$(api_json "[.items[] | select(.state == \"retrying\" and .statusCode == 500 and .nextRetryAt != null)] | length")" -ge 9 &&
	retry_until 10 eval "test \"\$(stack_redis_cli SCARD oms:webhook:pending:$sid)\" = 0" &&
	api_expect 204 admin DELETE "/webhooks/$sid"
'

test_expect_success 'a slow receiver does not hold a fast one back (in-flight cap)' '
	stack_stop_notify &&
	stack_start_notify $NOTIFY_ENV OMS_WEBHOOK_INFLIGHT_PER_SUB=2 &&
	receiver_start sloth --delay-ms=3000 &&
	webhook_add sloth "[\"*\"]" >sloth.id &&
	receiver_start quick &&
	webhook_add quick "[\"*\"]" >quick.id &&
	for i in 1 2 3 4 5 6; do
		api_expect 202 customer POST /orders "$BODY" &&
		api_json .id >>cap.orders || return 1
	done &&
	while read -r id; do
		retry_until 40 status_is "$id" shipped &&
		order_events "$id" >>cap.events || return 1
	done <cap.orders &&
	retry_until 20 all_delivered quick cap.events &&
	# 18 events, 2 x 2 in flight of 3 s each: sloth needs 15 s
	test "$(wc -l <sloth.log)" -lt 18 &&
	retry_until 60 all_delivered sloth cap.events &&
	api_expect 204 admin DELETE "/webhooks/$(cat sloth.id)" &&
	api_expect 204 admin DELETE "/webhooks/$(cat quick.id)"
'

test_expect_success 'kill -9 of the oms-notify processes mid-delivery loses nothing' '
	stack_stop_notify &&
	stack_start_notify $NOTIFY_ENV OMS_WEBHOOK_TIMEOUT_MS=4000 \
	    OMS_WEBHOOK_RETRY_FIRST_MS=500 &&
	receiver_start slow --delay-ms=2500 &&
	webhook_add slow "[\"*\"]" >slow.id &&
	n=$(grep -c "new deliver" "$STACK_DIR/oms-notify.log") &&
	for i in 1 2 3; do
		api_expect 202 customer POST /orders "$BODY" &&
		api_json .id >>slow.orders || return 1
	done &&
	retry_until 20 eval "test \$(grep -c \"new deliver\" \"$STACK_DIR/oms-notify.log\") -gt $n" &&
	sleep 0.5 &&
	for p in $(stack_notify_children); do kill -9 "$p" || return 1; done &&
	while read -r id; do
		retry_until 40 status_is "$id" shipped &&
		order_events "$id" >>slow.events || return 1
	done <slow.orders &&
	retry_until 90 all_delivered slow slow.events &&
	sid=$(cat slow.id) &&
	retry_until 30 eval "test \"\$(stack_redis_cli SCARD oms:webhook:pending:$sid)\" = 0" &&
	test "$(jq -r .id slow.log | sort | uniq -d | wc -l)" -ge 1 &&
	test_eq "$(jq -r "select(.valid != [0]) | .id" slow.log)" "" &&
	api_expect 204 admin DELETE "/webhooks/$sid"
'

if test_have_fault_injection; then
	test_expect_success 'a worker dying after every first apply: every event delivered' '
		receiver_start fast &&
		webhook_add fast "[\"*\"]" >fast.id &&
		stack_stop_worker &&
		stack_start_worker OMS_FAULT=exit-after-apply &&
		api_expect 202 customer POST /orders "$BODY" &&
		id=$(api_json .id) &&
		retry_until 60 status_is "$id" shipped &&
		order_events "$id" >fast.events &&
		test_eq "$(wc -l <fast.events)" 3 &&
		retry_until 30 all_delivered fast fast.events &&
		test "$(grep -c "fault injection: exiting after apply" "$STACK_DIR/oms-worker.log")" -ge 3
	'
else
	test_skip 'a worker dying after every first apply: every event delivered' \
	    'needs ./configure --enable-fault-injection'
fi

test_done
