#!/usr/bin/env bash
test_description='started as root, oms-fcgi and oms-worker drop to an unprivileged user'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"

[ "$(id -u)" = 0 ] || test_skip_all 'needs to start as root'

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

# users_of PID...: the user names the processes run as, unique.
users_of() {
	ps -o user= -p "$(echo "$@" | tr ' \n' ',,' | sed 's/,*$//')" | sort -u
}

test_expect_success 'oms-fcgi as root: master and children run as nobody' '
	stack_start_fcgi OMS_FCGI_PROCESSES=2 &&
	stack_start_nginx &&
	retry_until 10 curl -fs -o /dev/null "$OMS_URL/healthz" &&
	test_eq "$(users_of "$(stack_fcgi_pid)" $(stack_fcgi_children))" nobody &&
	grep -q "running as nobody" "$STACK_DIR/oms-fcgi.log"
'

# replaced FILE VICTIM: VICTIM is no longer a child, and a child not in
# FILE (the children before) has taken its place.
replaced() {
	stack_fcgi_children >now.out &&
	! grep -qx "$2" now.out &&
	test "$(wc -l <now.out)" = "$(wc -l <"$1")" &&
	test -n "$(comm -13 "$1" now.out)"
}

test_expect_success 'a kill -9 child comes back as nobody too' '
	stack_fcgi_children >before.out &&
	victim=$(head -n 1 before.out) &&
	kill -9 "$victim" &&
	retry_until 10 replaced before.out "$victim" &&
	new=$(comm -13 before.out now.out) &&
	test_eq "$(users_of $new)" nobody &&
	retry_until 5 curl -fs -o /dev/null "$OMS_URL/healthz" &&
	test_eq "$(users_of $(stack_fcgi_children))" nobody
'

test_expect_success 'OMS_USER names another user; an unknown one is refused' '
	stack_stop_fcgi &&
	! test -S "$STACK_FCGI_SOCKET" &&
	id daemon >/dev/null &&
	OMS_USER=daemon stack_start_fcgi &&
	test_eq "$(users_of "$(stack_fcgi_pid)")" daemon &&
	stack_stop_fcgi &&
	! OMS_USER=no-such-user-here OMS_FCGI_LISTEN="$TRASH_DIRECTORY/x.sock" \
	    "$OMS_BUILDDIR/oms-fcgi" 2>err.out &&
	grep -q "no user .no-such-user-here." err.out
'

test_expect_success 'oms-worker as root runs as nobody' '
	stack_start_redis &&
	stack_start_rabbitmq &&
	stack_start_worker &&
	test_eq "$(users_of "$(stack_worker_pid)" $(stack_worker_children))" nobody
'

test_expect_success 'no sanitizer report' '
	stack_stop_worker &&
	stack_sanitizer_reports
'

test_done
