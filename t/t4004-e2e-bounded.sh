#!/usr/bin/env bash
# shellcheck disable=SC2016 # bodies are single-quoted strings eval'd by test_expect_success
test_description='end to end: requests that cannot change an order are answered without publishing, and 1,000 of them leave the order'"'"'s Redis keys within 2x of one (issue 14, item 1); a shipped order'"'"'s shipping fields are frozen (item 4)'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

body() { # body PAYMENT-METHOD
	printf '{"customerId":"cus_demo","paymentMethodId":"%s","items":[{"productId":"p1","variantId":"v1","quantity":1}]}' "$1"
}

status_is() {
	test "$(api customer GET "/orders/$1")" = 200 &&
	test "$(api_json .status)" = "$2"
}

# mem ID: MEMORY USAGE of the order's hash, events and applied ids, summed.
mem() {
	local k t=0 n
	for k in "oms:order:$1" "oms:order:$1:events" "oms:order:$1:applied"; do
		n=$(stack_redis_cli memory usage "$k" SAMPLES 0 | tr -d '\r') &&
		t=$((t + ${n:-0})) || return 1
	done
	echo "$t"
}

# nev ID: the number of events in the order's history.
nev() {
	stack_redis_cli FCALL_RO oms_events 1 "oms:order:$1" | jq length
}

# many N ROLE METHOD PATH [BODY]: N requests on one keep-alive connection
# (one curl); prints each status on its own line.
many() {
	local n=$1 role=$2 method=$3 path=$4 data=${5-} key i args=()
	case $role in
	customer) key=$OMS_CUSTOMER_KEY ;;
	shipper) key=$OMS_SHIPPER_KEY ;;
	*) key=$OMS_ADMIN_KEY ;;
	esac
	for i in $(seq 1 "$n"); do
		[ "$i" = 1 ] || args+=(--next)
		args+=(-s -o /dev/null -w '%{http_code}\n' -X "$method"
		    -H "Authorization: Bearer $key")
		[ -z "$data" ] || args+=(-H 'Content-Type: application/json' --data-binary "$data")
		args+=("$OMS_URL$path")
	done
	curl "${args[@]}"
}

# queue_settled: nothing waits in or is being worked on from the command
# queue (the broker's counters lag: retried until they say 0).
queue_settled() {
	test "$(stack_rabbitmqctl list_queues -p oms name messages |
	    awk '$1 == "order-worker-queue" { print $2 }')" = 0
}

test_expect_success 'start the stack with oms-worker' '
	stack_start_redis &&
	stack_start_rabbitmq &&
	stack_start_worker &&
	stack_start_fcgi &&
	stack_start_nginx &&
	stack_wait_ready 30 &&
	stack_demo_keys
'

test_expect_success 'an order is created and shipped' '
	api_expect 201 customer POST /orders "$(body pm_1)" "Prefer: wait=5" &&
	id=$(api_json .id) && echo "$id" >a.id &&
	retry_until 20 status_is "$id" shipped &&
	api_json .trackingNumber >a.trk && api_json .shipCompanyId >a.co
'

test_expect_success 'a shipped order: its tracking number is frozen (409), and delivered needs the carrier value (item 4)' '
	id=$(cat a.id) &&
	api_expect 409 shipper PATCH "/orders/$id" "{\"trackingNumber\":\"FORGED-1\"}" &&
	test_eq "$(api_json .type)" /problems/shipping-fields-frozen &&
	api_expect 409 admin PATCH "/orders/$id" "{\"shipCompanyId\":\"other\"}" &&
	api_expect 409 shipper PATCH "/orders/$id/delivered" \
	    "{\"trackingId\":\"FORGED-1\",\"confirmationId\":\"c\"}" &&
	test_eq "$(api_json .type)" /problems/tracking-mismatch &&
	status_is "$id" shipped &&
	test_eq "$(api_json .trackingNumber)" "$(cat a.trk)"
'

test_expect_success '250 updates to the values it has: 200 with the order, nothing published' '
	id=$(cat a.id) &&
	upd="{\"shipCompanyId\":\"$(cat a.co)\",\"trackingNumber\":\"$(cat a.trk)\"}" &&
	api_expect 200 shipper PATCH "/orders/$id" "$upd" &&
	test_eq "$(api_json .id)" "$id" &&
	test_eq "$(api_json .status)" shipped &&
	many 249 shipper PATCH "/orders/$id" "$upd" | sort | uniq -c >codes &&
	test_eq "$(awk "{print \$1, \$2}" codes)" "249 200" &&
	test_eq "$(nev "$id")" 3
'

test_expect_success 'delivered, then deleted: one of each applies' '
	id=$(cat a.id) &&
	api_expect 200 shipper PATCH "/orders/$id/delivered" \
	    "{\"trackingId\":\"$(cat a.trk)\",\"confirmationId\":\"conf-1\"}" "Prefer: wait=5" &&
	api_expect 200 customer DELETE "/orders/$id" "" "Prefer: wait=5" &&
	test_eq "$(api_json .isDeleted)" true &&
	retry_until 20 queue_settled &&
	mem "$id" >a.one && nev "$id" >a.nev &&
	test_eq "$(cat a.nev)" 5
'

test_expect_success '1,000 more deletes and deliveries confirmed again: 200, keys within 2x' '
	id=$(cat a.id) &&
	{
		many 500 customer DELETE "/orders/$id" &&
		many 500 shipper PATCH "/orders/$id/delivered" \
		    "{\"trackingId\":\"$(cat a.trk)\",\"confirmationId\":\"conf-1\"}"
	} | sort | uniq -c >codes &&
	test_eq "$(awk "{print \$1, \$2}" codes)" "1000 200" &&
	retry_until 30 queue_settled &&
	one=$(cat a.one) && now=$(mem "$id") &&
	say "order keys: $one bytes after one delete, $now after 1,000 more" &&
	test "$now" -le $((2 * one)) &&
	test_eq "$(nev "$id")" "$(cat a.nev)"
'

test_expect_success 'a canceled order: 1,000 more cancels answer 200 and publish nothing' '
	api_expect 201 customer POST /orders "$(body pm_decline_card)" "Prefer: wait=5" &&
	id=$(api_json .id) &&
	api_expect 200 customer PATCH "/orders/$id/cancel" "" "Prefer: wait=5" &&
	test_eq "$(api_json .status)" canceled &&
	retry_until 20 queue_settled &&
	one=$(mem "$id") && n=$(nev "$id") &&
	many 1000 customer PATCH "/orders/$id/cancel" | sort | uniq -c >codes &&
	test_eq "$(awk "{print \$1, \$2}" codes)" "1000 200" &&
	retry_until 30 queue_settled &&
	now=$(mem "$id") &&
	say "order keys: $one bytes after one cancel, $now after 1,000 more" &&
	test "$now" -le $((2 * one)) &&
	test_eq "$(nev "$id")" "$n"
'

test_expect_success 'a command that can change something is still published (202)' '
	api_expect 202 customer POST /orders "$(body pm_1)" &&
	id=$(api_json .id) &&
	api_expect 202 customer DELETE "/orders/$id"
'

test_done
