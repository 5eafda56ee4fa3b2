#!/usr/bin/env bash
test_description='the private stack keeps its secrets and socket to itself (issue 14, item 8): run/stack.env is created under umask 077; the FastCGI socket is 0660 with a group nginx is in, so only nginx reaches oms-fcgi'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

# as_stranger CMD...: CMD as a local user who is neither nginx nor oms.
as_stranger() {
	setpriv --reuid=65533 --regid=65533 --clear-groups "$@"
}

# connects PATH: a unix stream connect to PATH succeeds.
connects() {
	/usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])' "$1"
}

test_expect_success 'start the stack' '
	stack_orders_up
'

test_expect_success 'the FastCGI socket is 0660, its directory closed to others' '
	test_eq "$(stat -c %a "$STACK_FCGI_SOCKET")" 660 &&
	dir=$(dirname "$STACK_FCGI_SOCKET") &&
	test_eq "$(( 0$(stat -c %a "$dir") & 07 ))" 0
'

test_expect_success 'nginx reaches oms-fcgi through it' '
	api_expect 200 customer GET "/orders?limit=1"
'

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	test_expect_success 'as root: the socket has the group of nginx'"'"'s workers' '
		test_eq "$(stat -c %G "$STACK_FCGI_SOCKET")" nogroup
	'
	test_expect_success 'another local user cannot connect to it (no bypassing nginx)' '
		connects "$STACK_FCGI_SOCKET" &&
		! as_stranger /usr/bin/python3 -c "import os; os.stat(\"$STACK_FCGI_SOCKET\")" 2>/dev/null &&
		! as_stranger /usr/bin/python3 -c "import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])" "$STACK_FCGI_SOCKET" 2>err &&
		grep -q "Permission denied" err
	'
else
	test_skip 'another local user cannot connect to it' 'needs root and setpriv'
fi

test_expect_success 'stack_write_env creates the file under umask 077 (0600 from its first byte)' '
	command -v strace >/dev/null &&
	declare -f >funcs.sh &&
	declare -p | grep -E "^declare -[^ ]* (STACK|OMS)_[A-Za-z0-9_]*=" >vars.sh &&
	(umask 022 && strace -f -qq -e trace=umask,openat -o trace \
	    bash -c ". ./vars.sh && . ./funcs.sh && stack_write_env stack.env") &&
	test_eq "$(stat -c %a stack.env)" 600 &&
	grep -q "^OMS_ADMIN_KEY=$OMS_ADMIN_KEY\$" stack.env &&
	awk "/umask\\(/ { m = \$0 } /openat\\(.*stack\\.env.*O_CREAT/ { print m; exit }" trace >umask.at &&
	grep -q "umask(077)" umask.at
'

test_expect_success 'scripts/up writes run/stack.env with it, and nowhere else' '
	grep -q "^stack_write_env \"\$STACK_DIR/stack.env\"" "$OMS_SRCDIR/scripts/up" &&
	! grep -n ">\"\$STACK_DIR/stack.env\"" "$OMS_SRCDIR/scripts/up"
'

test_expect_success 'no sanitizer report' '
	stack_stop_fcgi &&
	stack_sanitizer_reports
'

test_done
