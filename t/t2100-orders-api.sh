#!/usr/bin/env bash
test_description='order API through nginx: every route, the study bodies, idempotency, Prefer: wait, the envelope on the queue'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

CREATE='{"customerId":"cus_demo","paymentMethodId":"pm_1","storeId":"st_1","items":[{"productId":"p1","variantId":"v1","quantity":2},{"productId":"p2","variantId":"v9","quantity":1}]}'

test_expect_success 'start the stack with demo keys' '
	stack_orders_up &&
	test -n "$OMS_ADMIN_KEY" && test -n "$OMS_CUSTOMER_KEY" &&
	test "$OMS_CUSTOMER_ID" = cus_demo
'

test_expect_success 'POST /orders: 202, Location and the pending order' '
	api_expect 202 customer POST /orders "$CREATE" &&
	id=$(api_json .id) &&
	test_match "$id" "^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$" &&
	test_eq "$(api_header Location)" "/orders/$id" &&
	test_eq "$(api_json .status)" pending &&
	test_eq "$(api_json .customerId)" cus_demo &&
	test_eq "$(api_json .storeId)" st_1 &&
	test_eq "$(api_json ".items | length")" 2 &&
	test_eq "$(api_json ".items[1].variantId")" v9 &&
	test_eq "$(api_json .isDeleted)" false &&
	test_match "$(api_json .createdAt)" "^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{3}Z$" &&
	echo "$id" >order1.id &&
	api_header X-Request-Id >order1.rid
'

test_expect_success 'GET /orders/{id} reads it back as pending' '
	id=$(cat order1.id) &&
	api_expect 200 customer GET "/orders/$id" &&
	test_eq "$(api_json .id)" "$id" &&
	test_eq "$(api_json .status)" pending &&
	api_expect 200 shipper GET "/orders/$id" &&
	api_expect 200 admin GET "/orders/$id"
'

test_expect_success 'the command on the queue: envelope and properties (DESIGN 6)' '
	id=$(cat order1.id) &&
	mq_get order-worker-queue >msg.out &&
	sed "1,/^\$/d" msg.out >msg.json &&
	test_eq "$(jq -r .v msg.json)" 1 &&
	test_eq "$(jq -r .type msg.json)" orders.create &&
	test_eq "$(jq -r .orderId msg.json)" "$id" &&
	cid=$(jq -r .commandId msg.json) &&
	test_match "$cid" "^[0-9a-f-]{36}$" &&
	test_eq "$(jq -r .actor.role msg.json)" customer &&
	test_eq "$(jq -r .actor.customerId msg.json)" cus_demo &&
	test_eq "$(jq -r .data.items[0].productId msg.json)" p1 &&
	test_eq "$(jq -r .data.storeId msg.json)" st_1 &&
	test_match "$(jq -r .issuedAt msg.json)" "Z$" &&
	grep -qx "ROUTING_KEY=orders.create" msg.out &&
	grep -qx "TYPE=orders.create" msg.out &&
	grep -qx "MESSAGE_ID=$cid" msg.out &&
	grep -qx "CORRELATION_ID=$(cat order1.rid)" msg.out &&
	grep -qx "DELIVERY_MODE=2" msg.out &&
	grep -qx "APP_ID=oms-fcgi" msg.out &&
	grep -qx "CONTENT_TYPE=application/json" msg.out &&
	grep -Eqx "TIMESTAMP=[1-9][0-9]{9}" msg.out
'

test_expect_success 'the study single-product body is accepted as one item' '
	api_expect 202 customer POST /orders \
	    "{\"customerId\":\"cus_demo\",\"productId\":\"prod-1\",\"variantId\":\"var-1\",\"quantity\":3,\"paymentMethodId\":\"pm_9\",\"storeId\":\"store-1\"}" &&
	test_eq "$(api_json ".items | length")" 1 &&
	test_eq "$(api_json .items[0].quantity)" 3 &&
	test_eq "$(api_json .items[0].productId)" prod-1
'

