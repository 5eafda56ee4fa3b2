#!/usr/bin/env bash
test_description='order API: hostile requests get the exact status and a problem document, and publish nothing'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

test_expect_success 'start the stack; an order to aim at' '
	stack_orders_up OMS_MAX_BODY_BYTES=8192 &&
	stack_redis_cli_as oms-worker HSET oms:order:0190d1a0-0000-7000-8000-000000000001 id 0190d1a0-0000-7000-8000-000000000001 customerId cus_demo paymentMethodId pm_1 status created isDeleted 0 version 1 items "[]" >/dev/null &&
	stack_redis_cli_as oms-worker HSET oms:order:0190d1a0-0000-7000-8000-000000000003 id 0190d1a0-0000-7000-8000-000000000003 customerId cus_demo paymentMethodId pm_1 status shipped trackingNumber T1 isDeleted 0 version 3 items "[]" >/dev/null &&
	queue_drain >/dev/null
'

n=0
cases=$TRASH_DIRECTORY/cases
: >"$cases"
# bad STATUS ROLE METHOD PATH [BODY [HEADER...]]: one hostile request.
bad() {
	n=$((n + 1))
	printf '%s\n' "$n: $*" >>"$cases"
	api_expect "$@" || { echo "case $n failed: $*" >&2; return 1; }
}

I='"productId":"p","variantId":"v","quantity":1'
OK='"customerId":"cus_demo","paymentMethodId":"pm_1"'
long65=$(printf "a%.0s" $(seq 1 65))
deep=$(printf "[%.0s" $(seq 1 40))$(printf "]%.0s" $(seq 1 40))
many=$(for i in $(seq 1 101); do printf '{%s},' "$I"; done)
many=${many%,}

test_expect_success 'malformed JSON: 400' '
	bad 400 customer POST /orders "{" &&
	bad 400 customer POST /orders "{\"customerId\":" &&
	bad 400 customer POST /orders "{$OK,\"items\":[{$I}]} trailing" &&
	bad 400 customer POST /orders "{$OK,\"items\":[{$I}]}}" &&
	bad 400 customer POST /orders "{\"customerId\":\"cus_demo\",\"customerId\":\"cus_demo\",\"paymentMethodId\":\"p\",\"items\":[{$I}]}" &&
	bad 400 customer POST /orders "{\"a\":$deep}" &&
	bad 400 customer POST /orders "{$OK,\"items\":[{$I}],}" &&
	bad 400 customer POST /orders "{'"'"'customerId'"'"':1}" &&
	bad 400 customer POST /orders "{$OK,\"items\":[{\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":NaN}]}" &&
	bad 400 customer POST /orders "$(printf "{\"customerId\":\"\\377\\376\"}")" &&
	bad 400 customer POST /orders "{\"customerId\":\"a\\u0000b\"}" &&
	bad 400 customer POST /orders " " &&
	bad 400 customer POST /orders "nul" &&
	bad 400 customer POST /orders "{\"x\":01}"
'

test_expect_success 'validation failures: 422 with pointers' '
	bad 422 customer POST /orders "[]" &&
	bad 422 customer POST /orders "{}" &&
	bad 422 customer POST /orders "null" &&
	bad 422 customer POST /orders "{$OK}" &&
	bad 422 customer POST /orders "{$OK,\"items\":[]}" &&
	bad 422 customer POST /orders "{$OK,\"items\":[$many]}" &&
	bad 422 customer POST /orders "{$OK,\"items\":{}}" &&
	bad 422 customer POST /orders "{$OK,\"items\":[{$I,\"extra\":1}]}" &&
	bad 422 customer POST /orders "{$OK,\"items\":[{\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":0}]}" &&
	bad 422 customer POST /orders "{$OK,\"items\":[{\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":10001}]}" &&
	bad 422 customer POST /orders "{$OK,\"items\":[{\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":1.5}]}" &&
	bad 422 customer POST /orders "{$OK,\"items\":[{\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":\"1\"}]}" &&
	bad 422 customer POST /orders "{$OK,\"items\":[{\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":-1}]}" &&
	bad 422 customer POST /orders "{$OK,\"items\":[{\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":true}]}" &&
	bad 422 customer POST /orders "{$OK,\"items\":[{\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":99999999999999999999}]}" &&
	bad 422 customer POST /orders "{$OK,\"items\":[{\"productId\":\"$long65\",\"variantId\":\"v\",\"quantity\":1}]}" &&
	bad 422 customer POST /orders "{$OK,\"items\":[{\"productId\":\"\",\"variantId\":\"v\",\"quantity\":1}]}" &&
	bad 422 customer POST /orders "{$OK,\"items\":[{\"productId\":\"p q\",\"variantId\":\"v\",\"quantity\":1}]}" &&
	bad 422 customer POST /orders "{$OK,\"items\":[{\"productId\":\"prödukt\",\"variantId\":\"v\",\"quantity\":1}]}" &&
	bad 422 customer POST /orders "{$OK,\"items\":[{\"productId\":\"../etc\",\"variantId\":\"v/w\",\"quantity\":1}]}" &&
	bad 422 customer POST /orders "{$OK,\"items\":[{$I}],\"admin\":true}" &&
	bad 422 customer POST /orders "{$OK,\"items\":[{$I}],$I}" &&
	bad 422 customer POST /orders "{\"customerId\":null,\"paymentMethodId\":\"pm\",\"items\":[{$I}]}" &&
	bad 422 customer POST /orders "{\"customerId\":123,\"paymentMethodId\":\"pm\",\"items\":[{$I}]}" &&
	bad 422 customer POST /orders "{$OK,\"storeId\":[],\"items\":[{$I}]}" &&
	test_eq "$(api_json ".errors[0].pointer")" /storeId &&
	bad 422 customer POST /orders "{$OK,\"items\":[{$I},{\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":0}]}" &&
	test_eq "$(api_json ".errors[0].pointer")" /items/1/quantity
