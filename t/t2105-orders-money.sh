#!/usr/bin/env bash
# shellcheck disable=SC2016 # bodies are single-quoted strings eval'd by test_expect_success
test_description='orders with money, addresses, metadata and an order number, through nginx and the worker

A priced order of several items with addresses goes to shipped and shows the
same totals in the API, its events and redis-cli HGETALL; the study body
(one product, no price) still ships; every bad input is a 422 with the
exact pointer; OMS_REQUIRE_PRICES and OMS_REQUIRE_ADDRESS; metadata is an
admin PATCH with null removing a key, money and addresses cannot change;
GET /orders?orderNumber=N; omsctl order show; and 1,000 concurrent creates
get 1,000 distinct order numbers.'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

for tool in jq curl; do
	command -v "$tool" >/dev/null || test_skip_all "$tool is not installed"
done

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

ADDR='{"name":"Ada Lovelace","line1":"12 Rue de la Paix","line2":"3e étage","city":"Paris","postalCode":"75002","country":"FR","phone":"+33 1 23 45 67 89"}'
BILL='{"name":"Ada Lovelace","line1":"1 Main St","city":"London","postalCode":"N1 9GU","country":"GB"}'
ITEMS='[{"productId":"p1","variantId":"v1","quantity":2,"unitPrice":1250,"name":"Thé vert / 100 g"},{"productId":"p2","variantId":"v2","quantity":3,"unitPrice":999},{"productId":"p3","variantId":"v3","quantity":1,"unitPrice":0,"name":"Sample"}]'
PRICED="{\"customerId\":\"cus_demo\",\"paymentMethodId\":\"pm_1\",\"email\":\"ada@example.org\",\"currency\":\"EUR\",\"items\":$ITEMS,\"shippingTotal\":499,\"taxTotal\":1071,\"discountTotal\":500,\"shippingAddress\":$ADDR,\"billingAddress\":$BILL,\"metadata\":{\"erpId\":\"SO-1\",\"channel\":\"web\"}}"
STUDY='{"customerId":"cus_demo","paymentMethodId":"pm_1","productId":"p1","variantId":"v1","quantity":1}'
# 2 x 1250 + 3 x 999 + 0 = 5497; + 499 + 1071 - 500 = 6567
SUBTOTAL=5497
TOTAL=6567

R() {
	stack_redis_cli "$@" | tr -d '\r'
}

# api_jc FILTER: the last body through jq -c.
api_jc() {
	jq -c "$1" <"$TRASH_DIRECTORY/api.b"
}

# many_cfg N: a curl config (-K) of N creates by the customer, each a
# priced JPY order of its own product, printing each status on a line.
many_cfg() {
	local i
	for i in $(seq 1 "$1"); do
		[ "$i" = 1 ] || printf 'next\n'
		printf 'silent\nurl = "%s/orders"\n' "$OMS_URL"
		printf 'header = "Authorization: Bearer %s"\n' "$OMS_CUSTOMER_KEY"
		printf 'header = "Content-Type: application/json"\n'
		printf 'data = "{\\"customerId\\":\\"cus_demo\\",\\"paymentMethodId\\":\\"pm_1\\",\\"currency\\":\\"JPY\\",\\"items\\":[{\\"productId\\":\\"c%d\\",\\"variantId\\":\\"v\\",\\"quantity\\":1,\\"unitPrice\\":%d}]}"\n' "$i" "$i"
		printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
	done
}

# numbers: the order-number index, "number id" one a line (its buckets
# oms:ordernumber:<n div 100>, docs/redis.md).
numbers() {
	local b last
	last=$(R GET oms:seq:order) &&
	for b in $(seq 0 $((${last:-0} / 100))); do
		R HGETALL "oms:ordernumber:$b" | paste -d " " - - || return 1
	done
}

# number_id N: the id the index gives order number N.
number_id() {
	R HGET "oms:ordernumber:$(($1 / 100))" "$1"
}

