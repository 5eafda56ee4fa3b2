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

# logged_since LINE PATTERN: oms-fcgi logged PATTERN after line LINE.
logged_since() {
	tail -n +"$(($1 + 1))" "$STACK_DIR/oms-fcgi.log" | grep -q -- "$2"
}

# one_by_one LINE: in the master's log after line LINE, the SIGHUP roll
# asked a child to stop only once the one asked before had exited and its
# replacement had started (the master's debug lines). Prints the pids it
# asked, one per line.
one_by_one() {
	local ev pid busy='' replaced=1
	while read -r ev pid; do
		case $ev in
		ask)	if [ -n "$busy" ] || [ "$replaced" = 0 ]; then
				echo "child $pid asked to stop before child $busy was replaced" >&2
				return 1
			fi
			busy=$pid replaced=0
			echo "$pid" ;;
		exit)	[ "$pid" = "$busy" ] && busy= ;;
		start)	[ -z "$busy" ] && replaced=1 ;;
		esac
	done < <(tail -n +"$(($1 + 1))" "$STACK_DIR/oms-fcgi.log" | sed -n \
	    -e "s/.*SIGHUP roll: asking child \([0-9]*\) to stop.*/ask \1/p" \
	    -e "s/.*: child \([0-9]*\) exited.*/exit \1/p" \
	    -e "s/.*: child \([0-9]*\) killed by signal.*/exit \1/p" \
	    -e "s/.*: child \([0-9]*\) started.*/start \1/p")
	[ "$replaced" = 1 ] || { echo "child $busy was not replaced" >&2; return 1; }
}

# The master logs its children's starts and exits at debug level.
test_expect_success 'start 3 children behind nginx' '
	stack_start_fcgi OMS_FCGI_PROCESSES=3 OMS_FAULT=fcgi-slow-request-ms=0 \
	    OMS_LOG_LEVEL=debug &&
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
	marker=$(wc -l <"$STACK_DIR/oms-fcgi.log") &&
	kill -HUP "$(stack_fcgi_pid)" &&
	retry_until 10 none_left before.out &&
	retry_until 5 has_children 3 &&
	test_eq "$(hits 20)" 0 &&
	one_by_one "$marker" | sort >asked.out &&
	test_cmp before.out asked.out
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

if test_have_fault_injection; then
	test_expect_success 'SIGTERM lets the slow request in flight complete' '
		stack_stop_fcgi &&
		stack_start_fcgi OMS_FCGI_PROCESSES=2 \
		    OMS_FAULT=fcgi-slow-request-ms=2000 &&
		retry_until 10 has_children 2 &&
		marker=$(wc -l <"$STACK_DIR/oms-fcgi.log") &&
		{ curl -s -o slow.b -w "%{http_code}" "$OMS_URL/healthz" >slow.code & } &&
		retry_until 10 logged_since "$marker" "this request sleeps" &&
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
