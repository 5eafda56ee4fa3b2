#!/usr/bin/env bash
test_description='webhooks end to end: an order flow delivered signed to a loopback receiver, type filters, rotation, redelivery, the delivery log, metrics, the SSRF refusal, giving up and disabling'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"
. "$OMS_SRCDIR/t/lib-webhooks.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

BODY='{"customerId":"cus_demo","paymentMethodId":"pm_1","items":[{"productId":"p1","variantId":"v1","quantity":2}]}'
# The receivers are on loopback: the switch the tests need (and http://).
NOTIFY_ENV="OMS_WEBHOOK_ALLOW_HTTP=1 OMS_WEBHOOK_ALLOW_PRIVATE=1 OMS_WEBHOOK_RETRY_FIRST_MS=300 OMS_WEBHOOK_RETRY_MAX_MS=1000"

status_is() {
	test "$(api customer GET "/orders/$1")" = 200 &&
	test "$(api_json .status)" = "$2"
}

# got NAME TYPE ORDER: NAME received a 2xx delivery of TYPE for ORDER
# (bodies are in the log only as id and type: the id names the command).
got() {
	jq -se --arg t "$2" 'any(.[]; .type == $t and .status < 300)' \
	    "$TRASH_DIRECTORY/$1.log" >/dev/null
}

test_expect_success 'start the stack, oms-notify and two receivers' '
	stack_start_redis &&
	stack_start_rabbitmq &&
	stack_start_worker &&
	stack_start_fcgi OMS_WEBHOOK_ALLOW_HTTP=1 &&
	stack_start_nginx &&
	stack_wait_ready 30 &&
	stack_demo_keys &&
	receiver_start all && echo "$RECV_URL" >all.url &&
	webhook_add all "[\"*\"]" >all.id &&
	receiver_start cancels &&
	webhook_add cancels "[\"order.canceled\"]" >cancels.id &&
	stack_start_notify $NOTIFY_ENV &&
	test -s "$STACK_DIR/pids/oms-notify.pid"
'

test_expect_success 'an order to delivered: its four events, each signed and valid' '
	api_expect 202 customer POST /orders "$BODY" &&
	id=$(api_json .id) && echo "$id" >o1.id &&
	retry_until 40 status_is "$id" shipped &&
	trk=$(api_json .trackingNumber) &&
	api_expect 200 shipper PATCH "/orders/$id/delivered" \
	    "{\"trackingId\":\"$trk\",\"confirmationId\":\"conf-1\"}" "Prefer: wait=5" &&
	retry_until 30 got all order.delivered &&
	api admin GET "/orders/$id/events" >/dev/null &&
	cid=$(api_json ".items[0].commandId") && echo "$cid" >o1.cid &&
	for t in order.created order.payment_succeeded order.shipped order.delivered; do
		got all $t || { echo "no $t" >&2; return 1; }
	done &&
	test_eq "$(jq -r .id all.log | sort -u | wc -l)" 4 &&
	grep -q "\"id\":\"evt_$cid\"" all.log &&
	grep -q "\"id\":\"evt_$cid.pay.ship\"" all.log &&
	test_eq "$(jq -r "select(.valid != [0]) | .id" all.log)" "" &&
	test_eq "$(jq -r "select(.id != .bodyId or .type != .bodyType) | .id" all.log)" "" &&
	test_eq "$(jq -r ".contentType" all.log | sort -u)" application/json &&
	test_eq "$(jq -r ".method" all.log | sort -u)" POST &&
	test_eq "$(jq -r ".attempt" all.log | sort -u)" 1 &&
	test_match "$(jq -r .signature all.log | head -n 1)" "^t=[0-9]{10},v1=[0-9a-f]{64}$"
'

test_expect_success 'a type the subscription does not name is not sent' '
	test_eq "$(wc -l <cancels.log)" 0 &&
	api_expect 202 customer POST /orders "{\"customerId\":\"cus_demo\",\"paymentMethodId\":\"pm_decline_2\",\"items\":[{\"productId\":\"p1\",\"variantId\":\"v1\",\"quantity\":1}]}" &&
	id=$(api_json .id) &&
	retry_until 40 status_is "$id" paymentFailed &&
	api_expect 202 customer PATCH "/orders/$id/cancel" &&
	retry_until 40 status_is "$id" canceled &&
	retry_until 30 got cancels order.canceled &&
	retry_until 30 got all order.canceled &&
	test_eq "$(jq -r .type cancels.log | sort -u)" order.canceled &&
	test_eq "$(jq -r "select(.valid != [0]) | .id" cancels.log)" ""
'

test_expect_success 'the delivery log and /metrics' '
	sid=$(cat all.id) &&
	api_expect 200 admin GET "/webhooks/$sid/deliveries?limit=100" &&
	test "$(api_json ".items | length")" -ge 4 &&
	test_eq "$(api_json ".items[0].state")" delivered &&
	test_eq "$(api_json ".items[0].statusCode")" 200 &&
	test_match "$(api_json ".items[0].latencyMs")" "^[0-9]+$" &&
	test_match "$(api_json ".items[0].eventId")" "^evt_" &&
	omsctl_run webhook deliveries "$sid" >dl.json &&
	test "$(jq length dl.json)" -ge 4 &&
	curl -sS -o metrics.txt "$OMS_URL/metrics" &&
	awk -f "$OMS_SRCDIR/t/prom-check.awk" metrics.txt >/dev/null &&
	grep -Eq "^oms_webhook_deliveries_total\{outcome=\"delivered\"\} ([6-9]|[1-9][0-9]+)$" metrics.txt &&
	grep -q "^oms_webhook_backlog{subscription=\"$sid\"} 0$" metrics.txt
