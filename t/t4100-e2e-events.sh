#!/usr/bin/env bash
test_description='order events on oms.events: one per applied transition, before the ack, with stable ids, also when the worker dies after applying'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

BODY='{"customerId":"cus_demo","paymentMethodId":"pm_1","items":[{"productId":"p1","variantId":"v1","quantity":2}]}'

status_is() {
	test "$(api customer GET "/orders/$1")" = 200 &&
	test "$(api_json .status)" = "$2"
}

# take_events FILE: every message of oms-notify-queue, one JSON body a
# line, appended to FILE (mq-get prints properties, a blank line, the body).
take_events() {
	local rc
	while :; do
		mq_get oms-notify-queue >one.msg
		rc=$?
		[ "$rc" = 0 ] || break
		sed "1,/^\$/d" one.msg | jq -c . >>"$1" || return 1
		grep -q "^TYPE=order\." one.msg || return 1
	done
	[ "$rc" = 3 ]
}

test_expect_success 'start the stack with oms-worker' '
	stack_start_redis &&
	stack_start_rabbitmq &&
	stack_start_worker &&
	stack_start_fcgi &&
	stack_start_nginx &&
	stack_wait_ready 30 &&
	stack_demo_keys
'

test_expect_success 'a flow to shipped: order.created, payment_succeeded, shipped' '
	api_expect 202 customer POST /orders "$BODY" &&
	id=$(api_json .id) && echo "$id" >o1.id &&
	retry_until 40 status_is "$id" shipped &&
	take_events ev1 &&
	test_eq "$(jq -r .type ev1 | tr "\n" " ")" "order.created order.payment_succeeded order.shipped " &&
	api admin GET "/orders/$id/events" >/dev/null &&
	cid=$(api_json ".items[0].commandId") &&
	test_eq "$(jq -r .id ev1 | tr "\n" " ")" "evt_$cid evt_$cid.pay evt_$cid.pay.ship " &&
	test_eq "$(jq -r "[.orderId, .version, .previousStatus, .order.status] | join(\",\")" ev1 | tr "\n" " ")" \
	    "$id,1,,created $id,2,created,paymentSuccess $id,3,paymentSuccess,shipped " &&
	test_eq "$(jq -r .order.id ev1 | sort -u)" "$id" &&
	jq -e "select(.createdAt | test(\"^20[0-9-]+T[0-9:.]+Z$\"))" ev1 >/dev/null &&
	test "$(jq -r .order.trackingNumber ev1 | tail -n 1)" != null
'

test_expect_success 'cancel, delete, a declined payment: their events' '
	api_expect 202 customer POST /orders "{\"customerId\":\"cus_demo\",\"paymentMethodId\":\"pm_decline_1\",\"items\":[{\"productId\":\"p1\",\"variantId\":\"v1\",\"quantity\":1}]}" &&
	id=$(api_json .id) &&
	retry_until 40 status_is "$id" paymentFailed &&
	api_expect 202 customer PATCH "/orders/$id/cancel" &&
	retry_until 40 status_is "$id" canceled &&
	api_expect 202 customer DELETE "/orders/$id" &&
	retry_until 40 eval "status_is $id canceled && test \"\$(api_json .isDeleted)\" = true" &&
	api_expect 200 customer DELETE "/orders/$id" &&
	retry_until 20 eval "test \"\$(stack_redis_cli FCALL_RO oms_events 1 oms:order:$id | jq length)\" = 4" &&
	retry_until 20 eval "take_events ev2 && test \"\$(wc -l <ev2)\" -ge 4" &&
	take_events ev2 &&
	test_eq "$(jq -r .type ev2 | tr "\n" " ")" "order.created order.payment_failed order.canceled order.deleted "
'

if test_have_fault_injection; then
	test_expect_success 'worker dying after every first apply: every event is there' '
		stack_stop_worker &&
		stack_start_worker OMS_FAULT=exit-after-apply &&
		api_expect 202 customer POST /orders "$BODY" &&
		id=$(api_json .id) &&
		retry_until 60 status_is "$id" shipped &&
		test "$(grep -c "fault injection: exiting after apply" "$STACK_DIR/oms-worker.log")" -ge 3 &&
		retry_until 20 eval "take_events ev3 && test \"\$(jq -r .type ev3 | sort -u | wc -l)\" = 3" &&
		test_eq "$(jq -r .type ev3 | sort -u | tr "\n" " ")" "order.created order.payment_succeeded order.shipped " &&
		test_eq "$(jq -r .id ev3 | sort -u | wc -l)" 3
	'
else
	test_skip 'worker dying after every first apply: every event is there' \
	    'needs ./configure --enable-fault-injection'
fi

test_done
