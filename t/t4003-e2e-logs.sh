#!/usr/bin/env bash
test_description='end to end: JSON logs from every daemon; one order is followed with one grep, by order id and by request id'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

status_is() {
	test "$(api customer GET "/orders/$1")" = 200 &&
	test "$(api_json .status)" = "$2"
}

# ship_logged ID: the worker has logged the order's orders.ship (the API
# may show the order shipped a moment before the line is written).
ship_logged() {
	grep -F "$1" "$STACK_DIR/oms-worker.log" | grep -q "orders.ship applied"
}

test_expect_success 'start the stack with OMS_LOG_FORMAT=json' '
	export OMS_LOG_FORMAT=json &&
	stack_start_redis &&
	stack_start_rabbitmq &&
	stack_start_worker &&
	stack_start_fcgi &&
	stack_start_nginx &&
	stack_wait_ready 30 &&
	stack_demo_keys &&
	unset OMS_LOG_FORMAT
'

test_expect_success 'an order goes through the flow' '
	api_expect 202 customer POST /orders "{\"customerId\":\"cus_demo\",\"paymentMethodId\":\"pm_1\",\"items\":[{\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":1}]}" &&
	api_json .id >order.id &&
	api_header X-Request-Id >request.id &&
	retry_until 15 status_is "$(cat order.id)" shipped &&
	retry_until 10 ship_logged "$(cat order.id)"
'

test_expect_success 'every log line of both daemons is one JSON object' '
	for f in oms-fcgi oms-worker; do
		test -s "$STACK_DIR/$f.log" &&
		jq -e -c "select(.ts and .prog and .pid and .level and .msg)" \
		    "$STACK_DIR/$f.log" >"$f.ok" &&
		test_eq "$(wc -l <"$f.ok")" "$(wc -l <"$STACK_DIR/$f.log")" || return 1
	done
'

test_expect_success 'one grep by order id shows the whole flow, across daemons' '
	id=$(cat order.id) &&
	cat "$STACK_DIR/oms-fcgi.log" "$STACK_DIR/oms-worker.log" |
	    grep -F "$id" >flow.log &&
	jq -r "select(.order_id == \"$id\") | \"\\(.prog) \\(.msg)\"" flow.log >flow.txt &&
	grep -q "^oms-fcgi published orders.create" flow.txt &&
	grep -q "^oms-worker orders.create applied" flow.txt &&
	grep -q "^oms-worker orders.process.payment applied" flow.txt &&
	grep -q "^oms-worker orders.ship applied" flow.txt
'

test_expect_success 'the request id travels from nginx to the worker' '
	rid=$(cat request.id) &&
	test_match "$rid" "^[0-9a-f]{32}$" &&
	jq -r "select(.request_id == \"$rid\") | .prog" flow.log | sort -u >progs &&
	printf "oms-fcgi\noms-worker\n" >progs.want &&
	test_cmp progs.want progs &&
	grep -q "request_id=$rid" "$STACK_DIR/nginx/access.log"
'

test_expect_success 'no key or password in any log' '
	stack_no_secret_in "$STACK_DIR/oms-fcgi.log" "$STACK_DIR/oms-worker.log" \
	    "$STACK_DIR"/*.log "$STACK_DIR/nginx"
'

test_expect_success 'no sanitizer report' '
	stack_stop_worker && stack_stop_fcgi &&
	stack_sanitizer_reports
'

test_done
