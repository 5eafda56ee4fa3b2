#!/usr/bin/env bash
test_description='/readyz: 503 naming what is down when Redis or RabbitMQ stops, 200 again after'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"

# This script stops its servers: it starts its own.
stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

readyz() {
	curl -sS -D r.h -o r.b "$OMS_URL/readyz" &&
	sed -n "1s/^HTTP\/1.1 \([0-9]*\).*/\1/p" r.h
}

ready() {
	test "$(readyz)" = 200
}

test_expect_success 'start the stack; /readyz is 200' '
	stack_start_redis &&
	stack_start_rabbitmq &&
	stack_start_fcgi OMS_FCGI_PROCESSES=1 &&
	stack_start_nginx &&
	stack_wait_ready 30 &&
	test_eq "$(readyz)" 200
'

test_expect_success 'Redis stopped: 503 problem naming redis, with Retry-After' '
	stack_stop_redis &&
	test_eq "$(readyz)" 503 &&
	grep -qi "^Content-Type: application/problem+json" r.h &&
	grep -qi "^Retry-After: [0-9]" r.h &&
	grep -q "\"status\":503" r.b &&
	grep -q "\"service\":\"redis\"" r.b &&
	! grep -q "\"service\":\"rabbitmq\"" r.b &&
	grep -q "Redis is unreachable" r.b
'

test_expect_success 'Redis back: 200 again without restarting oms-fcgi' '
	master=$(stack_fcgi_pid) &&
	stack_start_redis &&
	retry_until 10 ready &&
	test_eq "$(stack_fcgi_pid)" "$master"
'

test_expect_success 'RabbitMQ stopped: 503 problem naming rabbitmq' '
	stack_stop_rabbitmq &&
	test_eq "$(readyz)" 503 &&
	grep -qi "^Retry-After: [0-9]" r.h &&
	grep -q "\"service\":\"rabbitmq\"" r.b &&
	! grep -q "\"service\":\"redis\"" r.b
'

test_expect_success 'both stopped: both named' '
	stack_stop_redis &&
	test_eq "$(readyz)" 503 &&
	grep -q "\"service\":\"rabbitmq\"" r.b &&
	grep -q "\"service\":\"redis\"" r.b &&
	grep -q "Redis and RabbitMQ are unreachable" r.b
'

test_expect_success 'both back: 200 again' '
	stack_start_redis &&
	stack_start_rabbitmq &&
	retry_until 15 ready
'

test_expect_success 'no sanitizer report' '
	stack_stop_fcgi &&
	stack_sanitizer_reports
'

test_done
