#!/usr/bin/env bash
test_description='oms-fcgi: 404, 405, 413, 415 problem documents; nginx 502 and 429'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"

# No Redis or RabbitMQ: these answers must not depend on them.
stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

# is_problem STATUS FILE: FILE is an RFC 9457 document for STATUS.
is_problem() {
	grep -q "\"status\":$1" "$2" &&
	grep -q "\"type\":\"/problems/[a-z-]*\"" "$2" &&
	grep -q "\"title\":\"" "$2" &&
	grep -q "\"detail\":\"" "$2"
}

# req FILE-PREFIX CURL-ARGS...: one request; headers in P.h, body in P.b.
req() {
	local p=$1
	shift
	curl -sS -D "$p.h" -o "$p.b" "$@"
}

status_of() {
	sed -n "1s/^HTTP\/1.1 \([0-9]*\).*/\1/p" "$1.h"
}

test_expect_success 'start oms-fcgi (1 KiB body limit) and nginx (16 KiB, 5 r/s)' '
	stack_start_fcgi OMS_MAX_BODY_BYTES=1024 &&
	stack_start_nginx 5 30 16k &&
	retry_until 10 curl -fs -o /dev/null "$OMS_URL/healthz"
'

test_expect_success 'unknown path: 404 problem+json' '
	req r "$OMS_URL/no/such/thing" &&
	test_eq "$(status_of r)" 404 &&
	grep -qi "^Content-Type: application/problem+json" r.h &&
	is_problem 404 r.b &&
	grep -q "\"instance\":\"/no/such/thing\"" r.b
'

test_expect_success 'wrong method: 405 with Allow' '
	req r -X DELETE "$OMS_URL/healthz" &&
	test_eq "$(status_of r)" 405 &&
	grep -qi "^Allow: GET, HEAD" r.h &&
	grep -qi "^Content-Type: application/problem+json" r.h &&
	is_problem 405 r.b
'

test_expect_success 'body over OMS_MAX_BODY_BYTES: 413 from oms-fcgi' '
	head -c 2000 /dev/zero | tr "\0" "x" >big.json &&
	req r -X POST -H "Content-Type: application/json" \
	    --data-binary @big.json "$OMS_URL/healthz" &&
	test_eq "$(status_of r)" 413 &&
	is_problem 413 r.b &&
	grep -q "limit is 1024" r.b
'

test_expect_success 'body over nginx client_max_body_size: 413 problem+json' '
	head -c 40000 /dev/zero | tr "\0" "x" >huge.json &&
	req r -X POST -H "Content-Type: application/json" \
	    --data-binary @huge.json "$OMS_URL/healthz" &&
	test_eq "$(status_of r)" 413 &&
	grep -qi "^Content-Type: application/problem+json" r.h &&
	is_problem 413 r.b
'

test_expect_success 'a body that is not JSON: 415' '
	req r -X POST -H "Content-Type: text/plain" --data "hello" \
	    "$OMS_URL/healthz" &&
	test_eq "$(status_of r)" 415 &&
	is_problem 415 r.b &&
	grep -q "text/plain" r.b &&
	req r -X POST -H "Content-Type:" --data-binary "{}" "$OMS_URL/healthz" &&
	test_eq "$(status_of r)" 415 &&
	req r -X POST -H "Content-Type: application/json; charset=latin1" \
	    --data-binary "{}" "$OMS_URL/healthz" &&
	test_eq "$(status_of r)" 415
'

test_expect_success 'a JSON body passes the media-type check' '
	req r -X POST -H "Content-Type: application/json; charset=UTF-8" \
	    --data-binary "{}" "$OMS_URL/healthz" &&
	test_eq "$(status_of r)" 405 &&
	req r -X POST -H "Content-Type: application/problem+json" \
	    --data-binary "{}" "$OMS_URL/healthz" &&
	test_eq "$(status_of r)" 405
'

test_expect_success 'a chunked body is measured too' '
	req r -X POST -H "Content-Type: application/json" \
	    -H "Transfer-Encoding: chunked" --data-binary @big.json \
	    "$OMS_URL/healthz" &&
	test_eq "$(status_of r)" 413
'

test_expect_success 'no oms-fcgi child died' '
	! grep -Eq "killed by signal|exited with status" "$STACK_DIR/oms-fcgi.log"
'

test_expect_success 'no oms-fcgi running: nginx answers 502 problem+json' '
	stack_stop_fcgi &&
	req r "$OMS_URL/healthz" &&
	test_eq "$(status_of r)" 502 &&
	grep -qi "^Content-Type: application/problem+json" r.h &&
	grep -qi "^X-Request-Id: [0-9a-f]" r.h &&
	grep -qi "^Retry-After: 5" r.h &&
	is_problem 502 r.b
'

# nginx's limit (rate R r/s, burst B, nodelay) lets at most 1 + B + R x T of
# sequential requests over T seconds through, however slow the machine
# is: with R = 1 and B = 3, 40 requests see a 429 unless they take more
# than 35 s, and the count that passed is judged against the time taken.
test_expect_success 'over the rate limit: 429 problem+json from nginx' '
	stack_stop_nginx &&
	stack_start_nginx 1 3 16k &&
	start=$(date +%s%N) &&
	for i in $(seq 1 40); do
		curl -s -D "h.$i" -o "b.$i" -w "%{http_code}\n" "$OMS_URL/healthz"
	done >codes.out &&
	secs=$((($(date +%s%N) - start + 999999999) / 1000000000)) &&
	test_eq "$(grep -cv "^\(429\|502\)$" codes.out)" 0 "answers other than 429 and 502" &&
	passed=$(grep -c "^502$" codes.out) &&
	limited=$(grep -c "^429$" codes.out) &&
	test "$passed" -ge 1 &&
	test "$passed" -le $((1 + 3 + secs + 1)) &&
	test "$limited" -ge 1 &&
	say "rate limit: $passed passed, $limited limited in $secs s" &&
	last=$(grep -n "^429$" codes.out | tail -n 1 | cut -d: -f1) &&
	grep -qi "^Content-Type: application/problem+json" "h.$last" &&
	grep -qi "^Retry-After: 1" "h.$last" &&
	grep -qi "^X-Request-Id: [0-9a-f]" "h.$last" &&
	is_problem 429 "b.$last"
'

test_expect_success 'no sanitizer report' '
	stack_sanitizer_reports
'

test_done