# numbered_at_least N: the order-number index has N entries or more.
numbered_at_least() {
	test "$(numbers | wc -l)" -ge "$1"
}

# no_pending: no accepted create is waiting for the worker.
no_pending() {
	test "$(R --scan --pattern "oms:pending:*" | wc -l)" = 0
}

# quiet: what a refused request would have left had it been published: the
# pending records and the global feed.
quiet() {
	echo "$(R --scan --pattern "oms:pending:*" | wc -l) $(R XLEN oms:events)"
}

status_is() { # ID STATUS
	test "$(api admin GET "/orders/$1")" = 200 &&
	test "$(api_json .status)" = "$2"
}

# pointer_is STATUS ROLE METHOD PATH BODY POINTER: a problem document with
# its first error at POINTER.
pointer_is() {
	local want=$6
	api_expect "$1" "$2" "$3" "$4" "$5" || return 1
	if [ "$(api_json '.errors[0].pointer')" != "$want" ]; then
		echo "$5: first error at $(api_json '.errors[0].pointer'), want $want: $(cat "$TRASH_DIRECTORY/api.b")" >&2
		return 1
	fi
}

test_expect_success 'start the whole stack with oms-worker' '
	stack_start_redis &&
	stack_start_rabbitmq &&
	stack_start_worker &&
	stack_start_fcgi &&
	stack_start_nginx &&
	stack_wait_ready 30 &&
	stack_demo_keys &&
	OMS_OTHER_KEY=$(omsctl_run apikey create --role=customer \
	    --customer-id=cus_other --name=other | head -n 1) &&
	export OMS_OTHER_KEY
'

test_expect_success 'a priced create: 202 with the computed totals while pending' '
	api_expect 202 customer POST /orders "$PRICED" &&
	id=$(api_json .id) &&
	echo "$id" >priced.id &&
	test_eq "$(api_json .currency)" EUR &&
	test_eq "$(api_json .subtotal)" $SUBTOTAL &&
	test_eq "$(api_json .total)" $TOTAL &&
	test_eq "$(api_jc "[.items[].total]")" "[2500,2997,0]" &&
	test_eq "$(api_json .orderNumber)" null &&
	test_eq "$(api_jc .shippingAddress)" "$(jq -c . <<<"$ADDR")"
'

test_expect_success 'it is paid and shipped, and the API shows the same totals' '
	id=$(cat priced.id) &&
	retry_until 20 status_is "$id" shipped &&
	test_eq "$(api_json .subtotal)" $SUBTOTAL &&
	test_eq "$(api_json .shippingTotal)" 499 &&
	test_eq "$(api_json .taxTotal)" 1071 &&
	test_eq "$(api_json .discountTotal)" 500 &&
	test_eq "$(api_json .total)" $TOTAL &&
	test_eq "$(api_jc "[.items[] | [.unitPrice, .total]]")" "[[1250,2500],[999,2997],[0,0]]" &&
	test_eq "$(api_json ".items[0].name")" "Thé vert / 100 g" &&
	test_eq "$(api_jc .billingAddress)" "$(jq -c . <<<"$BILL")" &&
	test_eq "$(api_json .email)" ada@example.org &&
	test_eq "$(api_jc .metadata)" "{\"channel\":\"web\",\"erpId\":\"SO-1\"}" &&
	test_match "$(api_json .orderNumber)" "^[1-9][0-9]*$" &&
	test_eq "$(api_jc "[.orderNumber, .subtotal, .total, .items[0].unitPrice] | map(type)")" \
	    "[\"number\",\"number\",\"number\",\"number\"]" &&
	api_json .orderNumber >priced.num &&
	api_jc "{currency, subtotal, shippingTotal, taxTotal, discountTotal, total, items, shippingAddress, billingAddress, email, metadata, orderNumber}" >api.money
'

