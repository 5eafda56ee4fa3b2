#!/usr/bin/env bash
test_description='cancel wins exactly: a cancel answered 202 while the ship call is in flight ends canceled and refunded, and the booked shipment is voided'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

# The ship call takes this long: the cancel arrives while it is in flight.
SHIP_MS=6000

body() {
	printf '{"customerId":"cus_demo","paymentMethodId":"pm_1","items":[{"productId":"p1","variantId":"v1","quantity":1}]}'
}

status_is() {
	test "$(api customer GET "/orders/$1")" = 200 &&
	test "$(api_json .status)" = "$2"
}

# field ID NAME: a field of the order hash.
field() {
	stack_redis_cli HGET "oms:order:$1" "$2" | tr -d '\r'
}

# field_is ID NAME VALUE
field_is() {
	test "$(field "$1" "$2")" = "$3"
}

# ship_published ID: the payment step published the order's ship command
# (an idle worker process takes it at once and calls the provider).
ship_published() {
	grep "published follow-up orders.ship" "$STACK_DIR/oms-worker.log" |
	    grep -q "order_id=$1"
}

# events ID: "type outcome" per event.
events() {
	api admin GET "/orders/$1/events" >/dev/null &&
	api_json '.items[] | "\(.type) \(.outcome)"'
}

# cancel_recorded ID: the customer's cancel has its event.
cancel_recorded() {
	events "$1" | grep -q "^orders.cancel "
}

# voided ID: the end state of the rule: canceled, refunded, the booked
# shipment voided once, never shipped.
voided() {
	status_is "$1" canceled &&
	test_match "$(api_json .refundTransactionId)" "^(rfd|re)_" &&
	test_match "$(field "$1" voidShipmentId)" "^sh_" &&
	test_match "$(field "$1" shipmentVoidedAt)" "^20[0-9-]+T" &&
	test -n "$(field "$1" cancelRequestedAt)"
}

# cancel_during_ship: create an order, wait for its ship call to be in
# flight, cancel it (202 or, with the wait, 200); leaves the id in $id.
cancel_during_ship() {
	api_expect 201 customer POST /orders "$(body)" "Prefer: wait=5" &&
	id=$(api_json .id) &&
	retry_until 20 ship_published "$id" &&
	code=$(api customer PATCH "/orders/$id/cancel" "" "Prefer: wait=1") &&
	case $code in 200 | 202) ;; *) echo "cancel answered $code" >&2; return 1 ;; esac &&
	# accepted while the ship call was still in flight
	! events "$id" | grep -q "^orders.ship "
}

test_expect_success 'start the stack; the worker ships slowly' '
	stack_start_redis &&
	stack_start_rabbitmq &&
	stack_start_worker OMS_WORKER_PROCESSES=2 OMS_SHIPPING_DELAY_MS=$SHIP_MS &&
	stack_start_fcgi &&
	stack_start_nginx &&
	stack_wait_ready 30 &&
	stack_demo_keys
'

test_expect_success 'two processes: the cancel is applied during the ship call; the booking is voided' '
	cancel_during_ship &&
	echo "$id" >a.id &&
	retry_until 30 voided "$id" &&
	events "$id" >ev.out &&
	grep -qx "orders.cancel applied" ev.out &&
	grep -qx "orders.ship canceled" ev.out &&
	grep -qx "orders.void applied" ev.out &&
	grep -qx "orders.refund applied" ev.out &&
	! grep -q "orders.ship applied" ev.out &&
	test -z "$(field "$id" trackingNumber)"
'

test_expect_success 'one process: the cancel waits behind the ship call; the ship step cancels' '
	stack_stop_worker &&
	stack_start_worker OMS_WORKER_PROCESSES=1 OMS_SHIPPING_DELAY_MS=$SHIP_MS &&
	cancel_during_ship &&
	retry_until 30 voided "$id" &&
	retry_until 10 cancel_recorded "$id" &&
	events "$id" >ev.out &&
	grep -qx "orders.ship canceled" ev.out &&
	grep -qx "orders.cancel noop" ev.out &&
	grep -qx "orders.void applied" ev.out &&
	grep -qx "orders.refund applied" ev.out &&
	! grep -q "orders.ship applied" ev.out &&
	api admin GET "/orders/$id/events" >/dev/null &&
	api_json ".items[] | select(.type == \"orders.ship\") | .detail.message" |
	    grep -q "cancel requested before shipping"
'

# With the worker's providers over HTTP (stack_start_worker then runs
# oms-provider-sim), the simulator's records show what the providers did.
if stack__alive "$STACK_DIR/pids/oms-provider-sim.pid" >/dev/null; then
	test_expect_success 'the simulator recorded one charge, one refund, one booking and its void' '
		for o in "$(cat a.id)" "$id"; do
			sh=$(field "$o" voidShipmentId) &&
			test_eq "$(stack_provider_sim_get "/charges?orderId=$o" | jq length)" 1 &&
			test_eq "$(stack_provider_sim_get "/refunds?orderId=$o" | jq length)" 1 &&
			test_eq "$(stack_provider_sim_get "/shipments?orderId=$o" | jq -r ".[0].id")" "$sh" &&
			test_eq "$(stack_provider_sim_get "/shipments?orderId=$o" | jq -r ".[0].status")" voided &&
			test_eq "$(stack_provider_sim_get "/voids?orderId=$o" | jq -r "length, .[0].shipmentId" | tr "\n" " ")" "1 $sh " || return 1
		done
	'
else
	test_skip 'the simulator recorded one charge, one refund, one booking and its void' \
	    'the worker of this build calls in-process providers'
fi

test_expect_success 'the cancel of a shipped order is still 409, and marks nothing' '
	stack_stop_worker &&
	stack_start_worker OMS_WORKER_PROCESSES=2 &&
	api_expect 201 customer POST /orders "$(body)" "Prefer: wait=5" &&
	id=$(api_json .id) &&
	retry_until 20 status_is "$id" shipped &&
	api_expect 409 customer PATCH "/orders/$id/cancel" &&
	test -z "$(field "$id" cancelRequestedAt)" &&
	api_expect 202 customer DELETE "/orders/$id" &&
	retry_until 10 field_is "$id" isDeleted 1 &&
	test_eq "$(field "$id" status)" shipped &&
	test -z "$(field "$id" cancelRequestedAt)"
'

test_expect_success 'no sanitizer report in the logs' '
	stack_sanitizer_reports
'

test_done
