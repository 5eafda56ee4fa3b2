#!/usr/bin/env bash
test_description='hostile HTTP: 150+ malformed, wrong, oversized and tricky requests; each gets its exact status and a problem document, no 5xx, no crash, nothing published'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

n=0
# bad STATUS ROLE METHOD PATH [BODY [HEADER...]]
bad() {
	n=$((n + 1))
	api_expect "$@" || { echo "case $n failed: $*" >&2; return 1; }
}

# raw STATUS BYTES: a request written on the socket as it is; the answer
# must have STATUS and, for nginx's and oms's errors, be a problem document.
raw() {
	local want=$1 got
	n=$((n + 1))
	exec 3<>"/dev/tcp/127.0.0.1/$STACK_HTTP_PORT" || return 1
	# nginx may close the connection before reading it all: a write
	# then fails with EPIPE, which must not kill this script.
	(trap '' PIPE; printf '%b' "$2" >&3) 2>/dev/null
	timeout 5 cat <&3 >raw.out
	exec 3<&-
	got=$(sed -n '1s/^HTTP\/1\.[01] \([0-9]*\).*/\1/p' raw.out)
	if [ "$got" != "$want" ]; then
		echo "raw case $n: expected $want, got '$got': $(head -c 300 raw.out)" >&2
		return 1
	fi
	grep -qi '^Content-Type: application/problem+json' raw.out ||
	    { echo "raw case $n: not a problem document" >&2; return 1; }
}

ITEM='{"productId":"p","variantId":"v","quantity":1}'
base() { # base FIELD VALUE: a create body with FIELD set to raw JSON VALUE
	local cust='"cus_demo"' pm='"pm_1"' store='"st"' prod='"p"' var='"v"'
	case $1 in
	customerId) cust=$2 ;; paymentMethodId) pm=$2 ;; storeId) store=$2 ;;
	productId) prod=$2 ;; variantId) var=$2 ;;
	esac
	printf '{"customerId":%s,"paymentMethodId":%s,"storeId":%s,"items":[{"productId":%s,"variantId":%s,"quantity":1}]}' \
	    "$cust" "$pm" "$store" "$prod" "$var"
}
long65="\"$(printf 'a%.0s' $(seq 1 65))\""

test_expect_success 'start the stack (no worker: nothing may be published)' '
	stack_orders_up OMS_MAX_BODY_BYTES=16384 &&
	stack_redis_cli_as oms-worker HSET oms:order:0190d1a0-0000-7000-8000-000000000003 id 0190d1a0-0000-7000-8000-000000000003 customerId cus_demo paymentMethodId pm status shipped trackingNumber T1 isDeleted 0 version 3 items "[]" >/dev/null &&
	queue_drain >/dev/null
'

test_expect_success 'every id field x 9 wrong values: 422 (or 400 for a NUL)' '
	for f in customerId paymentMethodId storeId productId variantId; do
		for v in null 1 true "[]" "{}" "\"\"" "$long65" "\"a b\"" "\"\\u00e9t\\u00e9\""; do
			bad 422 admin POST /orders "$(base "$f" "$v")" || return 1
		done
		bad 400 admin POST /orders "$(base "$f" "\"a\\u0000b\"")" || return 1
	done
'

test_expect_success 'quantity x 11 wrong values: 422' '
	for q in 0 -1 10001 1.5 1e2 "\"1\"" true null "[]" "{}" 99999999999999999999; do
		bad 422 admin POST /orders "{\"customerId\":\"c\",\"paymentMethodId\":\"p\",\"items\":[{\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":$q}]}" || return 1
	done
'

test_expect_success 'items x 8 wrong shapes: 422' '
	many=$(for i in $(seq 1 101); do printf "%s," "$ITEM"; done) &&
	for it in "[]" "{}" "\"x\"" "[1]" "[[]]" "[${many%,}]" "[null]" "[{}]"; do
		bad 422 admin POST /orders "{\"customerId\":\"c\",\"paymentMethodId\":\"p\",\"items\":$it}" || return 1
	done
'

