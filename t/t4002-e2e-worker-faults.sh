#!/usr/bin/env bash
test_description='end to end: the worker rides out RabbitMQ and Redis restarts, and a poison message ends in the DLQ'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

# This script restarts its servers: it starts its own.
stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

body() { # body PRODUCT
	printf '{"customerId":"cus_demo","paymentMethodId":"pm_1","items":[{"productId":"%s","variantId":"v1","quantity":1}]}' "$1"
}

status_is() {
	test "$(api customer GET "/orders/$1")" = 200 &&
	test "$(api_json .status)" = "$2"
}

create_ok() {
	test "$(api customer POST /orders "$(body p1)")" = 202 &&
	api_json .id >>orders.ids
}

# poison_deaths N: workers died on the poison message N times or more.
poison_deaths() {
	test "$(grep -c "exiting on a poison message" "$STACK_DIR/oms-worker.log")" -ge "$1"
}

# logged_since LINE PATTERN: the worker logged PATTERN after line LINE.
logged_since() {
	tail -n +"$(($1 + 1))" "$STACK_DIR/oms-worker.log" | grep -q -- "$2"
}

all_shipped() {
	while read -r id; do
		retry_until 30 status_is "$id" shipped ||
		    { echo "$id is $(api_json .status)"; return 1; }
	done <orders.ids
}

test_expect_success 'start the stack' '
	stack_start_redis &&
	stack_start_rabbitmq &&
	stack_start_worker &&
	stack_start_fcgi &&
	stack_start_nginx &&
	stack_wait_ready 30 &&
	stack_demo_keys &&
	create_ok && all_shipped
'

test_expect_success 'RabbitMQ restarts: accepted orders still ship, same worker master' '
	master=$(stack_worker_pid) &&
	create_ok && create_ok &&
	stack_restart_rabbitmq &&
	retry_until 20 create_ok &&
	all_shipped &&
	test_eq "$(stack_worker_pid)" "$master" &&
	grep -q "RabbitMQ: consuming again" "$STACK_DIR/oms-worker.log"
'

# A broker that is up but refuses the order events (a policy caps
# oms-notify-queue at 0 with overflow reject-publish: every event is
# nacked). The worker publishes them again on a new connection, never on
# the channel that was refused (a channel of RabbitMQ 3.10 that published
# while a quorum queue elected its leader kept refusing that queue: t6001),
# and the orders ship once the queue takes events again. What the broker
# did confirm (the payment command) is not published again.
event_nacked() { # event_nacked LINE
	create_ok &&
	retry_until 2 logged_since "$1" "orders.create [^ ]*: follow-ups not confirmed"
}

# published_since LINE WHAT: how many times the worker logged "published
# WHAT" after line LINE.
published_since() {
	tail -n +"$(($1 + 1))" "$STACK_DIR/oms-worker.log" | grep -c "published $2 "
}

# published_again LINE WHAT: WHAT was published twice or more after LINE.
published_again() {
	test "$(published_since "$1" "$2")" -ge 2
}

test_expect_success 'RabbitMQ nacks the events: published again on a new connection' '
	marker=$(wc -l <"$STACK_DIR/oms-worker.log") &&
	stack_rabbitmqctl set_policy -p oms --apply-to queues oms-full \
	    "^oms-notify-queue\$" "{\"max-length\":0,\"overflow\":\"reject-publish\"}" >/dev/null &&
	retry_until 20 event_nacked "$marker" &&
	retry_until 10 logged_since "$marker" "amqp: connected to" &&
	cmd=$(tail -n +"$((marker + 1))" "$STACK_DIR/oms-worker.log" |
	    sed -n "s/.* orders\.create \([^ ]*\): follow-ups not confirmed.*/\1/p" | head -n 1) &&
	retry_until 10 published_again "$marker" "event order.created evt_$cmd" &&
	stack_rabbitmqctl clear_policy -p oms oms-full >/dev/null &&
	all_shipped &&
	test_eq "$(published_since "$marker" "follow-up orders.process.payment $cmd.pay")" 1 &&
	test_eq "$(stack_worker_pid)" "$master"
'

# The API cannot accept an order while Redis is down (it reads the keys
# there), but the broker can: a command published meanwhile is taken by the
# worker, retried, and applied once Redis is back.
test_expect_success 'Redis restarts: a command taken while it is down still ships' '
	marker=$(wc -l <"$STACK_DIR/oms-worker.log") &&
	stack_stop_redis &&
	amqp-publish -u "$(stack_amqp_url oms-admin)" -e oms.commands \
	    -r orders.create -p -C application/json \
	    -b "{\"v\":1,\"type\":\"orders.create\",\"commandId\":\"0190d1a0-0000-7000-8000-0000000d0001\",\"orderId\":\"0190d1a0-0000-7000-8000-0000000d0001\",\"issuedAt\":\"2026-11-25T11:00:00.000Z\",\"actor\":{\"role\":\"admin\"},\"data\":$(body p1)}" &&
	retry_until 20 logged_since "$marker" "orders.create 0190d1a0-0000-7000-8000-0000000d0001: .*; retry [0-9]* in" &&
	stack_start_redis &&
	echo 0190d1a0-0000-7000-8000-0000000d0001 >>orders.ids &&
	retry_until 20 create_ok &&
	all_shipped &&
	test_eq "$(stack_worker_pid)" "$master" &&
	! grep -q "dead-lettering" "$STACK_DIR/oms-worker.log"
'

if test_have_fault_injection; then
	test_expect_success 'a poison message is dead-lettered after the delivery limit' '
		stack_stop_worker &&
		stack_start_worker OMS_FAULT=exit-on-poison &&
		queue_drain order-worker-queue.dead >/dev/null &&
		api_expect 202 customer POST /orders "$(body poison)" &&
		poison=$(api_json .id) &&
		create_ok &&
		retry_until 60 poison_deaths 6 &&
		retry_until 20 mq_get order-worker-queue.dead >dead.out &&
		grep -q "\"orderId\":\"$poison\"" dead.out &&
		all_shipped &&
		status_is "$poison" pending
	'
else
	test_skip 'a poison message is dead-lettered after the delivery limit' \
	    'needs ./configure --enable-fault-injection'
fi

test_expect_success 'no sanitizer report' '
	stack_stop_worker && stack_stop_fcgi &&
	stack_sanitizer_reports
'

test_done
