#!/usr/bin/env bash
test_description='webhook subscriptions: the admin routes, their problems, the secret shown once, rotation, omsctl webhook'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

SUB='{"url":"https://hooks.example.com/oms","events":["order.created","order.shipped"],"description":"warehouse"}'

test_expect_success 'start the stack' '
	stack_orders_up
'

test_expect_success 'POST /webhooks: 201, Location, the secret once' '
	api_expect 201 admin POST /webhooks "$SUB" &&
	id=$(api_json .id) &&
	test_match "$id" "^[0-9a-f-]{36}$" &&
	test_eq "$(api_header Location)" "/webhooks/$id" &&
	test_match "$(api_json .secret)" "^whsec_[A-Za-z0-9_-]{43}$" &&
	test_eq "$(api_json .enabled)" true &&
	test_eq "$(api_json ".events | join(\",\")")" "order.created,order.shipped" &&
	test_eq "$(api_json .description)" warehouse &&
	api_json .secret >secret1 &&
	echo "$id" >sub.id
'

test_expect_success 'Redis keeps the secret to sign; GET never shows it' '
	id=$(cat sub.id) &&
	test_eq "$(stack_redis_cli HGET "oms:webhook:sub:$id" secret)" "$(cat secret1)" &&
	api_expect 200 admin GET "/webhooks/$id" &&
	test_eq "$(api_json .secret)" null &&
	! grep -q "$(cat secret1)" api.b &&
	api_expect 200 admin GET /webhooks &&
	test_eq "$(api_json ".items | length")" 1 &&
	test_eq "$(api_json ".items[0].id")" "$id" &&
	! grep -q "$(cat secret1)" api.b &&
	! grep -q "$(cat secret1)" "$STACK_DIR/oms-fcgi.log"
'

test_expect_success 'only admins: customer and shipper get 403, none 401' '
	api_expect 403 customer GET /webhooks &&
	api_expect 403 shipper POST /webhooks "$SUB" &&
	api_expect 401 none GET "/webhooks/$(cat sub.id)"
'

test_expect_success 'URL rules: https only, no userinfo, no fragment' '
	api_expect 422 admin POST /webhooks "{\"url\":\"http://hooks.example.com/\",\"events\":[\"*\"]}" &&
	test_eq "$(api_json ".errors[0].pointer")" /url &&
	grep -q OMS_WEBHOOK_ALLOW_HTTP api.b &&
	api_expect 422 admin POST /webhooks "{\"url\":\"https://u:p@hooks.example.com/\",\"events\":[\"*\"]}" &&
	api_expect 422 admin POST /webhooks "{\"url\":\"https://hooks.example.com/#x\",\"events\":[\"*\"]}" &&
	api_expect 422 admin POST /webhooks "{\"url\":\"ftp://hooks.example.com/\",\"events\":[\"*\"]}" &&
	api_expect 422 admin POST /webhooks "{\"url\":\"https://hooks.example.com:70000/\",\"events\":[\"*\"]}"
'

test_expect_success 'events, unknown members, bad JSON, bad ids' '
	api_expect 422 admin POST /webhooks "{\"url\":\"https://a.example/\",\"events\":[\"order.exploded\"]}" &&
	test_eq "$(api_json ".errors[0].pointer")" /events &&
	api_expect 422 admin POST /webhooks "{\"url\":\"https://a.example/\",\"events\":[]}" &&
	api_expect 422 admin POST /webhooks "{\"url\":\"https://a.example/\"}" &&
	api_expect 422 admin POST /webhooks "{\"url\":\"https://a.example/\",\"events\":[\"*\"],\"secret\":\"x\"}" &&
	test_eq "$(api_json ".errors[0].pointer")" /secret &&
	api_expect 400 admin POST /webhooks "{\"url\":" &&
	api_expect 404 admin GET /webhooks/nope &&
	api_expect 404 admin GET /webhooks/00000000-0000-7000-8000-000000000000 &&
	api_expect 405 admin PUT "/webhooks/$(cat sub.id)"
'

test_expect_success 'PATCH: events, enabled, description; 404 for an unknown one' '
	id=$(cat sub.id) &&
	api_expect 200 admin PATCH "/webhooks/$id" "{\"events\":[\"*\"],\"enabled\":false,\"description\":\"erp\"}" &&
	test_eq "$(api_json ".events[0]")" "*" &&
	test_eq "$(api_json .enabled)" false &&
	test_eq "$(api_json .description)" erp &&
	test_eq "$(api_json .url)" https://hooks.example.com/oms &&
	api_expect 200 admin PATCH "/webhooks/$id" "{\"enabled\":true}" &&
	test_eq "$(api_json .enabled)" true &&
	api_expect 422 admin PATCH "/webhooks/$id" "{\"enabled\":\"yes\"}" &&
	api_expect 404 admin PATCH /webhooks/00000000-0000-7000-8000-000000000000 "{\"enabled\":true}" &&
	test_eq "$(stack_redis_cli EXISTS oms:webhook:sub:00000000-0000-7000-8000-000000000000)" 0
