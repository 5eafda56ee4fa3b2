#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2034,SC2317 # bodies are single-quoted strings eval'd by
# test_expect_success, so shellcheck sees neither their uses nor the calls
test_description='redis/oms.lua: orders written in the layout before issue 17 keep working

Writes orders with the Function library as it was before issue 17
(t/data/oms-before-17.lua: a stream <order>:events and a set
<order>:applied per order), loads the current library over it with LOAD
REPLACE, as an upgraded worker does, and checks that the history reads the
same (oms_events), that redeliveries of old commands stay duplicates, that
the next recorded command folds the old events into the order hash
unchanged and deletes the old keys, and that a refusal for an unknown order
(no hash to hold it) is kept in the old form until the order exists.'

: "${OMS_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
# shellcheck source=t/test-lib.sh
. "$OMS_SRCDIR/t/test-lib.sh"
# shellcheck source=t/lib-stack.sh
. "$OMS_SRCDIR/t/lib-stack.sh"

for tool in redis-server redis-cli jq; do
	command -v "$tool" >/dev/null || test_skip_all "$tool is not installed"
done

stack_init "$TRASH_DIRECTORY/stack" || exit 1
test_atexit 'stack_stop_all'

OLD=$OMS_SRCDIR/t/data/oms-before-17.lua
NEW=$OMS_SRCDIR/redis/oms.lua
SYSTEM='{"role":"system"}'
CUSTOMER='{"role":"customer","customerId":"cus_1"}'
ADDR='{"name":"Ada Lovelace","line1":"1 Main St","city":"London","postalCode":"N1 9GU","country":"GB"}'
PRICED="{\"customerId\":\"cus_1\",\"paymentMethodId\":\"pm_1\",\"email\":\"ada@example.org\",\"currency\":\"EUR\",\"items\":[{\"productId\":\"p1\",\"variantId\":\"v1\",\"quantity\":2,\"name\":\"Tea\",\"unitPrice\":1250,\"total\":2500}],\"subtotal\":2500,\"shippingTotal\":499,\"taxTotal\":100,\"discountTotal\":0,\"total\":3099,\"shippingAddress\":$ADDR,\"metadata\":{\"b\":\"2\",\"a\":\"1\"}}"
PAY='{"result":"success","transactionId":"tx_1"}'
SHIP='{"shipCompanyId":"dhl","trackingNumber":"trk_1"}'
tick=0
mkdir -p "$TRASH_DIRECTORY/cmds"

W() {
	stack_redis_cli_as oms-worker "$@" 2>&1 | tr -d '\r'
}

R() {
	stack_redis_cli "$@" 2>&1 | tr -d '\r'
}

# apply TYPE CID OID DATA [ACTOR]: one oms_apply call as the worker makes
# it (the 10 keys of both layouts), saved in cmds/CID; the reply in ./res.
apply() {
	local cust=- ms=0 created='' at
	tick=$((tick + 1))
	at=$(printf '2026-01-02T04:00:%02d.%03dZ' $((tick % 60)) $((tick * 7 % 1000)))
	if [ "$1" = orders.create ]; then
		cust=cus_1 ms=1767323045678 created=2026-01-02T03:04:05.678Z
	fi
	printf '%s\n' "oms:order:$3" "oms:order:$3:events" "oms:order:$3:applied" \
		"oms:pending:$3" oms:orders "oms:customer:$cust:orders" oms:events \
		"oms:reply:$2" oms:seq:order oms:ordernumber "$1" "$2" "$3" "$at" \
		"${5:-$SYSTEM}" "$4" "$ms" "$created" 1000 3600 >"cmds/$2" &&
	reapply "$2"
}

# reapply CID: the very same call again (a redelivery).
reapply() {
	local a
	mapfile -t a <"cmds/$1" &&
	W FCALL oms_apply 10 "${a[@]}" >res &&
	jq -e 'type == "object"' res >/dev/null
}

res() {
	jq -r "$1" res
}

# old_events OID: the old stream as the API showed it (lib/view.c before
# issue 17: actor, detail and followUps parsed, version a number), with
# each entry's number as its id, as oms_events numbers them.
old_events() {
	R -2 --json xrange "oms:order:$1:events" - + |
	jq -c '[to_entries[] | .key as $n | .value[1] as $f |
	    [range(0; $f | length; 2) | {($f[.]): $f[. + 1]}] | add |
	    .actor |= fromjson | .detail |= fromjson | .followUps |= fromjson |
	    .version |= tonumber | {id: ($n + 1 | tostring)} + .]'
}

# events OID: the history as oms_events answers it.
events() {
	R FCALL_RO oms_events 1 "oms:order:$1" | jq -c .
}

