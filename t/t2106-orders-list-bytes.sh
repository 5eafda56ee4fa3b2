#!/usr/bin/env bash
# shellcheck disable=SC2016 # bodies are single-quoted strings eval'd by test_expect_success
test_description='GET /orders and GET /orders/{id} answer the bytes the json-c path printed

Orders of every kind the worker writes (priced with addresses, the study
body, canceled, shipped with carrier fields, delivered, deleted, metadata
patched with unicode, quotes, backslashes and slashes, which cjson stores
escaped) are read back through nginx and compared byte for byte with what
view_order_from_hash + json_dump make of the same Redis hashes
(t/helpers/view-jsonc): every order by id, and whole list pages.'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

for tool in jq curl; do
	command -v "$tool" >/dev/null || test_skip_all "$tool is not installed"
done

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

ADDR='{"name":"Zoë \"Z\" Ångström","line1":"1 Rue de l'\''Église","line2":"Bât. B / 3e","city":"Paris","postalCode":"75001","country":"FR","phone":"+33 1 23"}'
ITEMS='[{"productId":"p1","variantId":"v1","quantity":2,"unitPrice":1250,"name":"Thé vert / 100 g \\ \"bio\""},{"productId":"p2","variantId":"v2","quantity":3,"unitPrice":999}]'
META='{"note":"café 中文 😀 \"q\" back\\slash","url":"https://shop.example/c?a=1&b=2"}'
PRICED="{\"customerId\":\"cus_demo\",\"paymentMethodId\":\"pm_1\",\"email\":\"zoe@example.org\",\"currency\":\"EUR\",\"items\":$ITEMS,\"shippingTotal\":499,\"taxTotal\":0,\"discountTotal\":100,\"shippingAddress\":$ADDR,\"billingAddress\":$ADDR,\"metadata\":$META}"
STUDY='{"customerId":"cus_demo","paymentMethodId":"pm_1","productId":"p1","variantId":"v1","quantity":1}'

R() {
	stack_redis_cli "$@" | tr -d '\r'
}

# jsonc: view-jsonc over the ids on stdin, an order a line.
jsonc() {
	OMS_REDIS_URL=$(stack_redis_url omsctl) "$OMS_BUILDDIR/t/helpers/view-jsonc"
}

# jsonc_list: view-jsonc --list over the ids on stdin.
jsonc_list() {
	OMS_REDIS_URL=$(stack_redis_url omsctl) "$OMS_BUILDDIR/t/helpers/view-jsonc" --list
}

status_is() { # ID STATUS
	test "$(api admin GET "/orders/$1")" = 200 &&
	test "$(api_json .status)" = "$2"
}

# all_applied: every id in ids.txt has its hash, in a final status.
all_applied() {
	local id
	while read -r id; do
		case $(R HGET "oms:order:$id" status) in
		shipped | canceled | delivered) ;;
		*) return 1 ;;
		esac
	done <ids.txt
}

# create_all: the five creates, their ids in ids.txt.
create_all() {
	local body
	: >ids.txt
	for body in "$PRICED" "$STUDY" "$PRICED" "$STUDY" "$PRICED"; do
		api_expect 202 customer POST /orders "$body" &&
		api_json .id >>ids.txt || return 1
	done
}

# by_id_same: GET /orders/{id} of each order answers view-jsonc's bytes.
by_id_same() {
	local id
	while read -r id; do
		api_expect 200 admin GET "/orders/$id" &&
		jsonc <<<"$id" | head -c -1 >want.b &&
		test_cmp want.b "$TRASH_DIRECTORY/api.b" || return 1
	done <ids.txt
}

test_expect_success 'start the stack without the worker' '
	stack_orders_up &&
	test -x "$OMS_BUILDDIR/t/helpers/view-jsonc"
'