test_expect_success 'malformed JSON x 20: 400' '
	for b in "{" "}" "[" "{\"a\"}" "{\"a\":}" "{\"a\":1,}" "{,}" "{\"a\" 1}" \
	    "{\"a\":tru}" "{\"a\":nul}" "{\"a\":01}" "{\"a\":-}" "{\"a\":1.}" \
	    "{\"a\":.5}" "{\"a\":\"\\x\"}" "{\"a\":\"\\ud800\"}" "{\"a\":1}{}" \
	    "{\"a\":Infinity}" "{a:1}" "\"just a string"; do
		bad 400 admin POST /orders "$b" || return 1
	done
'

test_expect_success 'mixing the study form with items, unknown and misplaced fields: 422' '
	bad 422 admin POST /orders "{\"customerId\":\"c\",\"paymentMethodId\":\"p\",\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":1,\"items\":[$ITEM]}" &&
	bad 422 admin POST /orders "{\"customerId\":\"c\",\"paymentMethodId\":\"p\",\"productId\":\"p\",\"quantity\":1}" &&
	bad 422 admin POST /orders "{\"customerId\":\"c\",\"paymentMethodId\":\"p\",\"items\":[$ITEM],\"status\":\"shipped\"}" &&
	bad 422 admin POST /orders "{\"customerId\":\"c\",\"paymentMethodId\":\"p\",\"items\":[$ITEM],\"id\":\"mine\"}" &&
	bad 422 admin POST /orders "{\"customerId\":\"c\",\"paymentMethodId\":\"p\",\"items\":[$ITEM],\"__proto__\":{}}" &&
	bad 422 admin POST /orders "{\"customerId\":\"c\",\"paymentMethodId\":\"p\",\"items\":[{\"productId\":\"p\",\"variantId\":\"v\",\"quantity\":1,\"price\":0}]}"
'

test_expect_success 'update and delivered bodies x 12: 400/422' '
	for b in "{}" "{\"status\":\"x\"}" "{\"trackingNumber\":1}" "{\"shipCompanyId\":null}" \
	    "{\"trackingNumber\":\"a b\"}" "[]" "{\"trackingNumber\":$long65}"; do
		bad 422 shipper PATCH /orders/0190d1a0-0000-7000-8000-000000000003 "$b" || return 1
	done &&
	bad 400 shipper PATCH /orders/0190d1a0-0000-7000-8000-000000000003 "{" &&
	bad 422 shipper PATCH /orders/0190d1a0-0000-7000-8000-000000000003/delivered "{}" &&
	bad 422 shipper PATCH /orders/0190d1a0-0000-7000-8000-000000000003/delivered "{\"trackingId\":\"T1\"}" &&
	bad 422 shipper PATCH /orders/0190d1a0-0000-7000-8000-000000000003/delivered "{\"trackingId\":\"T1\",\"confirmationId\":7}" &&
	bad 400 shipper PATCH /orders/0190d1a0-0000-7000-8000-000000000003/delivered "{\"trackingId\":\"T1\",}"
'

test_expect_success 'query strings x 16: 422' '
	for q in "limit=0" "limit=201" "limit=-1" "limit=1.5" "limit=" "limit=%31%30%30%30" \
	    "status=lost" "status=SHIPPED" "cursor=%00" "cursor=x%zz" "includeDeleted=yes" \
	    "includeDeleted=1" "sort=asc" "limit=1&limit=1" "customerId=a%20b" "%00=1"; do
		bad 422 admin GET "/orders?$q" || return 1
	done
'

test_expect_success 'paths and ids x 13: 400/404/405' '
	bad 400 admin GET "/orders/$(printf "a%.0s" $(seq 1 65))" &&
	bad 400 admin GET "/orders/a%2Fb" &&
	bad 400 admin GET "/orders/%2e%2e" &&
	bad 400 admin GET "/orders/a%20b" &&
	bad 400 admin GET "/orders/%C3%BC" &&
	bad 400 admin DELETE "/orders/%3Cscript%3E" &&
	bad 404 admin GET "/orders/0190d1a0-0000-7000-8000-000000000003/cancel/x" &&
	bad 404 admin GET "//orders" &&
	bad 404 admin GET "/orders/" &&
	bad 404 admin GET "/ORDERS" &&
	bad 404 admin GET "/orders/does-not-exist" &&
	bad 405 admin PUT /orders &&
	bad 405 admin OPTIONS /orders/0190d1a0-0000-7000-8000-000000000003
'