test_expect_success 'orders written by the library from before issue 17' '
	stack_start_redis &&
	test_eq "$(W -x FUNCTION LOAD REPLACE <"$OLD")" oms &&
	apply orders.create c1 ol1 "$PRICED" "$CUSTOMER" &&
	apply orders.process.payment c1.pay ol1 "$PAY" &&
	apply orders.create c2 ol2 "$PRICED" "$CUSTOMER" &&
	apply orders.process.payment c2.pay ol2 "$PAY" &&
	apply orders.ship c2.pay.ship ol2 "$SHIP" &&
	apply orders.update u2 ol2 "{\"metadata\":{\"a\":\"9\"}}" &&
	apply orders.process.payment x3.pay oun "$PAY" &&
	test_eq "$(res .detail)" "unknown order" &&
	test_eq "$(R type oms:order:ol1:events)" stream &&
	test_eq "$(R scard oms:order:ol2:applied)" 4 &&
	test_eq "$(R hget oms:order:ol2 carrierTrackingNumber)" trk_1 &&
	old_events ol1 >ol1.old && old_events ol2 >ol2.old &&
	old_events oun >oun.old &&
	test_eq "$(jq length ol2.old)" 4
'

test_expect_success 'the current library reads their history as it was' '
	test_eq "$(W -x FUNCTION LOAD REPLACE <"$NEW")" oms &&
	events ol1 >ol1.new && test_cmp ol1.old ol1.new &&
	events ol2 >ol2.new && test_cmp ol2.old ol2.new &&
	events oun >oun.new && test_cmp oun.old oun.new &&
	test_eq "$(jq -r ".[0].detail.changes.metadata.a" ol1.new)" 1 &&
	test_eq "$(jq -c ".[0].detail.changes.shippingAddress" ol1.new)" "$ADDR"
'

test_expect_success 'redeliveries of old commands stay duplicates and change nothing' '
	before=$(R hgetall oms:order:ol1 | md5sum) &&
	reapply c1 &&
	test_eq "$(res .outcome)" duplicate &&
	test_eq "$(res .firstOutcome)" applied &&
	test_eq "$(jq -c .followUps res)" "[{\"type\":\"orders.process.payment\",\"commandId\":\"c1.pay\"}]" &&
	reapply c1.pay &&
	test_eq "$(res .outcome)" duplicate &&
	test_eq "$(jq -c .followUps res)" "[{\"type\":\"orders.ship\",\"commandId\":\"c1.pay.ship\"}]" &&
	test_eq "$(R hgetall oms:order:ol1 | md5sum)" "$before" &&
	test_eq "$(R type oms:order:ol1:events)" stream
'

test_expect_success 'the next recorded command folds the old events into the hash' '
	apply orders.ship c1.pay.ship ol1 "$SHIP" &&
	test_eq "$(res .outcome)" applied &&
	test_eq "$(R exists oms:order:ol1:events oms:order:ol1:applied)" 0 &&
	test_eq "$(R hexists oms:order:ol1 "~3")" 1 &&
	events ol1 >ol1.fold &&
	test_eq "$(jq -c ".[0:2]" ol1.fold)" "$(cat ol1.old)" &&
	test_eq "$(jq -r ".[2] | .type, .from, .to, .version" ol1.fold | tr "\n" " ")" \
		"orders.ship paymentSuccess shipped 3 " &&
	reapply c1 &&
	test_eq "$(res .outcome)" duplicate &&
	test_eq "$(jq -c .followUps res)" "[{\"type\":\"orders.process.payment\",\"commandId\":\"c1.pay\"}]"
'

test_expect_success 'an old shipped order is delivered against its carrierTrackingNumber; its update keeps its values' '
	apply orders.delivered d2 ol2 "{\"trackingId\":\"trk_1\",\"confirmationId\":\"cf\"}" "{\"role\":\"shipper\"}" &&
	test_eq "$(res .outcome)" applied &&
	test_eq "$(R exists oms:order:ol2:events)" 0 &&
	events ol2 >ol2.fold &&
	test_eq "$(jq -c ".[0:4]" ol2.fold)" "$(cat ol2.old)" &&
	test_eq "$(jq -c ".[3].detail.changes" ol2.fold)" "{\"metadata\":{\"a\":\"9\",\"b\":\"2\"}}" &&
	test_eq "$(jq -c ".[0].detail.changes.metadata" ol2.fold)" "{\"a\":\"1\",\"b\":\"2\"}"
'

test_expect_success 'a refusal for an unknown order stays in the old form until the order exists' '
	apply orders.ship x3.pay.ship oun "$SHIP" &&
	test_eq "$(res .detail)" "unknown order" &&
	test_eq "$(R exists oms:order:oun)" 0 &&
	test_eq "$(R xlen oms:order:oun:events)" 2 &&
	test_eq "$(R scard oms:order:oun:applied)" 2 &&
	apply orders.create x3 oun "$PRICED" "$CUSTOMER" &&
	test_eq "$(res .outcome)" applied &&
	test_eq "$(R exists oms:order:oun:events oms:order:oun:applied)" 0 &&
	events oun >oun.fold &&
	test_eq "$(jq -c ".[0]" oun.fold)" "$(jq -c ".[0]" oun.old)" &&
	test_eq "$(jq -r "[.[].commandId] | join(\" \")" oun.fold)" "x3.pay x3.pay.ship x3" &&
	reapply x3.pay &&
	test_eq "$(res .outcome)" duplicate &&
	test_eq "$(res .firstOutcome)" refused
'

test_done