'

test_expect_success 'bad update and delivered bodies: 400/422' '
	bad 422 shipper PATCH /orders/0190d1a0-0000-7000-8000-000000000001 "{}" &&
	bad 422 shipper PATCH /orders/0190d1a0-0000-7000-8000-000000000001 "{\"status\":\"delivered\"}" &&
	bad 422 shipper PATCH /orders/0190d1a0-0000-7000-8000-000000000001 "{\"trackingNumber\":5}" &&
	bad 400 shipper PATCH /orders/0190d1a0-0000-7000-8000-000000000001 "{\"trackingNumber\":" &&
	bad 422 shipper PATCH /orders/0190d1a0-0000-7000-8000-000000000003/delivered "{\"trackingId\":\"T1\"}" &&
	bad 422 shipper PATCH /orders/0190d1a0-0000-7000-8000-000000000003/delivered "{\"trackingId\":\"T1\",\"confirmationId\":\"\"}" &&
	bad 422 shipper PATCH /orders/0190d1a0-0000-7000-8000-000000000003/delivered "{\"trackingId\":\"T1\",\"confirmationId\":\"c\",\"x\":1}"
'

test_expect_success 'bad ids and paths: 400/404/405' '
	bad 400 customer GET "/orders/$long65" &&
	bad 400 customer GET "/orders/a%2Fb" &&
	bad 400 customer GET "/orders/%00" &&
	bad 400 customer PATCH "/orders/a%20b/cancel" &&
	bad 404 customer GET /orders/no-such-order &&
	bad 404 customer GET /orders/0190d1a0-0000-7000-8000-000000000001/history &&
	bad 404 customer GET /order &&
	bad 405 customer PUT /orders/0190d1a0-0000-7000-8000-000000000001 "{}" &&
	bad 405 customer POST /orders/0190d1a0-0000-7000-8000-000000000001 "{}" &&
	bad 405 customer DELETE /orders
'

test_expect_success 'bad query strings: 422' '
	bad 422 admin GET "/orders?limit=0" &&
	bad 422 admin GET "/orders?limit=201" &&
	bad 422 admin GET "/orders?limit=ten" &&
	bad 422 admin GET "/orders?status=lost" &&
	bad 422 admin GET "/orders?cursor=%00" &&
	bad 422 admin GET "/orders?cursor=nonsense" &&
	bad 422 admin GET "/orders?includeDeleted=maybe" &&
	bad 422 admin GET "/orders?sort=asc" &&
	bad 422 admin GET "/orders?limit=1&limit=2"
'

test_expect_success 'header abuse: media type, length, idempotency key' '
	bad 415 customer POST /orders "{}" "Content-Type: text/plain" &&
	bad 415 customer POST /orders "{}" "Content-Type: application/xml" &&
	bad 415 customer POST /orders "{}" "Content-Type: application/json; charset=utf-16" &&
	bad 413 customer POST /orders "{\"pad\":\"$(head -c 9000 /dev/zero | tr "\0" a)\"}" &&
	bad 400 customer POST /orders "{$OK,\"items\":[{$I}]}" "Idempotency-Key: $(head -c 300 /dev/zero | tr "\0" k)" &&
	bad 400 customer POST /orders "{$OK,\"items\":[{$I}]}" "Idempotency-Key;"
'

test_expect_success 'at least 60 hostile requests ran' '
	test "$n" -ge 60
'

test_expect_success 'none of them published anything' '
	test_eq "$(queue_drain)" 0
'

test_expect_success 'no oms-fcgi child died, no 5xx was answered' '
	! grep -Eq "killed by signal|exited with status" "$STACK_DIR/oms-fcgi.log" &&
	! grep -Eq "\" 5[0-9][0-9] " "$STACK_DIR/nginx/access.log"
'

test_expect_success 'no sanitizer report' '
	stack_stop_fcgi &&
	stack_sanitizer_reports
'

test_done
