#!/usr/bin/env bash
test_description='poison commands (issue 14, item 3): an orderId that names another key, and commands that Redis refuses with WRONGTYPE on every try, land in order-worker-queue.dead while other orders keep shipping'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

AT=2026-11-25T11:00:00.000Z
BODY='{"customerId":"cus_demo","paymentMethodId":"pm_1","items":[{"productId":"p","variantId":"v","quantity":1}]}'

# cancel CID OID: the envelope of an orders.cancel by the demo customer.
cancel() {
	printf '{"v":1,"type":"orders.cancel","commandId":"%s","orderId":"%s","issuedAt":"%s","actor":{"role":"customer","customerId":"cus_demo"},"data":{}}' \
	    "$1" "$2" "$AT"
}

# publish USER ROUTING-KEY BODY: as AMQP user USER.
publish() {
	amqp-publish -u "$(stack_amqp_url "$1")" -e oms.commands -r "$2" \
	    -p -C application/json -b "$3"
}

status_is() {
	test "$(api customer GET "/orders/$1")" = 200 &&
	test "$(api_json .status)" = "$2"
}

# dead_lettered N: the worker's log says it dead-lettered N commands.
dead_lettered() {
	test "$(grep -c "dead-lettering" "$STACK_DIR/oms-worker.log")" -ge "$1"
}

test_expect_success 'start the stack with two worker processes' '
	stack_start_redis &&
	stack_start_rabbitmq &&
	OMS_WORKER_PROCESSES=2 stack_start_worker &&
	stack_start_fcgi &&
	stack_start_nginx &&
	stack_wait_ready 30 &&
	stack_demo_keys &&
	queue_drain order-worker-queue.dead >/dev/null
'

test_expect_success 'an order exists (shipped)' '
	api_expect 201 customer POST /orders "$BODY" "Prefer: wait=5" &&
	id=$(api_json .id) && echo "$id" >a.id &&
	retry_until 20 status_is "$id" shipped
'

test_expect_success 'the API does not let a sub-key through either: 404' '
	id=$(cat a.id) &&
	api_expect 404 customer GET "/orders/$id:events" &&
	api_expect 404 customer PATCH "/orders/$id:applied/cancel" &&
	api_expect 404 customer DELETE "/orders/$id:events"
'

test_expect_success 'publish five poison commands' '
	id=$(cat a.id) &&
	b=01a21290-4830-74a6-b744-000000000b0b &&
	c=01a21290-4830-74a6-b744-000000000c0c &&
	echo "$b" >b.id && echo "$c" >c.id &&
	stack_redis_cli_as default --no-auth-warning set "oms:order:$b" "not a hash" >/dev/null &&
	api_expect 201 customer POST /orders "$BODY" "Prefer: wait=5" &&
	d=$(api_json .id) && echo "$d" >d.id &&
	retry_until 20 status_is "$d" shipped &&
	stack_redis_cli_as default --no-auth-warning del "oms:order:$d:applied" >/dev/null &&
	stack_redis_cli_as default --no-auth-warning set "oms:order:$d:applied" "not a set" >/dev/null &&
	publish oms-admin orders.cancel "$(cancel 01a21290-4830-74a6-b744-0000000000a1 "$id:events")" &&
	publish oms-admin orders.cancel "$(cancel 01a21290-4830-74a6-b744-0000000000a2 "$id:applied")" &&
	publish oms-admin orders.cancel "$(cancel 01a21290-4830-74a6-b744-0000000000a3 "$b")" &&
	publish oms-admin orders.cancel "$(cancel 01a21290-4830-74a6-b744-0000000000a4 "$d")" &&
	publish oms-admin orders.cancel "$(cancel 01a21290-4830-74a6-b744-0000000000a5 "$(echo "$id" | tr a-f A-F)")"
'

test_expect_success 'other orders keep shipping meanwhile' '
	api_expect 201 customer POST /orders "$BODY" "Prefer: wait=5" &&
	retry_until 20 status_is "$(api_json .id)" shipped
'

test_expect_success 'all five are in order-worker-queue.dead, with a log line each' '
	retry_until 30 dead_lettered 5 &&
	grep "dead-lettering" "$STACK_DIR/oms-worker.log" >dl.log &&
	test_eq "$(grep -c "malformed" dl.log)" 3 &&
	test_eq "$(grep -c "permanent error" dl.log)" 2 &&
	grep -q "WRONGTYPE" "$STACK_DIR/oms-worker.log" &&
	retry_until 10 eval "test \"\$(stack_rabbitmqctl list_queues -p oms name messages | awk \"\\\$1 == \\\"order-worker-queue.dead\\\" { print \\\$2 }\")\" = 5" &&
	for i in 1 2 3 4 5; do
		mq_get order-worker-queue.dead >"m$i" || return 1
	done &&
	cat m1 m2 m3 m4 m5 >all &&
	for p in a1 a2 a3 a4 a5; do
		grep -q "b744-0000000000$p" all || return 1
	done
'

test_expect_success 'nothing was applied to the orders they named' '
	test_eq "$(stack_redis_cli type "oms:order:$(cat a.id):events" | tr -d "\r")" none &&
	test_eq "$(stack_redis_cli type "oms:order:$(cat a.id):applied" | tr -d "\r")" none &&
	test_eq "$(stack_redis_cli get "oms:order:$(cat b.id)" | tr -d "\r")" "not a hash" &&
	status_is "$(cat a.id)" shipped &&
	status_is "$(cat d.id)" shipped &&
	! grep -Eq "killed by signal|exited with status" "$STACK_DIR/oms-worker.log"
'

test_expect_success 'no sanitizer report' '
	stack_stop_worker && stack_stop_fcgi &&
	stack_sanitizer_reports
'

test_done
