#!/usr/bin/env bash
test_description='oms-fcgi pre-fork master: respawn, recycling, SIGHUP, graceful stop'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

# hits N: N requests to /healthz; prints how many were not 200.
hits() {
	local i bad=0 code
	for i in $(seq 1 "$1"); do
		code=$(curl -s -o /dev/null -w "%{http_code}" "$OMS_URL/healthz")
		[ "$code" = 200 ] || bad=$((bad + 1))
	done
	echo "$bad"
}

nchildren() {
	stack_fcgi_children | wc -l
}

# has_children N: the master has exactly N children now.
has_children() {
	test "$(nchildren)" = "$1"
}

# none_left FILE: no pid listed in FILE is still a child of the master.
none_left() {
	test "$(stack_fcgi_children | comm -12 - "$1" | wc -l)" = 0
}

test_expect_success 'start 3 children behind nginx' '
	stack_start_fcgi OMS_FCGI_PROCESSES=3 OMS_FAULT=fcgi-slow-request-ms=0 &&
	stack_start_nginx &&
	retry_until 10 has_children 3 &&
	test_eq "$(hits 20)" 0
'

test_expect_success 'kill -9 of a child: a new one serves within 2 s' '
	stack_fcgi_children >before.out &&
	victim=$(head -n1 before.out) &&
	kill -9 "$victim" &&
	retry_until 2 has_children 3 &&
	stack_fcgi_children >after.out &&
	! grep -qx "$victim" after.out &&
	test_eq "$(hits 30)" 0 &&
	grep -q "killed by signal 9" "$STACK_DIR/oms-fcgi.log"
'

test_expect_success 'SIGHUP replaces every child, one by one' '
	stack_fcgi_children >before.out &&
	kill -HUP "$(stack_fcgi_pid)" &&
	retry_until 10 none_left before.out &&
	retry_until 5 has_children 3 &&
	test_eq "$(hits 20)" 0
'

test_expect_success 'restart with FCGI_MAX_REQUESTS=5' '
	stack_stop_fcgi &&
	loglines=$(wc -l <"$STACK_DIR/oms-fcgi.log") &&
	stack_start_fcgi OMS_FCGI_PROCESSES=2 OMS_FCGI_MAX_REQUESTS=5 &&
	retry_until 10 has_children 2
'

test_expect_success 'children are recycled after max requests, no request fails' '
	stack_fcgi_children >before.out &&
	test_eq "$(hits 40)" 0 &&
	stack_fcgi_children >after.out &&
	test_eq "$(comm -12 before.out after.out | wc -l)" 0 &&
	retry_until 5 has_children 2 &&
	! tail -n +"$((loglines + 1))" "$STACK_DIR/oms-fcgi.log" |
	    grep -Eq "killed by signal|exited with status"
'

if "$OMS_BUILDDIR/oms-fcgi" --version | grep -q "fault injection"; then
	test_expect_success 'SIGTERM lets the slow request in flight complete' '
		stack_stop_fcgi &&
		stack_start_fcgi OMS_FCGI_PROCESSES=2 \
		    OMS_FAULT=fcgi-slow-request-ms=2000 &&
		retry_until 10 has_children 2 &&
		{ curl -s -o slow.b -w "%{http_code}" "$OMS_URL/healthz" >slow.code & } &&
		sleep 0.5 &&
		start=$(date +%s) &&
		stack_stop_fcgi &&
		wait &&
		test_eq "$(cat slow.code)" 200 &&
		grep -q "\"status\":\"ok\"" slow.b &&
		test $(($(date +%s) - start)) -le 10
	'
else
	test_skip 'SIGTERM lets the slow request in flight complete' \
	    'needs ./configure --enable-fault-injection'
fi

test_expect_success 'a stopped master leaves no child and no socket' '
	stack_stop_fcgi &&
	stack_start_fcgi OMS_FCGI_PROCESSES=2 &&
	retry_until 10 has_children 2 &&
	master=$(stack_fcgi_pid) &&
	stack_fcgi_children >children.out &&
	stack_stop_fcgi &&
	! test -S "$STACK_FCGI_SOCKET" &&
	! stack__running "$master" &&
	for pid in $(cat children.out); do
		! stack__running "$pid" || return 1
	done
'

test_expect_success 'no sanitizer report' '
	stack_sanitizer_reports
'

test_done