'

test_expect_success 'rotation: both secrets sign for a while' '
	sid=$(cat all.id) &&
	api_expect 200 admin POST "/webhooks/$sid/rotate-secret" &&
	api_json .secret >>all.secrets &&
	sleep 1.2 && # oms-notify reads the secrets it signs with from a 1-s cache
	n=$(wc -l <all.log) &&
	api_expect 202 customer POST /orders "$BODY" &&
	retry_until 30 eval "test \$(tail -n +$((n + 1)) all.log | jq -r .type | grep -c order.shipped) -ge 1" &&
	tail -n +$((n + 1)) all.log >rot.log &&
	test_eq "$(jq -c .valid rot.log | sort -u)" "[0,1]" &&
	test_match "$(jq -r .signature rot.log | head -n 1)" "^t=[0-9]+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$"
'

test_expect_success 'redeliver: the same event id comes again' '
	sid=$(cat all.id) && cid=$(cat o1.cid) &&
	before=$(grep -c "\"id\":\"evt_$cid\"" all.log) &&
	api_expect 202 admin POST "/webhooks/$sid/deliveries/evt_$cid/redeliver" &&
	retry_until 20 eval "test \$(grep -c \"\\\"id\\\":\\\"evt_$cid\\\"\" all.log) -gt $before" &&
	omsctl_run webhook redeliver "$sid" "evt_$cid" | grep -q scheduled &&
	retry_until 20 eval "test \$(grep -c \"\\\"id\\\":\\\"evt_$cid\\\"\" all.log) -gt $((before + 1))"
'

test_expect_success 'without OMS_WEBHOOK_ALLOW_PRIVATE a loopback URL is refused' '
	stack_stop_notify &&
	stack_start_notify OMS_WEBHOOK_ALLOW_HTTP=1 OMS_WEBHOOK_RETRY_FIRST_MS=300 &&
	n=$(wc -l <all.log) &&
	api_expect 202 customer POST /orders "$BODY" &&
	id=$(api_json .id) &&
	retry_until 40 status_is "$id" shipped &&
	sid=$(cat all.id) &&
	retry_until 20 eval "api admin GET /webhooks/$sid/deliveries >/dev/null && api_json \".items[0].error\" | grep -q private" &&
	test_eq "$(api_json ".items[0].state")" retrying &&
	test_eq "$(api_json ".items[0].statusCode")" 0 &&
	test_eq "$(wc -l <all.log)" "$n" &&
	grep -q "refused: the host resolves to a loopback" "$STACK_DIR/oms-notify.log"
'

test_expect_success 'with the switch again, the refused ones arrive' '
	stack_stop_notify &&
	stack_start_notify $NOTIFY_ENV &&
	sid=$(cat all.id) &&
	retry_until 30 eval "test \"\$(stack_redis_cli SCARD oms:webhook:pending:$sid)\" = 0" &&
	test "$(jq -r "select(.attempt > 1) | .id" all.log | wc -l)" -ge 3 &&
	test_eq "$(jq -r "select(.valid == []) | .id" all.log)" ""
'

test_expect_success 'failing for the whole retention: failed, and the subscription disabled' '
	stack_stop_notify &&
	stack_start_notify $NOTIFY_ENV OMS_WEBHOOK_MAX_AGE_S=10 \
	    OMS_WEBHOOK_RETRY_FIRST_MS=2000 OMS_WEBHOOK_RETRY_MAX_MS=3000 &&
	receiver_start broken --status=503 &&
	webhook_add broken "[\"order.created\"]" >broken.id &&
	sid=$(cat broken.id) &&
	api_expect 202 customer POST /orders "$BODY" &&
	retry_until 40 eval "api admin GET /webhooks/$sid >/dev/null && test \"\$(api_json .enabled)\" = false" &&
	test_match "$(api_json .disabledReason)" "oms-notify" &&
	api_expect 200 admin GET "/webhooks/$sid/deliveries" &&
	test_eq "$(api_json ".items[0].state")" failed &&
	test_eq "$(api_json ".items[0].statusCode")" 503 &&
	test "$(api_json ".items | length")" -ge 3 &&
	test "$(jq -r "select(.status == 503) | .id" broken.log | wc -l)" -ge 3 &&
	curl -sS -o m2.txt "$OMS_URL/metrics" &&
	grep -Eq "^oms_webhook_deliveries_total\{outcome=\"failed\"\} [1-9]" m2.txt &&
	grep -Eq "^oms_webhook_deliveries_total\{outcome=\"disabled\"\} [1-9]" m2.txt &&
	grep -q "webhook $sid disabled" "$STACK_DIR/oms-notify.log"
'

test_expect_success 'secrets never reach the logs' '
	while read -r s; do
		! grep -rqF "$s" "$STACK_DIR"/*.log || return 1
	done <all.secrets
'

test_done