test_expect_success 'Idempotency-Key: same key and body, same order, nothing new published' '
	queue_drain >/dev/null &&
	api_expect 202 customer POST /orders "$CREATE" "Idempotency-Key: abc-1" &&
	first=$(api_json .id) &&
	api_expect 202 customer POST /orders "$CREATE" "Idempotency-Key: abc-1" &&
	test_eq "$(api_json .id)" "$first" &&
	test_eq "$(queue_drain)" 1
'

test_expect_success 'Idempotency-Key: same key, other body: 422' '
	api_expect 422 customer POST /orders "${CREATE/pm_1/pm_2}" "Idempotency-Key: abc-1" &&
	test_eq "$(api_json .type)" /problems/idempotency-key-reused
'

test_expect_success 'Idempotency-Key: keys are per customer' '
	api_expect 202 admin POST /orders "${CREATE/cus_demo/cus_x}" "Idempotency-Key: abc-1" &&
	test "$(api_json .id)" != "$(cat order1.id)"
'

test_expect_success 'Prefer: wait=1 with no worker: 202 after about 1 s' '
	start=$(date +%s%N) &&
	api_expect 202 customer POST /orders "$CREATE" "Prefer: wait=1" &&
	ms=$((($(date +%s%N) - start) / 1000000)) &&
	test "$ms" -ge 900 && test "$ms" -lt 4000 &&
	test_eq "$(api_json .status)" pending
'

test_expect_success 'PATCH /orders/{id}: shipper sets shipping fields: 202' '
	id=$(cat order1.id) &&
	api_expect 202 shipper PATCH "/orders/$id" "{\"shipCompanyId\":\"dhl\",\"trackingNumber\":\"TR-1\"}" &&
	test_eq "$(api_json .type)" orders.update &&
	test_eq "$(api_json .orderId)" "$id" &&
	test_eq "$(api_header Location)" "/orders/$id"
'

test_expect_success 'PATCH /orders/{id}/cancel by the owner: 202' '
	id=$(cat order1.id) &&
	api_expect 202 customer PATCH "/orders/$id/cancel" &&
	test_eq "$(api_json .type)" orders.cancel
'

test_expect_success 'DELETE /orders/{id} by the owner: 202' '
	id=$(cat order1.id) &&
	api_expect 202 customer DELETE "/orders/$id" &&
	test_eq "$(api_json .type)" orders.delete
'

test_expect_success 'PATCH delivered on a pending order: 409' '
	id=$(cat order1.id) &&
	api_expect 409 shipper PATCH "/orders/$id/delivered" "{\"trackingId\":\"TR-1\",\"confirmationId\":\"c-1\"}"
'

test_expect_success 'preconditions read the state the worker wrote (shipped, canceled)' '
	stack_redis_cli_as oms-worker HSET oms:order:0190d1a0-0000-7000-8000-000000000004 id 0190d1a0-0000-7000-8000-000000000004 customerId cus_demo paymentMethodId pm status shipped isDeleted 0 trackingNumber TR-9 version 3 createdAt 2026-11-25T10:00:00.000Z updatedAt 2026-11-25T10:00:00.000Z items "[]" >/dev/null &&
	stack_redis_cli_as oms-worker HSET oms:order:0190d1a0-0000-7000-8000-000000000005 id 0190d1a0-0000-7000-8000-000000000005 customerId cus_demo status canceled isDeleted 0 version 2 items "[]" >/dev/null &&
	api_expect 409 customer PATCH /orders/0190d1a0-0000-7000-8000-000000000004/cancel &&
	api_expect 409 shipper PATCH /orders/0190d1a0-0000-7000-8000-000000000005 "{\"trackingNumber\":\"X\"}" &&
	api_expect 409 shipper PATCH /orders/0190d1a0-0000-7000-8000-000000000004/delivered "{\"trackingId\":\"WRONG\",\"confirmationId\":\"c\"}" &&
	test_eq "$(api_json .type)" /problems/tracking-mismatch &&
	api_expect 202 shipper PATCH /orders/0190d1a0-0000-7000-8000-000000000004/delivered "{\"trackingId\":\"TR-9\",\"confirmationId\":\"c\"}" &&
	api_expect 202 customer DELETE /orders/0190d1a0-0000-7000-8000-000000000005 &&
	api_expect 200 customer GET /orders/0190d1a0-0000-7000-8000-000000000004 &&
	test_eq "$(api_json .status)" shipped &&
	test_eq "$(api_json .version)" 3 &&
	test_eq "$(api_json .refundTransactionId)" null
