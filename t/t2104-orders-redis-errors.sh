#!/usr/bin/env bash
test_description='Redis error replies (issue 14, item 7): an error reply to a read is 503, never 404 or an empty answer; a failed SET of the pending record is 503 and nothing is published'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

BODY='{"customerId":"cus_demo","paymentMethodId":"pm_1","items":[{"productId":"p","variantId":"v","quantity":1}]}'
U=0190d1a0-0000-7000-8000-0000000000e1
V=0190d1a0-0000-7000-8000-0000000000e2

# D ARGS...: redis-cli as the default user (the operator).
D() {
	stack_redis_cli_as default --no-auth-warning "$@" | tr -d '\r'
}

# unavailable: the last answer was 503 with Retry-After.
unavailable() {
	test_eq "$(cat "$TRASH_DIRECTORY/api.status")" 503 &&
	test -n "$(api_header Retry-After)" &&
	test_eq "$(api_json .type)" /problems/unavailable
}

test_expect_success 'start the stack (no worker)' '
	stack_orders_up &&
	D HSET "oms:order:$V" id "$V" customerId cus_demo paymentMethodId pm status created isDeleted 0 version 1 items "[]" >/dev/null &&
	queue_drain >/dev/null
'

test_expect_success 'an error reply reading an order (WRONGTYPE): 503, not 404' '
	D SET "oms:order:$U" "not a hash" >/dev/null &&
	api_expect 503 customer GET "/orders/$U" &&
	unavailable &&
	api_expect 503 customer PATCH "/orders/$U/cancel" &&
	unavailable &&
	test_eq "$(queue_drain)" 0
'

test_expect_success 'an error reply reading its events: 503, not an empty history' '
	D SET "oms:order:$V:events" "not a stream" >/dev/null &&
	api_expect 503 admin GET "/orders/$V/events" &&
	unavailable
'

test_expect_success 'an error reply for one listed order: 503, not a shorter page' '
	D ZADD oms:orders 2 "$U" 1 "$V" >/dev/null &&
	api_expect 503 admin GET "/orders?limit=10" &&
	unavailable &&
	D DEL "oms:order:$U" >/dev/null &&
	api_expect 200 admin GET "/orders?limit=10" &&
	test_eq "$(api_json ".items | length")" 1
'

test_expect_success 'Redis refuses writes (OOM): a create is 503 and nothing is published' '
	D CONFIG SET maxmemory 1 >/dev/null &&
	api_expect 503 customer POST /orders "$BODY" &&
	unavailable &&
	api_expect 503 customer POST /orders "$BODY" "Idempotency-Key: oom-1" &&
	unavailable &&
	D CONFIG SET maxmemory 0 >/dev/null &&
	test_eq "$(queue_drain)" 0 &&
	test -z "$(D --scan --pattern "oms:pending:*")"
'

test_expect_success 'writes accepted again: 202 and one command on the queue' '
	api_expect 202 customer POST /orders "$BODY" "Idempotency-Key: oom-1" &&
	test_eq "$(queue_drain)" 1
'

test_expect_success 'no sanitizer report' '
	stack_stop_fcgi &&
	stack_sanitizer_reports
'

test_done
