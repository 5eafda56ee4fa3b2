#!/usr/bin/env bash
test_description='oms-provider-sim: the provider contract, idempotency, records, tokens, faults, 1,000 held requests'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"

for tool in curl jq; do
	command -v "$tool" >/dev/null || test_skip_all "$tool is not installed"
done

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

# sim_post PATH KEY BODY [CURL-ARGS...]: POST BODY to the simulator with
# Idempotency-Key KEY (none when KEY is ""); prints the status, leaves the
# headers in h.out and the body in body.out.
sim_post() {
	local path=$1 key=$2 body=$3
	local -a hdr=()
	shift 3
	[ -n "$key" ] && hdr=(-H "Idempotency-Key: $key")
	curl -sS -o body.out -D h.out -w "%{http_code}" -X POST \
	    -H "Content-Type: application/json" "${hdr[@]}" \
	    --data-binary "$body" "$@" "$STACK_PROVIDER_URL$path"
}

# sim_answers CODE PATH KEY BODY: the POST is answered CODE (for stack_retry).
sim_answers() {
	test "$(sim_post "$2" "$3" "$4")" = "$1"
}

# sim_waiting CMP N: /_sim/stats counts requests waiting -CMP N (-ge, -eq).
sim_waiting() {
	test "$(stack_provider_sim_get /_sim/stats | jq .waiting)" "$1" "$2"
}

# count KIND ORDER: the number of KIND records (charges, refunds, ...) of ORDER.
count() {
	stack_provider_sim_get "/$1?orderId=$2" | jq length
}

charge_body() {
	printf '{"orderId":"%s","amount":%s,"currency":"EUR","paymentMethodId":"%s","customerId":"cus_1"}' \
	    "$1" "${3:-1250}" "${2:-pm_card}"
}

test_expect_success '--help, --version; a bad flag or value is exit 2' '
	"$OMS_BUILDDIR/oms-provider-sim" --help >help.out &&
	grep -q "^Usage: oms-provider-sim" help.out &&
	grep -q OMS_PROVIDER_SIM_LISTEN help.out &&
	grep -q OMS_PAYMENT_TOKEN_FILE help.out &&
	"$OMS_BUILDDIR/oms-provider-sim" --version >version.out &&
	grep -Eq "^oms-provider-sim \(oms\) [0-9]+\.[0-9]+\.[0-9]+" version.out &&
	test_expect_code 2 "$OMS_BUILDDIR/oms-provider-sim" --no-such-flag &&
	! OMS_PROVIDER_SIM_JITTER_PCT=101 "$OMS_BUILDDIR/oms-provider-sim" 2>err.out &&
	grep -q OMS_PROVIDER_SIM_JITTER_PCT err.out
'

test_expect_success 'start: /healthz answers 200' '
	stack_start_provider_sim OMS_PROVIDER_SIM_JITTER_PCT=0 &&
	test_match "$STACK_PROVIDER_URL" "^http://127\.0\.0\.1:[0-9]+$" &&
	test_eq "$(stack_provider_sim_get /healthz)" "{\"status\":\"ok\"}"
'

test_expect_success 'a charge succeeds and is recorded' '
	test_eq "$(sim_post /charges cmd-c1 "$(charge_body ord-1)")" 201 &&
	grep -qi "^Content-Type: application/json" h.out &&
	test_eq "$(jq -r .status body.out)" succeeded &&
	test_match "$(jq -r .id body.out)" "^ch_[0-9a-f]{24}$" &&
	ch1=$(jq -r .id body.out) &&
	stack_provider_sim_get "/charges?orderId=ord-1" >rec.out &&
	test_eq "$(jq length rec.out)" 1 &&
	test_eq "$(jq -r ".[0].id" rec.out)" "$ch1" &&
	test_eq "$(jq -r ".[0].idempotencyKey" rec.out)" cmd-c1 &&
	test_eq "$(jq -r ".[0].amount" rec.out)" 1250 &&
	test_eq "$(jq -r ".[0].currency" rec.out)" EUR &&
	test_match "$(jq -r ".[0].createdAt" rec.out)" "^20[0-9-]{8}T[0-9:]{8}\.[0-9]{3}Z$"
'

test_expect_success 'an unpriced order is charged without amount and currency' '
	test_eq "$(sim_post /charges cmd-c0 "{\"orderId\":\"ord-0\",\"paymentMethodId\":\"pm_card\"}")" 201 &&
	test_eq "$(jq -r .status body.out)" succeeded &&
	test_eq "$(stack_provider_sim_get "/charges?orderId=ord-0" | jq -r ".[0].amount")" null
