#!/usr/bin/env bash
test_description='end to end through nginx, RabbitMQ, oms-worker and Redis: the order flow, declines, cancel and delete races, duplicates, dead letters'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

# Here the daemons reach Redis over its unix socket (the other scripts use
# TCP), so both transports of lib/store.c run end to end.
export STACK_REDIS_UNIX=1
stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

body() { # body PAYMENT-METHOD
	printf '{"customerId":"cus_demo","paymentMethodId":"%s","items":[{"productId":"p1","variantId":"v1","quantity":2}]}' "$1"
}

# status_is ID STATUS: the order reads back with STATUS now.
status_is() {
	test "$(api customer GET "/orders/$1")" = 200 &&
	test "$(api_json .status)" = "$2"
}

# events ID: the order's events, one "type outcome" line each.
events() {
	api admin GET "/orders/$1/events" >/dev/null &&
	api_json '.items[] | "\(.type) \(.outcome)"'
}

# refunded ID: canceled, and the payment refunded.
refunded() {
	status_is "$1" canceled &&
	test_match "$(api_json .refundTransactionId)" "^re_"
}

# settled ID: every follow-up command that the order's events announce has
# an event of its own (applied or refused): nothing more is on its way for
# this order, so what it shows now is final.
settled() {
	api admin GET "/orders/$1/events" >/dev/null &&
	test "$(api_json ".items | length")" -gt 0 &&
	test -z "$(api_json "[.items[].commandId] as \$seen |
	    [.items[].followUps[]?.commandId] - \$seen | .[]")"
}

# taken N TYPE COMMAND-ID: the worker logged N outcomes or more of that
# command (applied, refused or duplicate).
taken() {
	test "$(grep -c "$2 [a-z]*: .*command_id=$3 " "$STACK_DIR/oms-worker.log")" -ge "$1"
}

# no_duplicate_events ID: no commandId appears in two events.
no_duplicate_events() {
	api admin GET "/orders/$1/events" >/dev/null &&
	test -z "$(api_json '.items[].commandId' | sort | uniq -d)"
}

test_expect_success 'start the whole stack with oms-worker' '
	stack_start_redis &&
	stack_start_rabbitmq &&
	stack_start_worker &&
	stack_start_fcgi &&
	stack_start_nginx &&
	stack_wait_ready 30 &&
	stack_demo_keys
'

test_expect_success 'Prefer: wait=5 returns 201 with the created order' '
	api_expect 201 customer POST /orders "$(body pm_1)" "Prefer: wait=5" &&
	id=$(api_json .id) &&
	echo "$id" >happy.id &&
	test_eq "$(api_header Location)" "/orders/$id" &&
	# The order as it is when the answer is written: created, or already
	# paid on a fast worker (version 2 or more), never the pending view.
	test_match "$(api_json .version)" "^[1-9][0-9]*$" &&
	test_match "$(api_json .status)" "^(created|paymentSuccess|shipped)$"
'

test_expect_success 'the order is paid and shipped by the worker' '
	id=$(cat happy.id) &&
	retry_until 15 status_is "$id" shipped &&
	test_match "$(api_json .paymentTransactionId)" "^ch_" &&
	test_eq "$(api_json .shipCompanyId)" sim-post &&
	test_match "$(api_json .trackingNumber)" "^SIM" &&
	api_json .trackingNumber >happy.trk
'

test_expect_success 'oms-fcgi and oms-worker are connected over the unix socket' '
	test_match "$STACK_REDIS_URL" "^unix://" &&
	stack_redis_cli_as default --no-auth-warning CLIENT LIST >clients &&
	grep "user=oms-worker" clients | grep -q "redis\.sock" &&
	grep "user=oms-fcgi" clients | grep -q "redis\.sock" &&
	! grep -E "user=oms-(fcgi|worker)" clients | grep -q "addr=127\."
'

test_expect_success 'the shipper confirms delivery (Prefer: wait): 200 delivered' '
	id=$(cat happy.id) &&
	api_expect 200 shipper PATCH "/orders/$id/delivered" \
	    "{\"trackingId\":\"$(cat happy.trk)\",\"confirmationId\":\"conf-1\"}" "Prefer: wait=5" &&
	test_eq "$(api_json .status)" delivered &&
	test_eq "$(api_json .confirmationId)" conf-1
'

test_expect_success 'its history: one event per command, in order' '
	events "$(cat happy.id)" >ev.out &&
	printf "%s\n" "orders.create applied" "orders.process.payment applied" \
	    "orders.ship applied" "orders.delivered applied" >ev.want &&
	test_cmp ev.want ev.out &&
	no_duplicate_events "$(cat happy.id)"
'

test_expect_success 'an idempotent retry answers the order as it is now' '
	api_expect 201 customer POST /orders "$(body pm_1)" "Idempotency-Key: e2e-1" "Prefer: wait=5" &&
	id=$(api_json .id) &&
	retry_until 15 status_is "$id" shipped &&
	api_expect 202 customer POST /orders "$(body pm_1)" "Idempotency-Key: e2e-1" "Prefer: wait=5" &&
	test_eq "$(api_json .id)" "$id" &&
	test_eq "$(api_json .status)" shipped
