#!/usr/bin/env bash
test_description='order API: the 401/403/404 matrix over every route, role and a revoked key'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

CREATE='{"customerId":"cus_demo","paymentMethodId":"pm_1","items":[{"productId":"p1","variantId":"v1","quantity":1}]}'
UPDATE='{"shipCompanyId":"dhl","trackingNumber":"TR-9"}'
DELIVERED='{"trackingId":"TR-9","confirmationId":"c-1"}'

test_expect_success 'start the stack; an order of cus_demo, shipped' '
	stack_orders_up &&
	stack_redis_cli_as oms-worker HSET oms:order:0190d1a0-0000-7000-8000-000000000001 id 0190d1a0-0000-7000-8000-000000000001 customerId cus_demo paymentMethodId pm_1 status shipped isDeleted 0 trackingNumber TR-9 version 3 items "[]" >/dev/null &&
	stack_redis_cli_as oms-worker HSET oms:order:0190d1a0-0000-7000-8000-000000000002 id 0190d1a0-0000-7000-8000-000000000002 customerId cus_demo paymentMethodId pm_1 status created isDeleted 0 version 1 items "[]" >/dev/null
'

# refused KEY: the key gets 401 now.
refused() {
	test "$(api "Bearer $1" GET /orders)" = 401
}

# matrix ROUTE-LABEL METHOD PATH BODY "none revoked customer other shipper admin"
matrix() {
	local method=$2 path=$3 body=$4 roles=(none revoked customer other shipper admin)
	local -a want
	read -r -a want <<<"$5"
	local i
	for i in "${!roles[@]}"; do
		api_expect "${want[$i]}" "${roles[$i]}" "$method" "$path" "$body" ||
		    { echo "route $1 as ${roles[$i]}" >&2; return 1; }
	done
}

test_expect_success 'POST /orders' '
	matrix create POST /orders "$CREATE" "401 401 202 403 403 202"
'
test_expect_success 'GET /orders' '
	matrix list GET /orders "" "401 401 200 200 403 200"
'
test_expect_success 'GET /orders/{id}' '
	matrix get GET /orders/0190d1a0-0000-7000-8000-000000000001 "" "401 401 200 404 200 200"
'
test_expect_success 'GET /orders/{id}/events' '
	matrix events GET /orders/0190d1a0-0000-7000-8000-000000000001/events "" "401 401 200 404 403 200"
'
test_expect_success 'PATCH /orders/{id}' '
	matrix update PATCH /orders/0190d1a0-0000-7000-8000-000000000002 "$UPDATE" "401 401 403 403 202 202"
'
test_expect_success 'PATCH /orders/{id}/cancel' '
	matrix cancel PATCH /orders/0190d1a0-0000-7000-8000-000000000002/cancel "" "401 401 202 404 403 202"
'
test_expect_success 'DELETE /orders/{id}' '
	matrix delete DELETE /orders/0190d1a0-0000-7000-8000-000000000002 "" "401 401 202 404 403 202"
'
test_expect_success 'PATCH /orders/{id}/delivered' '
	matrix delivered PATCH /orders/0190d1a0-0000-7000-8000-000000000001/delivered "$DELIVERED" "401 401 403 403 202 202"
'

test_expect_success 'another customer sees no order of cus_demo in lists' '
	stack_redis_cli_as oms-worker ZADD oms:customer:cus_demo:orders 1 0190d1a0-0000-7000-8000-000000000001 >/dev/null &&
	api_expect 200 other GET /orders &&
	test_eq "$(api_json ".items | length")" 0 &&
	api_expect 403 other GET "/orders?customerId=cus_demo" &&
	api_expect 200 customer GET /orders &&
	test_eq "$(api_json ".items[0].id")" 0190d1a0-0000-7000-8000-000000000001
'

test_expect_success '401 carries WWW-Authenticate: Bearer' '
	api_expect 401 none GET /orders &&
	test_match "$(api_header WWW-Authenticate)" "^Bearer realm=\"oms\"$" &&
	api_expect 401 revoked GET /orders &&
	test_match "$(api_header WWW-Authenticate)" "error=\"invalid_token\""
'

test_expect_success 'malformed Authorization headers: 401' '
	api_expect 401 "Basic dXNlcjpwYXNz" GET /orders &&
	api_expect 401 "Bearer" GET /orders &&
	api_expect 401 "Bearer  $OMS_ADMIN_KEY" GET /orders &&
	api_expect 401 "Bearer ${OMS_ADMIN_KEY}x" GET /orders &&
	api_expect 401 "Bearer oms_not-a-key" GET /orders &&
	api_expect 401 "Token $OMS_ADMIN_KEY" GET /orders &&
	api_expect 200 "bearer $OMS_ADMIN_KEY" GET /orders
'

test_expect_success 'a key revoked while in use is refused within the 2 s cache' '
	key=$(omsctl_run apikey create --role=admin --name=short-lived | head -n 1) &&
	api_expect 200 "Bearer $key" GET /orders &&
	api_expect 200 "Bearer $key" GET /orders &&
	omsctl_run apikey revoke "$key" >/dev/null &&
	start=$(date +%s%N) &&
	retry_until 5 refused "$key" &&
	test $((($(date +%s%N) - start) / 1000000)) -le 3000
'

test_expect_success 'the matrix logged key ids, never keys' '
	grep -q "key_id=[0-9a-f]\{12\}" "$STACK_DIR/oms-fcgi.log" &&
	! grep -qF "$OMS_ADMIN_KEY" "$STACK_DIR/oms-fcgi.log"
'

test_expect_success 'no sanitizer report' '
	stack_stop_fcgi &&
	stack_sanitizer_reports
'

test_done
