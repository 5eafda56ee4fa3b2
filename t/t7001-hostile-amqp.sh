#!/usr/bin/env bash
test_description='hostile input on the broker: malformed commands published straight to the exchange all end in the DLQ; the worker goes on'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

ID=01a21290-4830-74a6-b744-33ad9c1feab5
CID=01a21290-4830-74a6-b744-33aec95453d1
AT=2026-11-25T11:00:00.000Z
ITEMS='"items":[{"productId":"p","variantId":"v","quantity":1}]'
DATA="{\"customerId\":\"c1\",\"paymentMethodId\":\"pm\",$ITEMS}"
# priced items whose computed totals are right (10): the order-level ones vary
PRICED_ITEMS='"items":[{"productId":"p","variantId":"v","quantity":2,"unitPrice":5,"total":10}]'
ADMIN='{"role":"admin"}'
envelope() { # envelope TYPE DATA [ACTOR]: an envelope
	printf '{"v":1,"type":"%s","commandId":"%s","orderId":"%s","issuedAt":"%s","actor":%s,"data":%s}' \
	    "$1" "$CID" "$ID" "$AT" "${3:-$ADMIN}" "$2"
}

publish() { # publish ROUTING-KEY BODY
	amqp-publish -u "$(stack_amqp_url oms-admin)" -e oms.commands -r "$1" \
	    -p -C application/json -b "$2"
}

status_is() {
	test "$(api customer GET "/orders/$1")" = 200 &&
	test "$(api_json .status)" = "$2"
}

test_expect_success 'start the stack' '
	stack_start_redis &&
	stack_start_rabbitmq &&
	stack_start_worker &&
	stack_start_fcgi &&
	stack_start_nginx &&
	stack_wait_ready 30 &&
	stack_demo_keys &&
	queue_drain order-worker-queue.dead >/dev/null
'

n=0
bad() { # bad ROUTING-KEY BODY: one malformed command
	n=$((n + 1))
	publish "$1" "$2"
}

test_expect_success 'publish 28 malformed commands' '
	bad orders.create "not json" &&
	bad orders.create "" &&
	bad orders.create "[]" &&
	bad orders.create "{}" &&
	bad orders.create "null" &&
	bad orders.create "{\"v\":1}" &&
	bad orders.create "$(envelope orders.create "$DATA" | sed "s/\"v\":1/\"v\":2/")" &&
	bad orders.create "$(envelope orders.explode "$DATA")" &&
	bad orders.create "$(envelope orders.create "{}")" &&
	bad orders.create "$(envelope orders.create "{\"customerId\":\"c1\",\"paymentMethodId\":\"pm\",\"items\":[]}")" &&
	bad orders.create "$(envelope orders.create "{\"customerId\":\"c 1\",\"paymentMethodId\":\"pm\",$ITEMS}")" &&
	bad orders.create "$(envelope orders.create "$DATA" "{\"role\":\"hacker\"}")" &&
	bad orders.create "$(envelope orders.create "$DATA" "{\"role\":\"customer\"}")" &&
	bad orders.create "$(envelope orders.create "$DATA" "{\"role\":\"customer\",\"customerId\":\"other\"}")" &&
	bad orders.cancel "$(envelope orders.cancel "{}" | sed "s/$AT/yesterday/")" &&
	bad orders.cancel "$(envelope orders.cancel "{}" | sed "s/$ID/bad id/")" &&
	bad orders.cancel "$(envelope orders.cancel "{}" | sed "s/\"commandId\":\"$CID\",//")" &&
	bad orders.delivered "$(envelope orders.delivered "{\"trackingId\":\"t\"}")" &&
	bad orders.update "$(envelope orders.update "{\"status\":\"delivered\"}")" &&
	bad orders.cancel "$(envelope orders.cancel "{}")trailing" &&
	bad orders.cancel "$(printf "{\"v\":1,\"type\":\"orders.cancel\",\"x\":\"\\377\"}")" &&
	bad orders.cancel "{\"v\":1,\"type\":\"orders.cancel\",\"v\":1}" &&
	bad orders.create "$(envelope orders.create "{\"customerId\":\"c1\",\"paymentMethodId\":\"pm\",\"items\":[{\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":1.5}]}")" &&
	bad orders.create "$(head -c 120000 /dev/zero | tr "\0" "[")" &&
	bad orders.create "$(envelope orders.create "{\"customerId\":\"c1\",\"paymentMethodId\":\"pm\",\"currency\":\"EUR\",$PRICED_ITEMS,\"subtotal\":10,\"shippingTotal\":0,\"taxTotal\":0,\"discountTotal\":0,\"total\":11}")" &&
	bad orders.create "$(envelope orders.create "{\"customerId\":\"c1\",\"paymentMethodId\":\"pm\",\"currency\":\"EUR\",$PRICED_ITEMS}")" &&
	bad orders.create "$(envelope orders.create "{\"customerId\":\"c1\",\"paymentMethodId\":\"pm\",$PRICED_ITEMS}")" &&
	bad orders.create "$(envelope orders.create "{\"customerId\":\"c1\",\"paymentMethodId\":\"pm\",$ITEMS,\"shippingAddress\":{\"name\":\"a\",\"line1\":\"1\",\"city\":\"c\",\"postalCode\":\"1\",\"country\":\"XX\"}}")" &&
	test "$n" = 28
'

test_expect_success 'every one of them is in the DLQ, and nothing was applied' '
	retry_until 30 eval "grep -c \"dead-lettering\" \"$STACK_DIR/oms-worker.log\" | grep -qx $n" &&
	test_eq "$(queue_drain_until "$n" order-worker-queue.dead)" "$n" &&
	test -z "$(stack_redis_cli --scan --pattern "oms:order:*")"
'

test_expect_success 'the worker is still consuming: an order ships' '
	api_expect 201 customer POST /orders "{\"customerId\":\"cus_demo\",\"paymentMethodId\":\"pm_1\",$ITEMS}" "Prefer: wait=5" &&
	retry_until 15 status_is "$(api_json .id)" shipped &&
	! grep -Eq "killed by signal|exited with status" "$STACK_DIR/oms-worker.log"
'

test_expect_success 'no sanitizer report' '
	stack_stop_worker && stack_stop_fcgi &&
	stack_sanitizer_reports
'

test_done