test_expect_success 'methods and media types x 14: 405/415' '
	for m in PUT POST; do
		bad 405 admin "$m" /orders/0190d1a0-0000-7000-8000-000000000003/events "{}" || return 1
	done &&
	bad 405 admin DELETE /orders/0190d1a0-0000-7000-8000-000000000003/cancel &&
	bad 405 admin GET /orders/0190d1a0-0000-7000-8000-000000000003/delivered &&
	bad 405 admin PATCH /orders "{}" &&
	bad 405 admin POST /healthz "{}" &&
	for ct in "text/plain" "application/xml" "application/x-www-form-urlencoded" \
	    "multipart/form-data; boundary=x" "application/json; charset=latin1" \
	    "application/json; charset=utf-16" "json" "application/jsonp"; do
		bad 415 admin POST /orders "{}" "Content-Type: $ct" || return 1
	done
'

test_expect_success 'authorization abuse x 12: 401/403' '
	long=$(head -c 3000 /dev/zero | tr "\0" a) &&
	for a in "Bearer" "Bearer " "Bearer  $OMS_ADMIN_KEY" "bearer$OMS_ADMIN_KEY" \
	    "Basic $OMS_ADMIN_KEY" "Bearer ${OMS_ADMIN_KEY%?}" "Bearer ${OMS_ADMIN_KEY}=" \
	    "Bearer oms_$long" "Bearer $OMS_ADMIN_KEY $OMS_ADMIN_KEY" "Bearer \"$OMS_ADMIN_KEY\""; do
		bad 401 "$a" GET /orders || return 1
	done &&
	bad 403 shipper POST /orders "$(base customerId "\"cus_demo\"")" &&
	bad 403 customer POST /orders "$(base customerId "\"cus_other\"")"
'

test_expect_success 'idempotency keys x 3 and body limits x 2: 400/413' '
	bad 400 admin POST /orders "$(base customerId "\"c\"")" "Idempotency-Key: $(head -c 256 /dev/zero | tr "\0" k)" &&
	bad 400 admin POST /orders "$(base customerId "\"c\"")" "Idempotency-Key;" &&
	bad 400 admin POST /orders "$(base customerId "\"c\"")" "$(printf "Idempotency-Key: a\tb")" &&
	bad 413 admin POST /orders "{\"pad\":\"$(head -c 17000 /dev/zero | tr "\0" a)\"}" &&
	head -c 1100000 /dev/zero | tr "\0" a >huge.body &&
	n=$((n + 1)) &&
	test "$(curl -s -o big.b -w "%{http_code}" -H "Content-Type: application/json" \
	    -H "Authorization: Bearer $OMS_ADMIN_KEY" --data-binary @huge.body "$OMS_URL/orders")" = 413 &&
	jq -e ".status == 413" big.b
'

test_expect_success 'raw HTTP abuse x 11: problem documents from nginx or oms-fcgi' '
	raw 400 "GET /orders HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n" &&
	raw 400 "GET /orders HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n" &&
	raw 400 "POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}" &&
	raw 400 "GET /orders/a\0b HTTP/1.1\r\nHost: x\r\n\r\n" &&
	raw 400 "GARBAGE\r\n\r\n" &&
	raw 400 "GET /orders HTTP/1.1\r\n\r\n" &&
	raw 414 "GET /$(head -c 9000 /dev/zero | tr "\0" a) HTTP/1.1\r\nHost: x\r\n\r\n" &&
	raw 431 "GET /orders HTTP/1.1\r\nHost: x\r\nX-Big: $(head -c 9000 /dev/zero | tr "\0" a)\r\n\r\n" &&
	raw 400 "GET /orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" &&
	raw 404 "GET /orders/../healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" &&
	raw 404 "GET /orders/./0190d1a0-0000-7000-8000-000000000003/../x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
'

test_expect_success 'at least 150 hostile requests ran' '
	say "$n hostile requests" &&
	test "$n" -ge 150
'

test_expect_success 'nothing was published' '
	test_eq "$(queue_drain)" 0
'

test_expect_success 'no 5xx, no crashed child, no sanitizer report' '
	! grep -Eq "\" 5[0-9][0-9] " "$STACK_DIR/nginx/access.log" &&
	! grep -Eq "killed by signal|exited with status" "$STACK_DIR/oms-fcgi.log" &&
	stack_stop_fcgi &&
	stack_sanitizer_reports
'

test_done