'

test_expect_success 'pm_decline... is declined (a 2xx, recorded)' '
	test_eq "$(sim_post /charges cmd-d1 "$(charge_body ord-2 pm_decline_insufficient)")" 201 &&
	test_eq "$(jq -r .status body.out)" declined &&
	test_eq "$(jq -r .declineCode body.out)" card_declined &&
	chd=$(jq -r .id body.out) &&
	test_eq "$(stack_provider_sim_get "/charges?orderId=ord-2" | jq -r ".[0].status")" declined
'

test_expect_success 'a refund of the charge succeeds; unknown or declined charges are refused' '
	test_eq "$(sim_post /refunds cmd-r1 "{\"chargeId\":\"$ch1\",\"orderId\":\"ord-1\"}")" 201 &&
	test_eq "$(jq -r .status body.out)" succeeded &&
	test_match "$(jq -r .id body.out)" "^re_[0-9a-f]{24}$" &&
	stack_provider_sim_get "/refunds?orderId=ord-1" >rec.out &&
	test_eq "$(jq length rec.out)" 1 &&
	test_eq "$(jq -r ".[0].chargeId" rec.out)" "$ch1" &&
	test_eq "$(jq -r ".[0].amount" rec.out)" 1250 &&
	test_eq "$(sim_post /refunds cmd-r2 "{\"chargeId\":\"ch_nope\",\"orderId\":\"ord-1\"}")" 404 &&
	grep -qi "^Content-Type: application/problem+json" h.out &&
	test_eq "$(jq -r .type body.out)" /problems/charge-not-found &&
	test_eq "$(sim_post /refunds cmd-r3 "{\"chargeId\":\"$chd\",\"orderId\":\"ord-2\"}")" 422 &&
	test_eq "$(sim_post /refunds cmd-r4 "{\"chargeId\":\"$ch1\",\"orderId\":\"ord-1\",\"amount\":99999}")" 422 &&
	test_eq "$(count refunds ord-1)" 1
'

test_expect_success 'a shipment is booked, voided once, and recorded' '
	test_eq "$(sim_post /shipments cmd-s1 "{\"orderId\":\"ord-1\",\"address\":{\"city\":\"Lyon\"},\"items\":[{\"sku\":\"A\",\"quantity\":1}]}")" 201 &&
	sh1=$(jq -r .id body.out) &&
	test_match "$sh1" "^sh_[0-9a-f]{24}$" &&
	test_eq "$(jq -r .carrier body.out)" sim-post &&
	test_match "$(jq -r .trackingNumber body.out)" "^SIM[0-9a-f]{24}$" &&
	test_eq "$(count shipments ord-1)" 1 &&
	test_eq "$(sim_post "/shipments/$sh1/void" cmd-v1 "{}")" 200 &&
	test_eq "$(jq -r .id body.out)" "$sh1" &&
	test_eq "$(jq -r .status body.out)" voided &&
	stack_provider_sim_get "/voids?orderId=ord-1" >rec.out &&
	test_eq "$(jq length rec.out)" 1 &&
	test_eq "$(jq -r ".[0].shipmentId" rec.out)" "$sh1" &&
	test_eq "$(jq -r ".[0].idempotencyKey" rec.out)" cmd-v1 &&
	test_eq "$(stack_provider_sim_get "/shipments?orderId=ord-1" | jq -r ".[0].status")" voided &&
	test_eq "$(sim_post "/shipments/$sh1/void" cmd-v2 "{}")" 200 &&
	test_eq "$(jq -r .status body.out)" voided &&
	test_eq "$(count voids ord-1)" 1 &&
	test_eq "$(sim_post /shipments/sh_unknown/void cmd-v3 "{}")" 404 &&
	test_eq "$(jq -r .type body.out)" /problems/shipment-not-found
'

test_expect_success 'the same key and body answer the same, with no second record' '
	sim_post /charges cmd-c1 "$(charge_body ord-1)" >/dev/null &&
	test_eq "$(jq -r .id body.out)" "$ch1" &&
	# the same members in another order are the same request
	test_eq "$(sim_post /charges cmd-c1 "{\"customerId\":\"cus_1\",\"paymentMethodId\":\"pm_card\",\"currency\":\"EUR\",\"amount\":1250,\"orderId\":\"ord-1\"}")" 201 &&
	test_eq "$(jq -r .id body.out)" "$ch1" &&
	test_eq "$(count charges ord-1)" 1 &&
	stack_provider_sim_get /_sim/stats >stats.out &&
	test_eq "$(jq .requests.charges.replayed stats.out)" 2