'

test_expect_success 'the events API types its members' '
	api_expect 200 admin GET "/orders/$(cat happy.id)/events" &&
	test_eq "$(api_json ".items[0].followUps[0].type")" orders.process.payment &&
	test_eq "$(api_json ".items[0].actor.role")" customer
'

test_expect_success 'a declined payment method ends in paymentFailed' '
	api_expect 202 customer POST /orders "$(body pm_decline_card)" &&
	id=$(api_json .id) &&
	retry_until 15 status_is "$id" paymentFailed &&
	test_eq "$(api_json .paymentTransactionId)" null &&
	retry_until 15 settled "$id" &&
	status_is "$id" paymentFailed
'

test_expect_success 'listing shows the applied orders, newest first' '
	api_expect 200 customer GET "/orders?limit=10" &&
	test "$(api_json ".items | length")" -ge 2 &&
	test_eq "$(api_json ".items[-1].id")" "$(cat happy.id)"
'

test_expect_success 'delete cancels a created order and hides it from lists' '
	stack_stop_worker &&
	api_expect 202 customer POST /orders "$(body pm_1)" &&
	id=$(api_json .id) &&
	api_expect 202 customer DELETE "/orders/$id" &&
	stack_start_worker &&
	retry_until 15 status_is "$id" canceled &&
	test_eq "$(api_json .isDeleted)" true &&
	api_expect 200 customer GET "/orders?limit=200" &&
	test -z "$(api_json ".items[] | select(.id == \"$id\") | .id")" &&
	api_expect 200 admin GET "/orders?limit=200&includeDeleted=true" &&
	test_eq "$(api_json ".items[] | select(.id == \"$id\") | .id")" "$id"
'

# Shipping is slow too, so that a cancel sent within 1.2 s of the create
# still lands before the order could ship, however slow the machine: a
# shipping call in flight when the cancel lands is refused afterwards.
test_expect_success 'restart the worker with slow providers (payment 1.5 s, shipping 3 s)' '
	stack_stop_worker &&
	stack_start_worker OMS_PAYMENT_DELAY_MS=1500 OMS_SHIPPING_DELAY_MS=3000
'

test_expect_success 'cancel at random moments of a slow payment: never shipped, refunded if paid' '
	for delay in 0 0.2 0.5 0.8 1.0 1.2; do
		api_expect 202 customer POST /orders "$(body pm_1)" &&
		id=$(api_json .id) &&
		sleep "$delay" &&
		echo "$id $delay $(api customer PATCH "/orders/$id/cancel")" >>race.ids ||
		return 1
	done &&
	{ test "$(grep -c " 202$" race.ids)" -ge 4 ||
	    { echo "fewer than 4 cancels accepted:"; cat race.ids; false; }; } &&
	: >paid.ids &&
	while read -r id delay code; do
		case $code in
		202) ;;
		409) continue ;;
		*) echo "$id: cancel after $delay s answered $code"; return 1 ;;
		esac
		# Settled first: a payment still in flight when the cancel
		# landed would otherwise be judged before it completes.
		retry_until 30 settled "$id" && status_is "$id" canceled ||
		    { echo "$id (cancel after $delay s) is $(api_json .status)"; return 1; }
		paid=$(api_json .paymentTransactionId) &&
		if [ "$paid" != null ]; then
			echo "$id" >>paid.ids &&
			refunded "$id" ||
			    { echo "$id: paid $paid, not refunded"; return 1; }
		else
			test_eq "$(api_json .refundTransactionId)" null "$id"
		fi &&
		test "$(api_json .trackingNumber)" = null &&
		! events "$id" | grep -q "^orders.ship applied" &&
		# nothing took the order out of canceled, not even for a
		# moment (the ship step would still refuse a marked order)
		left=$(api_json ".items[] | select(.outcome == \"applied\" and
		    .from == \"canceled\" and .to != \"canceled\") | .type") &&
		{ test -z "$left" || { echo "$id left canceled: $left"; false; }; } &&
		no_duplicate_events "$id" || return 1
	done <race.ids &&
	say "$(wc -l <paid.ids) of $(grep -c " 202$" race.ids) canceled orders were paid and refunded"
'