'

test_expect_success 'rotate-secret: a new secret, the old one kept for 24 h' '
	id=$(cat sub.id) &&
	api_expect 200 admin POST "/webhooks/$id/rotate-secret" &&
	test_match "$(api_json .secret)" "^whsec_" &&
	test "$(api_json .secret)" != "$(cat secret1)" &&
	test -n "$(api_json .previousSecretExpiresAt)" &&
	test_eq "$(stack_redis_cli HGET "oms:webhook:sub:$id" prevSecret)" "$(cat secret1)" &&
	until=$(stack_redis_cli HGET "oms:webhook:sub:$id" prevSecretUntil) &&
	now=$(date +%s%3N) &&
	test $((until - now)) -gt $((23 * 3600 * 1000)) &&
	test $((until - now)) -le $((24 * 3600 * 1000))
'

test_expect_success 'deliveries: empty log; redeliver of an unknown event is 404' '
	id=$(cat sub.id) &&
	api_expect 200 admin GET "/webhooks/$id/deliveries" &&
	test_eq "$(api_json ".items | length")" 0 &&
	api_expect 404 admin POST "/webhooks/$id/deliveries/evt_nothing/redeliver" &&
	api_expect 400 admin GET "/webhooks/$id/deliveries?limit=0"
'

test_expect_success 'DELETE: 204, then 404' '
	id=$(cat sub.id) &&
	api_expect 204 admin DELETE "/webhooks/$id" &&
	api_expect 404 admin GET "/webhooks/$id" &&
	api_expect 404 admin DELETE "/webhooks/$id" &&
	test_eq "$(stack_redis_cli ZCARD oms:webhook:subs)" 0
'

test_expect_success 'redeliver for a deleted subscription: 404, a delivery left behind untouched' '
	id=$(cat sub.id) &&
	stack_redis_cli HSET "oms:webhook:dlv:$id:evt_left" state delivered attempts 1 >/dev/null &&
	stack_redis_cli SET oms:webhook:event:evt_left "{}" >/dev/null &&
	api_expect 403 customer POST "/webhooks/$id/deliveries/evt_left/redeliver" &&
	api_expect 404 admin POST "/webhooks/$id/deliveries/evt_left/redeliver" &&
	test_match "$(api_json .detail)" "^No such webhook subscription" &&
	{ omsctl_run webhook redeliver "$id" evt_left >ctl-left.out 2>&1; test $? -ne 0; } &&
	test_eq "$(stack_redis_cli HGET "oms:webhook:dlv:$id:evt_left" state)" delivered &&
	test_eq "$(stack_redis_cli ZCARD "oms:webhook:due:$id")" 0 &&
	stack_redis_cli DEL "oms:webhook:dlv:$id:evt_left" oms:webhook:event:evt_left >/dev/null
'

test_expect_success 'omsctl webhook add|list|show|disable|enable|rotate|remove' '
	omsctl_run webhook add https://erp.example.com/in --events=order.created,order.canceled --description=erp >add.out &&
	test_match "$(sed -n 1p add.out)" "^whsec_" &&
	id=$(sed -n 2p add.out) &&
	omsctl_run webhook list >list.out &&
	grep -q "^$id enabled  https://erp.example.com/in" list.out &&
	omsctl_run webhook disable "$id" >dis.out &&
	test_eq "$(jq -r .enabled dis.out)" false &&
	omsctl_run webhook show "$id" >show.out &&
	test_eq "$(jq -r .enabled show.out)" false &&
	! grep -q whsec_ show.out &&
	omsctl_run webhook enable "$id" >en.out &&
	test_eq "$(jq -r .enabled en.out)" true &&
	omsctl_run webhook rotate "$id" >rot.out &&
	test "$(sed -n 1p rot.out)" != "$(sed -n 1p add.out)" &&
	omsctl_run webhook deliveries "$id" >dl.out &&
	test_eq "$(jq length dl.out)" 0 &&
	test_expect_code 2 omsctl_run webhook add http://erp.example.com/ --events=order.created &&
	test_expect_code 2 omsctl_run webhook add https://erp.example.com/ --events=nope &&
	OMS_WEBHOOK_ALLOW_HTTP=1 omsctl_run webhook add http://erp.example.com/ --events="*" >http.out &&
	omsctl_run webhook remove "$id" &&
	test_expect_code 1 omsctl_run webhook show "$id"
'

test_done
