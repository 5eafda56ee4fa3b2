#!/usr/bin/env bash
test_description='omsctl check, order show|list and dlq list|replay against the whole stack'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

body() {
	printf '{"customerId":"cus_demo","paymentMethodId":"pm_1","items":[{"productId":"%s","variantId":"v1","quantity":1}]}' "$1"
}

# ctl ARGS...: omsctl as the omsctl users of Redis and RabbitMQ.
ctl() {
	OMS_REDIS_URL=$STACK_REDIS_URL \
	OMS_REDIS_PASSWORD_FILE=$(stack_secret_file redis-omsctl) \
	OMS_AMQP_URL=$STACK_AMQP_URL \
	OMS_AMQP_PASSWORD_FILE=$(stack_secret_file amqp-omsctl) \
	    "$OMS_BUILDDIR/omsctl" "$@"
}

status_is() {
	test "$(api customer GET "/orders/$1")" = 200 &&
	test "$(api_json .status)" = "$2"
}

test_expect_success 'start the stack; one order ships' '
	stack_start_redis &&
	stack_start_rabbitmq &&
	stack_start_worker &&
	stack_start_fcgi &&
	stack_start_nginx &&
	stack_wait_ready 30 &&
	stack_demo_keys &&
	api_expect 201 customer POST /orders "$(body p1)" "Prefer: wait=5" &&
	api_json .id >order.id &&
	retry_until 15 status_is "$(cat order.id)" shipped
'

test_expect_success 'check: every line ok, exit 0; --json' '
	ctl check >check.out &&
	test_eq "$(grep -c "^ok " check.out)" 5 &&
	grep -q "order-worker-queue .*consumer" check.out &&
	ctl check --json >check.json &&
	test_eq "$(jq "[.[] | select(.ok)] | length" check.json)" 5
'

test_expect_success 'order show: the state and one history line per command' '
	id=$(cat order.id) &&
	ctl order show "$id" >show.out &&
	grep -q "^order $id" show.out &&
	grep -Eq "^  status +shipped" show.out &&
	grep -q "^history (3):" show.out &&
	grep -q "orders.ship .* applied" show.out &&
	ctl order show "$id" --json >show.json &&
	test_eq "$(jq -r .order.status show.json)" shipped &&
	test_eq "$(jq ".events | length" show.json)" 3 &&
	test_eq "$(jq -r ".events[0].type" show.json)" orders.create
'

test_expect_success 'order show of an unknown or bad id' '
	test_expect_code 1 ctl order show no-such-order &&
	test_expect_code 2 ctl order show "bad id"
'

test_expect_success 'order list: newest first, per customer, --json' '
	api_expect 202 customer POST /orders "$(body p2)" &&
	second=$(api_json .id) &&
	retry_until 15 status_is "$second" shipped &&
	ctl order list >list.out &&
	test_eq "$(sed -n 2p list.out | cut -d" " -f1)" "$second" &&
	ctl order list --customer-id=cus_demo --limit=1 --json >list.json &&
	test_eq "$(jq -r ".[0].id" list.json)" "$second" &&
	test_eq "$(jq length list.json)" 1
'

test_expect_success 'dlq list of an empty DLQ' '
	ctl dlq list >dlq.out &&
	grep -q "^0 dead-lettered messages" dlq.out &&
	ctl dlq replay --all >replay.out &&
	grep -q "^0 messages replayed" replay.out &&
	test_expect_code 1 ctl dlq replay no-such-id
'

if test_have_fault_injection; then
	test_expect_success 'a poison create is dead-lettered; dlq list shows it and leaves it' '
		stack_stop_worker &&
		stack_start_worker OMS_FAULT=exit-on-poison &&
		api_expect 202 customer POST /orders "$(body poison)" &&
		api_json .id >poison.id &&
		retry_until 30 eval "ctl dlq list --json >dlq.json && test \"\$(jq length dlq.json)\" = 1" &&
		test_eq "$(jq -r ".[0].type" dlq.json)" orders.create &&
		test_match "$(cat poison.id)" "^[0-9a-f-]{36}$" &&
		grep -q "$(cat poison.id)" dlq.json &&
		jq -r ".[0].id" dlq.json >poison.cid &&
		ctl dlq list --json >dlq2.json &&
		test_eq "$(jq length dlq2.json)" 1
	'

	test_expect_success 'dlq replay brings it back; it applies once' '
		stack_stop_worker &&
		stack_start_worker &&
		ctl dlq replay "$(cat poison.cid)" >replay.out &&
		grep -q "^replayed $(cat poison.cid)" replay.out &&
		id=$(cat poison.id) &&
		retry_until 20 status_is "$id" shipped &&
		ctl order show "$id" --json >p.json &&
		test_eq "$(jq "[.events[] | select(.type == \"orders.create\")] | length" p.json)" 1 &&
		ctl dlq list >dlq.out &&
		grep -q "^0 dead-lettered messages" dlq.out
	'
else
	test_skip 'a poison create is dead-lettered; dlq list shows it and leaves it' \
	    'needs ./configure --enable-fault-injection'
	test_skip 'dlq replay brings it back; it applies once' \
	    'needs ./configure --enable-fault-injection'
fi

test_expect_success 'check fails (exit 1) while RabbitMQ is down' '
	stack_stop_rabbitmq &&
	test_expect_code 1 ctl check >check.out &&
	grep -q "^FAIL rabbitmq" check.out &&
	grep -q "^ok   redis " check.out
'

test_expect_success 'no sanitizer report' '
	stack_stop_worker && stack_stop_fcgi &&
	stack_sanitizer_reports
'

test_done
