#!/usr/bin/env bash
test_description='order API: 503 + Retry-After while RabbitMQ or Redis is down, recovery without restarting oms-fcgi'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

# This script stops its servers: it starts its own.
stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

CREATE='{"customerId":"cus_demo","paymentMethodId":"pm_1","items":[{"productId":"p1","variantId":"v1","quantity":1}]}'

pending_count() {
	stack_redis_cli --scan --pattern "oms:pending:*" | wc -l
}

create_ok() {
	test "$(api customer POST /orders "$CREATE")" = 202
}

create_refused() {
	test "$(api customer POST /orders "$CREATE")" = 503
}

get_ok() {
	test "$(api customer GET "/orders/$(cat order.id)")" = 200
}

test_expect_success 'start the stack; a create is accepted' '
	stack_orders_up OMS_FCGI_PROCESSES=2 &&
	api_expect 202 customer POST /orders "$CREATE" &&
	api_json .id >order.id
'

test_expect_success 'RabbitMQ stopped: writes answer 503 with Retry-After' '
	master=$(stack_fcgi_pid) &&
	stack_stop_rabbitmq &&
	before=$(pending_count) &&
	api_expect 503 customer POST /orders "$CREATE" &&
	test_match "$(api_header Retry-After)" "^[0-9]+$" &&
	grep -q RabbitMQ api.b &&
	api_expect 503 customer PATCH "/orders/$(cat order.id)/cancel" &&
	test_eq "$(pending_count)" "$before"
'

test_expect_success 'reads still work while RabbitMQ is down' '
	api_expect 200 customer GET "/orders/$(cat order.id)"
'

test_expect_success 'RabbitMQ back: writes succeed, same oms-fcgi master' '
	stack_start_rabbitmq &&
	retry_until 15 create_ok &&
	api_expect 202 customer POST /orders "$CREATE" &&
	api_expect 202 customer PATCH "/orders/$(cat order.id)/cancel" &&
	test_eq "$(stack_fcgi_pid)" "$master"
'

test_expect_success 'Redis stopped: reads and writes answer 503' '
	stack_stop_redis &&
	api_expect 503 customer GET "/orders/$(cat order.id)" &&
	test_match "$(api_header Retry-After)" "^[0-9]+$" &&
	grep -q Redis api.b &&
	api_expect 503 customer POST /orders "$CREATE" &&
	api_expect 503 admin GET /orders
'

test_expect_success 'Redis back (AOF): reads succeed, same master' '
	stack_start_redis &&
	retry_until 10 get_ok &&
	test_eq "$(api_json .status)" pending &&
	test_eq "$(stack_fcgi_pid)" "$master"
'

test_expect_success 'every accepted create is on the queue' '
	test_eq "$(queue_drain)" 4
'

# A broker that is up but refuses the message: a policy caps the queue at 0
# messages with overflow reject-publish, so every publish is nacked. The
# policy takes effect asynchronously: wait for the first 503.
test_expect_success 'RabbitMQ nacks the command: 503, never 202' '
	stack_rabbitmqctl set_policy -p oms --apply-to queues oms-full \
	    "^order-worker-queue\$" "{\"max-length\":0,\"overflow\":\"reject-publish\"}" >/dev/null &&
	retry_until 20 create_refused &&
	api_expect 503 customer POST /orders "$CREATE" &&
	test_match "$(api_header Retry-After)" "^[0-9]+$" &&
	grep -q "did not confirm" api.b &&
	stack_rabbitmqctl clear_policy -p oms oms-full >/dev/null &&
	retry_until 20 create_ok
'

test_expect_success 'no sanitizer report' '
	stack_stop_fcgi &&
	stack_sanitizer_reports
'

test_done