test_expect_success 'the orders.create event carries the same data' '
	id=$(cat priced.id) &&
	api_expect 200 admin GET "/orders/$id/events" &&
	test_eq "$(api_json ".items[0].type")" orders.create &&
	api_jc ".items[0].detail.changes | {currency, subtotal, shippingTotal, taxTotal, discountTotal, total, items, shippingAddress, billingAddress, email, metadata, orderNumber}" >ev.money &&
	test_cmp api.money ev.money
'

test_expect_success 'redis-cli HGETALL shows the same fields' '
	id=$(cat priced.id) &&
	R HGETALL "oms:order:$id" >hash.txt &&
	jq -Rn "[inputs] as \$l | [range(0; \$l | length; 2) | {(\$l[.]): \$l[. + 1]}] | add" <hash.txt >hash.json &&
	test_eq "$(jq -r .currency hash.json)" EUR &&
	test_eq "$(jq -r .subtotal hash.json)" $SUBTOTAL &&
	test_eq "$(jq -r .shippingTotal hash.json)" 499 &&
	test_eq "$(jq -r .taxTotal hash.json)" 1071 &&
	test_eq "$(jq -r .discountTotal hash.json)" 500 &&
	test_eq "$(jq -r .total hash.json)" $TOTAL &&
	test_eq "$(jq -r .orderNumber hash.json)" "$(cat priced.num)" &&
	test_eq "$(jq -r .email hash.json)" ada@example.org &&
	test_eq "$(jq -r .items hash.json | jq -c .)" "$(jq -c .items api.money)" &&
	test_eq "$(jq -r .shippingAddress hash.json | jq -c .)" "$(jq -c . <<<"$ADDR")" &&
	test_eq "$(jq -r .metadata hash.json | jq -c .)" "$(jq -c .metadata api.money)" &&
	test_eq "$(number_id "$(cat priced.num)")" "$id"
'

test_expect_success 'omsctl order show prints the totals in major units' '
	omsctl_run order show "$(cat priced.id)" >show.txt &&
	grep -E "^  total +$TOTAL \(65\.67 EUR\)$" show.txt &&
	grep -E "^  orderNumber +$(cat priced.num)$" show.txt &&
	omsctl_run order show --json "$(cat priced.id)" >show.json &&
	test_eq "$(jq .order.total show.json)" $TOTAL
'

test_expect_success 'GET /orders?orderNumber=N: that order, for its owner and admin only' '
	num=$(cat priced.num) &&
	api_expect 200 customer GET "/orders?orderNumber=$num" &&
	test_eq "$(api_json ".items | length")" 1 &&
	test_eq "$(api_json ".items[0].id")" "$(cat priced.id)" &&
	test_eq "$(api_json .nextCursor)" null &&
	api_expect 200 admin GET "/orders?orderNumber=$num&status=shipped" &&
	test_eq "$(api_json ".items[0].id")" "$(cat priced.id)" &&
	api_expect 200 admin GET "/orders?orderNumber=$num&status=created" &&
	test_eq "$(api_json ".items | length")" 0 &&
	api_expect 200 other GET "/orders?orderNumber=$num" &&
	test_eq "$(api_json ".items | length")" 0 &&
	api_expect 200 admin GET "/orders?orderNumber=999999999" &&
	test_eq "$(api_json ".items | length")" 0 &&
	pointer_is 422 admin GET "/orders?orderNumber=0" "" "?orderNumber" &&
	pointer_is 422 admin GET "/orders?orderNumber=1x" "" "?orderNumber"
'

test_expect_success 'a number drawn before issue 17 is found in the one hash oms:ordernumber' '
	R HSET oms:ordernumber 999999998 "$(cat priced.id)" >/dev/null &&
	api_expect 200 admin GET "/orders?orderNumber=999999998" &&
	test_eq "$(api_json ".items[0].id")" "$(cat priced.id)" &&
	R DEL oms:ordernumber >/dev/null
'