'

test_expect_success 'GET /orders lists the index newest first, with a cursor' '
	for i in 1 2 3 4 5; do
		stack_redis_cli_as oms-worker HSET oms:order:L$i id L$i customerId cus_demo status created isDeleted 0 version 1 items "[]" createdAt 2026-11-25T10:00:0$i.000Z >/dev/null &&
		stack_redis_cli_as oms-worker ZADD oms:orders 100$i L$i >/dev/null &&
		stack_redis_cli_as oms-worker ZADD oms:customer:cus_demo:orders 100$i L$i >/dev/null || return 1
	done &&
	stack_redis_cli_as oms-worker HSET oms:order:L3 isDeleted 1 >/dev/null &&
	api_expect 200 admin GET "/orders?limit=2" &&
	test_eq "$(api_json "[.items[].id] | join(\",\")")" L5,L4 &&
	cursor=$(api_json .nextCursor) &&
	api_expect 200 admin GET "/orders?limit=2&cursor=$cursor" &&
	test_eq "$(api_json "[.items[].id] | join(\",\")")" L2,L1 &&
	api_expect 200 admin GET "/orders?limit=10&includeDeleted=true" &&
	test_eq "$(api_json "[.items[].id] | join(\",\")")" L5,L4,L3,L2,L1 &&
	test_eq "$(api_json .nextCursor)" null &&
	api_expect 200 customer GET "/orders?status=created&limit=50" &&
	test_eq "$(api_json ".items | length")" 4
'

test_expect_success 'paging through 125 orders with cursors: each exactly once' '
	for i in $(seq 100 219); do
		printf "HSET oms:order:M%s id M%s customerId cus_demo status created isDeleted 0 version 1 items []\nZADD oms:orders %s M%s\n" \
		    "$i" "$i" "$((2000 + i / 3))" "$i"
	done | stack_redis_cli_as oms-worker >/dev/null &&
	cursor= && : >seen.ids &&
	for page in $(seq 1 10); do
		api_expect 200 admin GET "/orders?limit=50&includeDeleted=true${cursor:+&cursor=$cursor}" &&
		api_json ".items[].id" >>seen.ids &&
		cursor=$(api_json ".nextCursor // empty") &&
		if [ -z "$cursor" ]; then break; fi || return 1
	done &&
	test_eq "$(wc -l <seen.ids)" 125 &&
	test_eq "$(sort -u seen.ids | wc -l)" 125 &&
	api_expect 200 admin GET "/orders?limit=200&status=created&includeDeleted=true" &&
	test_eq "$(api_json ".items | length")" 125
'

test_expect_success 'GET /orders/{id}/events of a pending order: empty history' '
	id=$(cat order1.id) &&
	api_expect 200 customer GET "/orders/$id/events" &&
	test_eq "$(api_json ".items | length")" 0 &&
	test_eq "$(api_json .orderId)" "$id"
'

test_expect_success 'no secret or key in the logs' '
	for s in "$OMS_ADMIN_KEY" "$OMS_CUSTOMER_KEY" "$OMS_SHIPPER_KEY" $(cat "$STACK_DIR"/secrets/*); do
		! grep -rqF -- "$s" "$STACK_DIR/oms-fcgi.log" "$STACK_DIR/nginx" || return 1
	done
'

test_expect_success 'no sanitizer report' '
	stack_stop_fcgi &&
	stack_sanitizer_reports
'

test_done