test_expect_success 'create orders of every kind (pending: its owner sees it, another customer gets 404); two are canceled while pending' '
	create_all &&
	id=$(sed -n 1p ids.txt) &&
	api_expect 200 customer GET "/orders/$id" &&
	test_eq "$(api_json .status)" pending &&
	api_expect 404 other GET "/orders/$id" &&
	test_eq "$(api_json .type)" /problems/order-not-found &&
	api_expect 202 customer PATCH "/orders/$(sed -n 2p ids.txt)/cancel" &&
	api_expect 202 customer PATCH "/orders/$(sed -n 5p ids.txt)/cancel"
'

test_expect_success 'the worker applies them: shipped with carrier fields, canceled' '
	stack_start_worker &&
	retry_until 30 all_applied &&
	test_eq "$(R HGET "oms:order:$(sed -n 2p ids.txt)" status)" canceled &&
	test_eq "$(R HGET "oms:order:$(sed -n 1p ids.txt)" status)" shipped &&
	test -n "$(R HGET "oms:order:$(sed -n 1p ids.txt)" trackingNumber)"
'

test_expect_success 'delivered, deleted, metadata patched with escapes' '
	id=$(sed -n 3p ids.txt) &&
	api_expect 200 admin GET "/orders/$id" &&
	tn=$(api_json .trackingNumber) &&
	api_expect 202 shipper PATCH "/orders/$id/delivered" "{\"trackingId\":\"$tn\",\"confirmationId\":\"conf:1\"}" &&
	retry_until 20 status_is "$id" delivered &&
	id=$(sed -n 4p ids.txt) &&
	api_expect 202 admin PATCH "/orders/$id" "{\"metadata\":{\"k.1\":\"\\u00e9 \\\\ \\\"x\\\" /\",\"emoji\":\"😀\"}}" &&
	retry_until 20 eval "R HGET oms:order:$id metadata | grep -q emoji" &&
	id=$(sed -n 1p ids.txt) &&
	api_expect 202 customer DELETE "/orders/$id" &&
	retry_until 20 eval "test \"\$(R HGET oms:order:$id isDeleted)\" = 1" &&
	R HGET "oms:order:$(sed -n 4p ids.txt)" metadata >meta.txt &&
	grep -F "\\/" meta.txt
'

test_expect_success 'GET /orders/{id}: the bytes of the json-c path, each kind' '
	test_eq "$(wc -l <ids.txt)" 5 &&
	by_id_same
'

test_expect_success 'GET /orders: whole pages are the bytes of the json-c path' '
	api_expect 200 admin GET "/orders?includeDeleted=true&limit=200" &&
	test_eq "$(api_json .nextCursor)" null &&
	R ZREVRANGE oms:orders 0 -1 >index.txt &&
	test_eq "$(wc -l <index.txt)" 5 &&
	jsonc_list <index.txt >want.b &&
	test_cmp want.b "$TRASH_DIRECTORY/api.b" &&
	api_expect 200 customer GET "/orders?limit=200" &&
	grep -v "^$(sed -n 1p ids.txt)\$" index.txt >visible.txt &&
	test_eq "$(wc -l <visible.txt)" 4 &&
	jsonc_list <visible.txt >want.b &&
	test_cmp want.b "$TRASH_DIRECTORY/api.b" &&
	api_expect 200 admin GET "/orders?status=canceled" &&
	grep -Fx -e "$(sed -n 2p ids.txt)" -e "$(sed -n 5p ids.txt)" index.txt >canceled.txt &&
	jsonc_list <canceled.txt >want.b &&
	test_cmp want.b "$TRASH_DIRECTORY/api.b"
'

test_expect_success 'a page with a cursor ends with it, as before' '
	api_expect 200 admin GET "/orders?includeDeleted=true&limit=2" &&
	test_eq "$(api_json ".items | length")" 2 &&
	cursor=$(api_json .nextCursor) &&
	test_match "$(tail -c 120 "$TRASH_DIRECTORY/api.b")" "\\],\"nextCursor\":\"[0-9]+:$(sed -n 2p index.txt)\"}\$"
'

test_expect_success 'no sanitizer report' '
	stack_sanitizer_reports
'

test_done