'

test_expect_success 'the same key with another body is 409, with no record' '
	test_eq "$(sim_post /charges cmd-c1 "$(charge_body ord-1 pm_card 999)")" 409 &&
	grep -qi "^Content-Type: application/problem+json" h.out &&
	test_eq "$(jq -r .type body.out)" /problems/idempotency-key-reused &&
	test_eq "$(jq -r .status body.out)" 409 &&
	test_eq "$(count charges ord-1)" 1 &&
	# keys are per endpoint: the charge key may name a shipment
	test_eq "$(sim_post /shipments cmd-c1 "{\"orderId\":\"ord-9\",\"items\":[]}")" 201
'

test_expect_success 'no Idempotency-Key, or a bad body, is 400 and records nothing' '
	test_eq "$(sim_post /charges "" "$(charge_body ord-3)")" 400 &&
	test_eq "$(jq -r .type body.out)" /problems/idempotency-key-missing &&
	test_eq "$(sim_post /charges cmd-b1 "{not json")" 400 &&
	test_eq "$(jq -r .type body.out)" /problems/invalid-body &&
	test_eq "$(sim_post /charges cmd-b2 "{\"orderId\":\"ord-3\",\"paymentMethodId\":\"pm\",\"amount\":5}")" 400 &&
	jq -r .detail body.out | grep -q currency &&
	test_eq "$(sim_post /charges cmd-b3 "{\"paymentMethodId\":\"pm\"}")" 400 &&
	jq -r .detail body.out | grep -q orderId &&
	test_eq "$(sim_post /shipments cmd-b4 "{\"orderId\":\"ord-3\"}")" 400 &&
	jq -r .detail body.out | grep -q items &&
	test_eq "$(count charges ord-3)" 0 &&
	test_eq "$(count shipments ord-3)" 0 &&
	# nothing was stored under a refused key: a good body may use it
	test_eq "$(sim_post /charges cmd-b2 "$(charge_body ord-3)")" 201
'

test_expect_success 'unknown paths are 404, wrong methods 405 with Allow' '
	test_eq "$(curl -sS -o body.out -w "%{http_code}" "$STACK_PROVIDER_URL/nothing")" 404 &&
	test_eq "$(jq -r .status body.out)" 404 &&
	test_eq "$(curl -sS -o body.out -D h.out -w "%{http_code}" -X DELETE "$STACK_PROVIDER_URL/charges")" 405 &&
	grep -qi "^Allow: GET, POST" h.out &&
	test_eq "$(curl -sS -o /dev/null -w "%{http_code}" -X POST "$STACK_PROVIDER_URL/voids")" 405
'

test_expect_success 'GET /_sim/config shows the start-up values; a bad PUT changes nothing' '
	stack_provider_sim_get /_sim/config >cfg.out &&
	test_eq "$(jq -c . cfg.out)" "{\"paymentDelayMs\":0,\"shippingDelayMs\":0,\"jitterPct\":0,\"errorRate\":0,\"errorAfterRate\":0,\"unavailableMs\":0,\"stallMs\":0}" &&
	test_eq "$(curl -sS -o body.out -w "%{http_code}" -X PUT --data "{\"errorRate\":2}" "$STACK_PROVIDER_URL/_sim/config")" 400 &&
	jq -r .detail body.out | grep -q errorRate &&
	test_eq "$(curl -sS -o body.out -w "%{http_code}" -X PUT --data "{\"stallMs\":5,\"bogus\":1}" "$STACK_PROVIDER_URL/_sim/config")" 400 &&
	jq -r .detail body.out | grep -q bogus &&
	test_eq "$(stack_provider_sim_get /_sim/config | jq .stallMs)" 0
'

test_expect_success 'errorRate 1: every call is 500 and does nothing; 0 again: 201' '
	test_eq "$(stack_provider_sim_set "{\"errorRate\":1}" | jq .errorRate)" 1 &&
	test_eq "$(sim_post /charges cmd-e1 "$(charge_body ord-4)")" 500 &&
	test_eq "$(jq -r .type body.out)" /problems/provider-error &&
	test_eq "$(sim_post /shipments cmd-e2 "{\"orderId\":\"ord-4\",\"items\":[]}")" 500 &&
	test_eq "$(count charges ord-4)" 0 &&
	stack_provider_sim_set "{\"errorRate\":0}" >/dev/null &&
	test_eq "$(sim_post /charges cmd-e1 "$(charge_body ord-4)")" 201 &&
	test_eq "$(count charges ord-4)" 1
'

test_expect_success 'errorAfterRate 1: the call is done, its answer lost; the retry gets it' '
	stack_provider_sim_set "{\"errorAfterRate\":1}" >/dev/null &&
	test_eq "$(sim_post /charges cmd-a1 "$(charge_body ord-5)")" 500 &&
	test_eq "$(count charges ord-5)" 1 &&
	stack_provider_sim_set "{\"errorAfterRate\":0}" >/dev/null &&
	test_eq "$(sim_post /charges cmd-a1 "$(charge_body ord-5)")" 201 &&
	test_eq "$(jq -r .id body.out)" "$(stack_provider_sim_get "/charges?orderId=ord-5" | jq -r ".[0].id")" &&
	test_eq "$(count charges ord-5)" 1
'

test_expect_success 'unavailableMs: 503 with Retry-After: 1, then it recovers' '
	stack_provider_sim_set "{\"unavailableMs\":1500}" >cfg.out &&
	test "$(jq .unavailableMs cfg.out)" -gt 0 &&
	test_eq "$(sim_post /charges cmd-u1 "$(charge_body ord-6)")" 503 &&
	grep -qi "^Retry-After: 1" h.out &&
	test_eq "$(jq -r .type body.out)" /problems/provider-unavailable &&
	test_eq "$(sim_post /shipments cmd-u2 "{\"orderId\":\"ord-6\",\"items\":[]}")" 503 &&
	test_eq "$(count charges ord-6)" 0 &&
	stack_retry 20 sim_answers 201 /charges cmd-u1 "$(charge_body ord-6)" &&
	test_eq "$(count charges ord-6)" 1 &&
	test_eq "$(stack_provider_sim_get /_sim/config | jq .unavailableMs)" 0
'

test_expect_success 'stallMs: the answer is held; a client that gives up finds it under its key' '
	stack_provider_sim_set "{\"stallMs\":1500}" >/dev/null &&
	t0=$(stack__now_ms) &&
	test_expect_code 28 curl -s -o /dev/null --max-time 0.5 -X POST \
	    -H "Idempotency-Key: cmd-t1" --data-binary "$(charge_body ord-7)" \
	    "$STACK_PROVIDER_URL/charges" &&
	# done at once, answered late: the retry while it is held is 409
	test_eq "$(count charges ord-7)" 1 &&
	test_eq "$(sim_post /charges cmd-t1 "$(charge_body ord-7)" --max-time 5)" 409 &&
	test_eq "$(jq -r .type body.out)" /problems/idempotency-key-in-progress &&
	test "$(($(stack__now_ms) - t0))" -ge 1500 &&
	stack_provider_sim_set "{\"stallMs\":0}" >/dev/null &&
	test_eq "$(sim_post /charges cmd-t1 "$(charge_body ord-7)")" 201 &&
	test_eq "$(count charges ord-7)" 1
'

test_expect_success 'paymentDelayMs holds a charge; shipping is not delayed' '
	stack_provider_sim_set "{\"paymentDelayMs\":700}" >/dev/null &&
	t0=$(stack__now_ms) &&
	test_eq "$(sim_post /charges cmd-l1 "$(charge_body ord-8)")" 201 &&
	test "$(($(stack__now_ms) - t0))" -ge 700 &&
	t0=$(stack__now_ms) &&
	test_eq "$(sim_post /shipments cmd-l2 "{\"orderId\":\"ord-8\",\"items\":[]}")" 201 &&
	test "$(($(stack__now_ms) - t0))" -lt 700 &&
	stack_provider_sim_set "{\"paymentDelayMs\":0}" >/dev/null
'

# Four curl processes with 250 transfers in parallel each: 1,000 requests
# held at once by one simulator (curl's --parallel-max stops at 300).
test_expect_success '1,000 requests wait at once and are all answered' '
	stack_provider_sim_set "{\"paymentDelayMs\":3000}" >/dev/null &&
	for j in 1 2 3 4; do
		for i in $(seq 250); do
			[ "$i" = 1 ] || echo next
			printf "url = \"%s/charges\"\nrequest = \"POST\"\nheader = \"Idempotency-Key: many-%s-%s\"\ndata = \"{\\\\\"orderId\\\\\":\\\\\"many-%s\\\\\",\\\\\"paymentMethodId\\\\\":\\\\\"pm_card\\\\\"}\"\noutput = \"/dev/null\"\nwrite-out = \"%%{http_code}\\\\n\"\n" \
			    "$STACK_PROVIDER_URL" "$j" "$i" "$j"
		done >many-$j.cfg || return 1
	done &&
	t0=$(stack__now_ms) &&
	for j in 1 2 3 4; do
		curl -sS -Z --parallel-max 250 --parallel-immediate -K many-$j.cfg \
		    >many-$j.out 2>many-$j.err &
		echo $! >many-$j.pid
	done &&
	stack_retry 60 sim_waiting -ge 1000 &&
	for j in 1 2 3 4; do wait "$(cat many-$j.pid)" || return 1; done &&
	elapsed=$(($(stack__now_ms) - t0)) &&
	say "1,000 charges held 3 s each: all answered in $elapsed ms" &&
	test "$elapsed" -lt 60000 &&
	cat many-?.out >codes.out &&
	test_eq "$(grep -c "^201$" codes.out)" 1000 &&
	stack_provider_sim_get /_sim/stats >stats.out &&
	test "$(jq .peakWaiting stats.out)" -ge 1000 &&
	test_eq "$(jq .waiting stats.out)" 0 &&
	test_eq "$(stack_provider_sim_get /charges | jq "[.[] | select(.orderId | startswith(\"many-\"))] | length")" 1000 &&
	stack_provider_sim_set "{\"paymentDelayMs\":0}" >/dev/null
'

test_expect_success 'SIGTERM answers what is held, then the simulator exits' '
	stack_provider_sim_set "{\"shippingDelayMs\":8000}" >/dev/null &&
	(sim_post /shipments cmd-h1 "{\"orderId\":\"ord-h\",\"items\":[]}" >held.code) &
	stack_retry 10 sim_waiting -eq 1 &&
	t0=$(stack__now_ms) &&
	stack_stop_provider_sim &&
	stack_retry 10 test -s held.code &&
	test_eq "$(cat held.code)" 201 &&
	test "$(($(stack__now_ms) - t0))" -lt 8000
'

test_expect_success 'with tokens: a missing or wrong Bearer is 401; records and /_sim need none' '
	(umask 077 && printf "pay-secret\n" >pay.token) &&
	stack_start_provider_sim OMS_PAYMENT_TOKEN_FILE="$PWD/pay.token" \
	    OMS_SHIPPING_TOKEN=ship-secret &&
	test_eq "$(sim_post /charges cmd-k1 "$(charge_body ord-k)")" 401 &&
	grep -qi "^WWW-Authenticate: Bearer" h.out &&
	test_eq "$(jq -r .type body.out)" /problems/unauthorized &&
	test_eq "$(sim_post /charges cmd-k1 "$(charge_body ord-k)" -H "Authorization: Bearer nope")" 401 &&
	test_eq "$(sim_post /charges cmd-k1 "$(charge_body ord-k)" -H "Authorization: Bearer ship-secret")" 401 &&
	test_eq "$(sim_post /charges cmd-k1 "$(charge_body ord-k)" -H "Authorization: Bearer pay-secret")" 201 &&
	test_eq "$(sim_post /shipments cmd-k2 "{\"orderId\":\"ord-k\",\"items\":[]}" -H "Authorization: Bearer pay-secret")" 401 &&
	test_eq "$(sim_post /shipments cmd-k2 "{\"orderId\":\"ord-k\",\"items\":[]}" -H "Authorization: bearer ship-secret")" 201 &&
	test_eq "$(count charges ord-k)" 1 &&
	stack_provider_sim_get /_sim/stats >/dev/null &&
	! grep -q "pay-secret\|ship-secret" "$STACK_DIR/oms-provider-sim.log"
'

# Under STACK_PROVIDER_SIM_WRAPPER="valgrind --error-exitcode=3 ..." both
# runs of the simulator must have ended with no error.
test_expect_success 'no sanitizer (or valgrind) report in the logs' '
	stack_stop_provider_sim &&
	stack_sanitizer_reports &&
	case ${STACK_PROVIDER_SIM_WRAPPER:-} in
	valgrind*)
		test_eq "$(grep -c "ERROR SUMMARY: 0 errors" "$STACK_DIR/oms-provider-sim.log")" 2 ;;
	esac
'

test_done