test_expect_success 'the study body (one product, no price) still gives 202 and ships' '
	api_expect 202 customer POST /orders "$STUDY" &&
	id=$(api_json .id) &&
	test_eq "$(api_json .currency)" null &&
	test_eq "$(api_json .total)" null &&
	retry_until 20 status_is "$id" shipped &&
	test_eq "$(api_json .currency)" null &&
	test_eq "$(api_json .total)" null &&
	test_eq "$(api_jc .metadata)" "{}" &&
	test_eq "$(api_json .shippingAddress)" null &&
	test_eq "$(api_jc .items)" "[{\"productId\":\"p1\",\"variantId\":\"v1\",\"quantity\":1}]" &&
	test_match "$(api_json .orderNumber)" "^[1-9][0-9]*$" &&
	test_eq "$(R HEXISTS "oms:order:$id" currency)" 0
'

B='"customerId":"cus_demo","paymentMethodId":"pm_1"'
P='"productId":"p","variantId":"v","quantity":2'
A='"name":"A","line1":"1","city":"C","postalCode":"1"'
test_expect_success 'each bad input: 422 with the exact pointer, nothing published' '
	retry_until 20 no_pending &&
	before=$(quiet) &&
	pointer_is 422 customer POST /orders "{$B,\"items\":[{$P,\"unitPrice\":5}]}" /currency &&
	pointer_is 422 customer POST /orders "{$B,\"currency\":\"EUR\",\"items\":[{$P,\"unitPrice\":5},{$P}]}" /items/1/unitPrice &&
	pointer_is 422 customer POST /orders "{$B,\"currency\":\"usd\",\"items\":[{$P,\"unitPrice\":5}]}" /currency &&
	pointer_is 422 customer POST /orders "{$B,\"currency\":\"EUR\",\"items\":[{$P,\"unitPrice\":-5}]}" /items/0/unitPrice &&
	pointer_is 422 customer POST /orders "{$B,\"currency\":\"EUR\",\"items\":[{$P,\"unitPrice\":1000000000001}]}" /items/0/unitPrice &&
	pointer_is 422 customer POST /orders "{$B,\"currency\":\"EUR\",\"items\":[{$P,\"unitPrice\":2.5}]}" /items/0/unitPrice &&
	pointer_is 422 customer POST /orders "{$B,\"currency\":\"EUR\",\"items\":[{\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":10000,\"unitPrice\":1000000000000}]}" /items/0 &&
	pointer_is 422 customer POST /orders "{$B,\"currency\":\"EUR\",\"items\":[{$P,\"unitPrice\":5}],\"discountTotal\":11}" /discountTotal &&
	pointer_is 422 customer POST /orders "{$B,\"currency\":\"EUR\",\"items\":[{$P,\"unitPrice\":5}],\"shippingTotal\":9007199254740991}" /shippingTotal &&
	pointer_is 422 customer POST /orders "{$B,\"currency\":\"EUR\",\"items\":[{$P,\"unitPrice\":5}],\"total\":11}" /total &&
	pointer_is 422 customer POST /orders "{$B,\"currency\":\"EUR\",\"items\":[{$P,\"unitPrice\":5,\"total\":9}]}" /items/0/total &&
	pointer_is 422 customer POST /orders "{$B,\"items\":[{$P,\"name\":\"a\\u0007b\"}]}" /items/0/name &&
	pointer_is 422 customer POST /orders "{$B,\"items\":[{$P}],\"shippingAddress\":{$A,\"country\":\"fr\"}}" /shippingAddress/country &&
	pointer_is 422 customer POST /orders "{$B,\"items\":[{$P}],\"shippingAddress\":{$A,\"country\":\"FR\",\"line2\":\"a\\nb\"}}" /shippingAddress/line2 &&
	pointer_is 422 customer POST /orders "{$B,\"items\":[{$P}],\"billingAddress\":{\"name\":\"A\",\"line1\":\"1\",\"city\":\"C\",\"country\":\"FR\"}}" /billingAddress/postalCode &&
	pointer_is 422 customer POST /orders "{$B,\"items\":[{$P}],\"shippingAddress\":{$A,\"country\":\"FR\",\"zip\":\"1\"}}" /shippingAddress/zip &&
	pointer_is 422 customer POST /orders "{$B,\"items\":[{$P}],\"email\":\"nobody\"}" /email &&
	pointer_is 422 customer POST /orders "{$B,\"items\":[{$P}],\"metadata\":{\"a b\":\"1\"}}" "/metadata/a b" &&
	pointer_is 422 customer POST /orders "{$B,\"items\":[{$P}],\"metadata\":{\"k\":1}}" /metadata/k &&
	pointer_is 422 customer POST /orders "{$B,\"items\":[{$P}],\"orderNumber\":7}" /orderNumber &&
	test_eq "$(quiet)" "$before"
