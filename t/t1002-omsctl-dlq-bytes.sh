#!/usr/bin/env bash
test_description='omsctl dlq keeps bodies as bytes (issue 14, item 2): a dead-lettered body with a NUL and 3,000 bytes after it is listed whole and replayed byte for byte (run it in an ASan build too: no heap read past the copy)'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

command -v amqp-publish >/dev/null || test_skip_all "amqp-publish is not installed"

ctl() {
	OMS_AMQP_URL=$STACK_AMQP_URL \
	OMS_AMQP_PASSWORD_FILE=$(stack_secret_file amqp-omsctl) \
	    "$OMS_BUILDDIR/omsctl" "$@"
}

test_expect_success 'start Redis and RabbitMQ (no worker: the replay stays queued)' '
	stack_start_redis &&
	stack_start_rabbitmq &&
	queue_drain order-worker-queue.dead >/dev/null &&
	queue_drain >/dev/null
'

test_expect_success 'a body with a NUL and 3,000 bytes after it is dead-lettered' '
	{ printf "{\"v\":1}" && printf "\0" && head -c 3000 /dev/zero | tr "\0" "x"; } >body &&
	test_eq "$(wc -c <body)" 3008 &&
	amqp-publish -u "$(stack_amqp_url oms-admin)" -e oms.dead -r orders.cancel \
	    -p -C application/json <body &&
	retry_until 10 eval "ctl dlq list --json >dlq.json && test \"\$(jq length dlq.json)\" = 1"
'

test_expect_success 'dlq list shows the whole body: --json with \u0000, text escaped' '
	jq -j ".[0].body" dlq.json >listed &&
	cmp body listed &&
	ctl dlq list >dlq.txt &&
	grep -F "  {\"v\":1}\\x00xxx" dlq.txt &&
	grep -q "(3008 bytes)" dlq.txt
'

test_expect_success 'dlq replay publishes the same 3,008 bytes' '
	ctl dlq replay --all >replay.out &&
	grep -q "^1 message replayed" replay.out &&
	retry_until 10 eval "OMS_AMQP_URL=\$(stack_amqp_url oms-admin) \"\$OMS_BUILDDIR/t/helpers/mq-get\" --body order-worker-queue >replayed" &&
	cmp body replayed &&
	test_eq "$(queue_drain order-worker-queue.dead)" 0
'

test_done