test_expect_success 'a command published twice and out of order changes nothing twice' '
	stack_stop_worker &&
	api_expect 202 customer POST /orders "$(body pm_1)" &&
	id=$(api_json .id) &&
	api_expect 202 customer PATCH "/orders/$id/cancel" &&
	queue_drain >/dev/null &&
	dupc=$(cat /proc/sys/kernel/random/uuid) &&
	dupk=$(cat /proc/sys/kernel/random/uuid) &&
	cancel="{\"v\":1,\"type\":\"orders.cancel\",\"commandId\":\"$dupc\",\"orderId\":\"$id\",\"issuedAt\":\"2026-11-25T11:00:00.000Z\",\"actor\":{\"role\":\"admin\"},\"data\":{}}" &&
	create="{\"v\":1,\"type\":\"orders.create\",\"commandId\":\"$dupk\",\"orderId\":\"$id\",\"issuedAt\":\"2026-11-25T11:00:00.000Z\",\"actor\":{\"role\":\"admin\"},\"data\":$(body pm_1)}" &&
	for m in "$cancel" "$cancel" "$create" "$create"; do
		amqp-publish -u "$(stack_amqp_url oms-admin)" -e oms.commands \
		    -r "$(echo "$m" | jq -r .type)" -p -C application/json -b "$m" || return 1
	done &&
	stack_start_worker &&
	retry_until 15 status_is "$id" canceled &&
	retry_until 15 taken 2 "orders.cancel" "$dupc" &&
	retry_until 15 taken 2 "orders.create" "$dupk" &&
	events "$id" >ev.out &&
	test_eq "$(grep -c "^orders.cancel applied" ev.out)" 1 &&
	test_eq "$(grep -c "^orders.create applied" ev.out)" 1 &&
	test_eq "$(grep -c "^orders.process.payment applied" ev.out)" 0 &&
	no_duplicate_events "$id"
'

test_expect_success 'a malformed message lands in the DLQ; the worker goes on' '
	queue_drain order-worker-queue.dead >/dev/null &&
	amqp-publish -u "$(stack_amqp_url oms-admin)" -e oms.commands -r orders.create \
	    -p -b "{\"this\":\"is not a command\"}" &&
	amqp-publish -u "$(stack_amqp_url oms-admin)" -e oms.commands -r orders.cancel \
	    -p -b "not json at all" &&
	test_eq "$(queue_drain_until 2 order-worker-queue.dead)" 2 &&
	grep -q "dead-lettering a malformed" "$STACK_DIR/oms-worker.log" &&
	api_expect 201 customer POST /orders "$(body pm_1)" "Prefer: wait=5"
'

# metrics_consumers N: /metrics (saved in metrics.txt, m.h) counts N
# consumers of the command queue.
metrics_consumers() {
	curl -sS -D m.h -o metrics.txt "$OMS_URL/metrics" &&
	grep -Eq "^oms_queue_consumers\{queue=\"order-worker-queue\"\} $1\$" metrics.txt
}

# The worker was restarted by test 14: the broker may count a consumer of
# the stopped one for a moment (3 in one CI run), hence the wait.
test_expect_success '/metrics parses and counts what happened' '
	retry_until 10 metrics_consumers 2 &&
	grep -q "^HTTP/1.1 200" m.h &&
	grep -qi "^Content-Type: text/plain; version=0.0.4" m.h &&
	awk -f "$OMS_SRCDIR/t/prom-check.awk" metrics.txt >samples.out &&
	test "$(cat samples.out)" -gt 20 &&
	grep -Eq "^oms_http_requests_total\{route=\"POST /orders\",code=\"202\"\} [1-9]" metrics.txt &&
	grep -Eq "^oms_commands_published_total\{result=\"confirmed\"\} [1-9]" metrics.txt &&
	grep -Eq "^oms_worker_commands_total\{type=\"orders.create\",outcome=\"applied\"\} [1-9]" metrics.txt &&
	grep -Eq "^oms_worker_commands_total\{type=\"orders.ship\",outcome=\"applied\"\} [1-9]" metrics.txt &&
	grep -Eq "^oms_worker_events_total\{event=\"dead_lettered_malformed\"\} 2" metrics.txt &&
	grep -Eq "^oms_http_request_duration_seconds_count\{route=\"GET /orders/\{id\}\"\} [1-9]" metrics.txt &&
	grep -qx "oms_build_info{version=\"$("$OMS_SRCDIR/scripts/version")\"} 1" metrics.txt
'

test_expect_success 'the metrics reader refuses malformed exposition' '
	printf "# TYPE a counter\na{x=\"1\"} one\n" >bad1.txt &&
	! awk -f "$OMS_SRCDIR/t/prom-check.awk" bad1.txt &&
	printf "b 1\n" >bad2.txt &&
	! awk -f "$OMS_SRCDIR/t/prom-check.awk" bad2.txt &&
	printf "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n" >bad3.txt &&
	! awk -f "$OMS_SRCDIR/t/prom-check.awk" bad3.txt
'

test_expect_success 'no password or key in the logs' '
	stack_no_secret_in "$STACK_DIR/oms-fcgi.log" "$STACK_DIR/oms-worker.log" \
	    "$STACK_DIR/nginx"
'

test_expect_success 'no sanitizer report, no crashed worker' '
	! grep -Eq "killed by signal|exited with status" "$STACK_DIR/oms-worker.log" &&
	stack_stop_worker && stack_stop_fcgi &&
	stack_sanitizer_reports
'

test_done