'

test_expect_success 'PATCH: metadata is an admin change, null removes a key; money and addresses cannot change' '
	id=$(cat priced.id) &&
	pointer_is 422 admin PATCH "/orders/$id" "{\"items\":[]}" /items &&
	pointer_is 422 admin PATCH "/orders/$id" "{\"total\":1}" /total &&
	pointer_is 422 admin PATCH "/orders/$id" "{\"shippingAddress\":$ADDR}" /shippingAddress &&
	pointer_is 422 admin PATCH "/orders/$id" "{\"currency\":\"USD\"}" /currency &&
	api_expect 403 shipper PATCH "/orders/$id" "{\"metadata\":{\"a\":\"1\"}}" &&
	api_expect 200 admin PATCH "/orders/$id" "{\"metadata\":{\"channel\":null,\"gift\":\"yes\"}}" "Prefer: wait=5" &&
	test_eq "$(api_jc .metadata)" "{\"erpId\":\"SO-1\",\"gift\":\"yes\"}" &&
	test_eq "$(api_json .total)" $TOTAL &&
	many=$(jq -cn "[range(0;19)] | map({key: \"k\(.)\", value: \"v\"}) | from_entries") &&
	pointer_is 422 admin PATCH "/orders/$id" "{\"metadata\":$many}" /metadata
'

test_expect_success 'OMS_REQUIRE_PRICES=1 and OMS_REQUIRE_ADDRESS=1 make them mandatory' '
	stack_stop_fcgi &&
	stack_start_fcgi OMS_REQUIRE_PRICES=1 OMS_REQUIRE_ADDRESS=1 &&
	stack_wait_ready 30 &&
	pointer_is 422 customer POST /orders "$STUDY" /currency &&
	test_eq "$(api_jc "[.errors[].pointer]")" "[\"/currency\",\"/items\",\"/shippingAddress\"]" &&
	pointer_is 422 customer POST /orders "{$B,\"currency\":\"EUR\",\"items\":[{$P,\"unitPrice\":5}]}" /shippingAddress &&
	api_expect 202 customer POST /orders "$PRICED" &&
	stack_stop_fcgi &&
	stack_start_fcgi &&
	stack_wait_ready 30 &&
	api_expect 202 customer POST /orders "$STUDY"
'

test_expect_success '1,000 concurrent creates get 1,000 distinct order numbers' '
	before=$(numbers | wc -l) &&
	many_cfg 1000 >many.cfg &&
	curl -s -S -Z --parallel-max 50 -K many.cfg >codes 2>curl.err &&
	test_eq "$(grep -c "^202$" codes)" 1000 &&
	retry_until 120 numbered_at_least $((before + 1000)) &&
	numbers | cut -d " " -f 2 | sort | uniq -d >dups &&
	test_eq "$(wc -l <dups)" 0 &&
	numbers | cut -d " " -f 1 | sort -n | uniq -d >numdups &&
	test_eq "$(wc -l <numdups)" 0 &&
	test_eq "$(numbers | wc -l)" $((before + 1000)) &&
	test_eq "$(R GET oms:seq:order)" "$(numbers | cut -d " " -f 1 | sort -n | tail -n 1)" &&
	test_eq "$(R EXISTS oms:ordernumber)" 0
'

test_expect_success 'no sanitizer report' '
	stack_sanitizer_reports
'

test_done
