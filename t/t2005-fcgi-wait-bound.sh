#!/usr/bin/env bash
test_description='Prefer: wait is bounded (issue 14, item 6): with OMS_FCGI_MAX_WAITING=1 and no worker, one request waits its 5 s while the others answer 202 at once, and reads are served meanwhile'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

BODY='{"customerId":"cus_demo","paymentMethodId":"pm_1","items":[{"productId":"p","variantId":"v","quantity":1}]}'

# post NAME: POST /orders with Prefer: wait=5 in the background; NAME.code
# gets "status seconds", NAME.h the headers. Its pid is appended to pids.
post() {
	curl -s -o "$1.b" -D "$1.h" -w '%{http_code} %{time_total}\n' \
	    -X POST -H "Authorization: Bearer $OMS_CUSTOMER_KEY" \
	    -H 'Content-Type: application/json' -H 'Prefer: wait=5' \
	    --data-binary "$BODY" "$OMS_URL/orders" >"$1.code" &
	echo $! >>pids
}

# waiting N: /metrics says N requests wait now.
waiting() {
	curl -fsS "$OMS_URL/metrics" | grep -qx "oms_fcgi_waiting $1"
}

# children N: the oms-fcgi master has N children now.
children() {
	test "$(stack_fcgi_children | wc -l)" = "$1"
}

test_expect_success 'start the stack: 4 children, at most 1 waiting, no worker' '
	stack_orders_up OMS_FCGI_PROCESSES=4 OMS_FCGI_MAX_WAITING=1 &&
	curl -fsS "$OMS_URL/metrics" | grep -qx "oms_fcgi_waiting_max 1" &&
	waiting 0
'

test_expect_success 'a first request waits (it holds the one slot)' '
	: >pids &&
	post w1 &&
	retry_until 5 waiting 1
'

test_expect_success 'three more answer 202 at once, without Preference-Applied' '
	post w2 && post w3 && post w4 &&
	for p in $(tail -n 3 pids); do wait "$p" || return 1; done &&
	for w in w2 w3 w4; do
		read -r code secs <"$w.code" &&
		test_eq "$code" 202 "$w" &&
		awk -v s="$secs" "BEGIN { exit !(s < 3) }" &&
		! grep -qi "^Preference-Applied" "$w.h" || return 1
	done
'

test_expect_success 'reads are served while it waits' '
	api_expect 200 customer GET /orders/$(jq -r .id w2.b) &&
	waiting 1
'

test_expect_success 'the waiting one answers 202 after its wait, with Preference-Applied' '
	wait "$(head -n 1 pids)" &&
	read -r code secs <w1.code &&
	test_eq "$code" 202 &&
	awk -v s="$secs" "BEGIN { exit !(s >= 4.5) }" &&
	grep -qi "^Preference-Applied: wait=5" w1.h &&
	retry_until 5 waiting 0
'

test_expect_success 'the slot is free again: the next request waits' '
	: >pids &&
	post w5 &&
	retry_until 5 waiting 1 &&
	wait "$(head -n 1 pids)" &&
	grep -qi "^Preference-Applied: wait=5" w5.h
'

test_expect_success 'a child killed while it waits does not keep its slot' '
	: >pids &&
	post w6 &&
	retry_until 5 waiting 1 &&
	for c in $(stack_fcgi_children); do kill -9 "$c"; done &&
	wait "$(head -n 1 pids)" &&
	retry_until 10 children 4 &&
	: >pids &&
	post w7 &&
	wait "$(head -n 1 pids)" &&
	grep -qi "^Preference-Applied: wait=5" w7.h
'

test_expect_success 'no sanitizer report' '
	stack_stop_fcgi &&
	stack_sanitizer_reports
'

test_done
