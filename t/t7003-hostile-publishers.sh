#!/usr/bin/env bash
test_description='message types are tied to their publisher (issue 14, item 5): the broker lets oms-fcgi publish only the client commands and checks user_id; the worker takes a system step only from oms-worker; amqp-publish as each user'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

command -v amqp-publish >/dev/null || test_skip_all "amqp-publish is not installed"

AT=2026-11-25T11:00:00.000Z
BODY='{"customerId":"cus_demo","paymentMethodId":"pm_1","items":[{"productId":"p","variantId":"v","quantity":1}]}'
n=0

# envelope TYPE OID ACTOR: sets ENV to a command with the next commandId,
# CID (not in a subshell: it counts).
envelope() {
	n=$((n + 1))
	CID=$(printf '01a21290-4830-74a6-b744-%012d' "$n")
	ENV=$(printf '{"v":1,"type":"%s","commandId":"%s","orderId":"%s","issuedAt":"%s","actor":%s,"data":{}}' \
	    "$1" "$CID" "$2" "$AT" "$3")
}

# publish USER KEY BODY: amqp-publish as AMQP user USER (no user_id).
publish() {
	amqp-publish -u "$(stack_amqp_url "$1")" -e oms.commands -r "$2" \
	    -p -C application/json -b "$3"
}

# publish_as USER KEY BODY [USER_ID]: through lib/mq.c (user_id set to the
# user, or USER_ID), with a confirm.
publish_as() {
	printf '%s' "$3" | OMS_AMQP_URL=$(stack_amqp_url "$1") \
	    "$OMS_BUILDDIR/t/helpers/mq-publish" "$2" ${4:+"$4"}
}

status_is() {
	test "$(api customer GET "/orders/$1")" = 200 &&
	test "$(api_json .status)" = "$2"
}

# deleted OID: the order reads back deleted.
deleted() {
	test "$(api admin GET "/orders/$1")" = 200 &&
	test "$(api_json .isDeleted)" = true
}

# has_event OID CID: the order's history has an event of commandId CID.
has_event() {
	api admin GET "/orders/$1/events" >/dev/null &&
	api_json ".items[].commandId" | grep -qx "$2"
}

# refused_publisher CID: the worker dead-lettered CID for its publisher.
refused_publisher() {
	grep "a system step is taken from" "$STACK_DIR/oms-worker.log" |
	    grep -q "command_id=$1"
}

test_expect_success 'start the stack; an order is shipped' '
	stack_start_redis &&
	stack_start_rabbitmq &&
	stack_start_worker &&
	stack_start_fcgi &&
	stack_start_nginx &&
	stack_wait_ready 30 &&
	stack_demo_keys &&
	api_expect 201 customer POST /orders "$BODY" "Prefer: wait=5" &&
	id=$(api_json .id) && echo "$id" >a.id &&
	retry_until 20 status_is "$id" shipped &&
	queue_drain order-worker-queue.dead >/dev/null
'

test_expect_success 'the worker follow-ups carry user_id oms-worker' '
	grep -q "published follow-up orders.ship" "$STACK_DIR/oms-worker.log" &&
	! grep -q "a system step is taken from" "$STACK_DIR/oms-worker.log"
'

test_expect_success 'as oms-fcgi: the broker refuses system steps (topic permission)' '
	id=$(cat a.id) &&
	for key in orders.ship orders.process.payment orders.refund; do
		envelope "$key" "$id" "{\"role\":\"system\"}" &&
		! publish_as oms-fcgi "$key" "$ENV" 2>err ||
			return 1
		grep -qi "ACCESS_REFUSED\|access.*refused\|closed" err || return 1
	done &&
	envelope orders.ship "$id" "{\"role\":\"system\"}" &&
	echo "$CID" >fcgi.cid &&
	{ publish oms-fcgi orders.ship "$ENV" 2>amqp.err || :; }
'

test_expect_success 'as oms-fcgi: a client command is accepted' '
	api_expect 201 customer POST /orders "$BODY" "Prefer: wait=5" &&
	b=$(api_json .id) && echo "$b" >b.id &&
	envelope orders.delete "$b" "{\"role\":\"customer\",\"customerId\":\"cus_demo\"}" &&
	publish_as oms-fcgi orders.delete "$ENV" &&
	retry_until 20 deleted "$b"
'

test_expect_success 'a user_id other than the connection user: refused by the broker' '
	id=$(cat a.id) &&
	envelope orders.ship "$id" "{\"role\":\"system\"}" &&
	! publish_as oms-admin orders.ship "$ENV" oms-worker 2>err &&
	grep -qi "PRECONDITION_FAILED\|closed" err
'

test_expect_success 'system steps without user_id oms-worker: dead-lettered, never applied' '
	id=$(cat a.id) &&
	envelope orders.ship "$id" "{\"role\":\"system\"}" &&
	publish oms-admin orders.ship "$ENV" && c1=$CID &&
	envelope orders.ship "$id" "{\"role\":\"system\"}" &&
	publish oms-worker orders.ship "$ENV" && c2=$CID &&
	envelope orders.refund "$id" "{\"role\":\"system\"}" &&
	publish_as oms-admin orders.refund "$ENV" && c3=$CID &&
	envelope orders.cancel "$id" "{\"role\":\"system\"}" &&
	publish_as oms-fcgi orders.cancel "$ENV" && c4=$CID &&
	retry_until 20 refused_publisher "$c1" &&
	retry_until 20 refused_publisher "$c2" &&
	retry_until 20 refused_publisher "$c3" &&
	retry_until 20 refused_publisher "$c4" &&
	for c in "$c1" "$c2" "$c3" "$c4"; do
		! has_event "$id" "$c" || return 1
	done &&
	# published by amqp-publish as oms-fcgi before them: it never arrived
	! refused_publisher "$(cat fcgi.cid)" &&
	! has_event "$id" "$(cat fcgi.cid)" &&
	test_eq "$(queue_drain order-worker-queue.dead)" 4
'

test_expect_success 'a system step with user_id oms-worker (as oms-worker) is taken' '
	id=$(cat a.id) &&
	envelope orders.ship "$id" "{\"role\":\"system\"}" &&
	publish_as oms-worker orders.ship "$ENV" &&
	retry_until 20 has_event "$id" "$CID" &&
	! refused_publisher "$CID"
'

test_expect_success 'no sanitizer report' '
	stack_stop_worker && stack_stop_fcgi &&
	stack_sanitizer_reports
'

test_done
