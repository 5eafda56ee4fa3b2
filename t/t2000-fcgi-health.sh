#!/usr/bin/env bash
test_description='oms-fcgi behind nginx: health, readiness, request ids, --help'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

test_expect_success '--help and --version print to stdout and exit 0' '
	"$OMS_BUILDDIR/oms-fcgi" --help >help.out &&
	grep -q "^Usage: oms-fcgi" help.out &&
	grep -q OMS_FCGI_PROCESSES help.out &&
	grep -q OMS_REDIS_PASSWORD_FILE help.out &&
	"$OMS_BUILDDIR/oms-fcgi" --version >version.out &&
	grep -Eq "^oms-fcgi \(oms\) [0-9]+\.[0-9]+\.[0-9]+" version.out
'

test_expect_success '--version tells a fault-injection build, as configure recorded it' '
	"$OMS_BUILDDIR/oms-worker" --version >wversion.out &&
	if test_have_fault_injection; then
		grep -q "fault injection" version.out &&
		grep -q "fault injection" wversion.out
	else
		! grep -q "fault injection" version.out &&
		! grep -q "fault injection" wversion.out
	fi
'

test_expect_success 'a bad flag or value is refused with exit 2' '
	test_expect_code 2 "$OMS_BUILDDIR/oms-fcgi" --no-such-flag &&
	test_expect_code 2 "$OMS_BUILDDIR/oms-fcgi" --processes=0 &&
	! OMS_FCGI_PROCESSES=many "$OMS_BUILDDIR/oms-fcgi" 2>err.out &&
	grep -q OMS_FCGI_PROCESSES err.out
'

test_expect_success 'start Redis, RabbitMQ, oms-fcgi and nginx' '
	stack_start_redis &&
	stack_start_rabbitmq &&
	stack_start_fcgi &&
	stack_start_nginx &&
	stack_wait_ready 30
'

# configure.ac links oms-fcgi with jemalloc when it finds it (not with the
# sanitizers): then the children really allocate with it.
test_expect_success 'the children use the allocator configure chose' '
	child=$(stack_fcgi_children | head -n 1) &&
	test -n "$child" &&
	if grep -q "define OMS_JEMALLOC 1" "$OMS_BUILDDIR/config.h"; then
		grep -q libjemalloc "/proc/$child/maps"
	else
		! grep -q libjemalloc "/proc/$child/maps"
	fi
'

test_expect_success 'GET /healthz answers 200 {"status":"ok"}' '
	curl -sS -D h.out -o body.out "$OMS_URL/healthz" &&
	grep -q "^HTTP/1.1 200" h.out &&
	grep -qi "^Content-Type: application/json" h.out &&
	test_eq "$(cat body.out)" "{\"status\":\"ok\"}"
'

test_expect_success 'GET /readyz answers 200 with both checks ok' '
	curl -sS -D h.out -o body.out "$OMS_URL/readyz" &&
	grep -q "^HTTP/1.1 200" h.out &&
	grep -q "\"redis\":\"ok\"" body.out &&
	grep -q "\"rabbitmq\":\"ok\"" body.out
'

test_expect_success 'HEAD /healthz answers 200 without a body' '
	curl -sS -I -o h.out "$OMS_URL/healthz" &&
	grep -q "^HTTP/1.1 200" h.out &&
	curl -sS --head -w "%{size_download}" -o /dev/null "$OMS_URL/healthz" >size.out &&
	test_eq "$(cat size.out)" 0
'

test_expect_success 'every response carries a distinct X-Request-Id' '
	for i in 1 2 3 4 5; do
		curl -sS -D - -o /dev/null "$OMS_URL/healthz" |
		    sed -n "s/^X-Request-Id: \([0-9a-f]*\).*/\1/Ip"
	done >ids.out &&
	test_eq "$(wc -l <ids.out)" 5 &&
	test_eq "$(sort -u ids.out | wc -l)" 5 &&
	test_match "$(head -n1 ids.out)" "^[0-9a-f]{32}$"
'

test_expect_success 'a client cannot choose its request id' '
	curl -sS -D h.out -o body.out -H "X-Request-Id: spoofed" \
	    "$OMS_URL/nothing-here" &&
	! grep -qi "spoofed" h.out body.out &&
	id=$(sed -n "s/^X-Request-Id: \([0-9a-f]*\).*/\1/Ip" h.out) &&
	test_match "$id" "^[0-9a-f]{32}$" &&
	grep -q "\"requestId\":\"$id\"" body.out
'

test_expect_success 'the access log and oms-fcgi log carry the request id' '
	curl -sS -D h.out -o /dev/null "$OMS_URL/nothing-here" &&
	id=$(sed -n "s/^X-Request-Id: \([0-9a-f]*\).*/\1/Ip" h.out) &&
	test_match "$id" "^[0-9a-f]{32}$" &&
	retry_until 5 grep -q "request_id=$id" "$STACK_DIR/nginx/access.log" &&
	grep -q "request_id=$id" "$STACK_DIR/oms-fcgi.log"
'

test_expect_success 'no secret appears in the oms-fcgi log' '
	stack_no_secret_in "$STACK_DIR/oms-fcgi.log"
'

test_expect_success 'stop oms-fcgi and nginx; no sanitizer report' '
	stack_stop_nginx &&
	stack_stop_fcgi &&
	! test -S "$STACK_FCGI_SOCKET" &&
	stack_sanitizer_reports
'

test_done
