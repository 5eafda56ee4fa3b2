# shellcheck shell=bash
# t/test-lib.sh — a small TAP test library in the manner of git's t/test-lib.sh.
#
# A test script sets test_description, sources this file, runs its steps with
# test_expect_success and ends with test_done:
#
#   test_description='what this script covers'
#   . "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
#   test_expect_success 'health answers' '
#       curl -fsS "$OMS_URL/healthz"
#   '
#   test_done
#
# Each script gets its own trash directory under ${TMPDIR:-/tmp} (short paths:
# unix socket names are limited to 107 bytes), kept when a test fails (its
# path is printed) and removed otherwise. test_when_finished registers a
# command run after the current test, pass or fail. Cleanup functions
# registered with test_atexit run when the script exits, however it exits.
#
# Environment: OMS_SRCDIR (source tree), OMS_BUILDDIR (build tree; defaults to
# the source tree), TEST_VERBOSE=1 to show every command's output,
# TEST_CHAIN_LINT=0 to turn the &&-chain lint off, TEST_CHAIN_LINT_ONLY=1 to
# lint every body and run none (see test_chain_lint_).

set -u

: "${OMS_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${OMS_BUILDDIR:=$OMS_SRCDIR}"
export OMS_SRCDIR OMS_BUILDDIR

test_name=$(basename "$0" .sh)
test_count=0
test_failed=0
test_cleanup_now=
test_atexit_cmds=

TRASH_DIRECTORY=$(mktemp -d "${TMPDIR:-/tmp}/oms-${test_name%%-*}.XXXXXX") || {
	echo "Bail out! cannot create a trash directory"
	exit 1
}
# Daemons we start may run as other users (nginx workers, rabbitmq).
chmod 755 "$TRASH_DIRECTORY"
export TRASH_DIRECTORY
cd "$TRASH_DIRECTORY" || exit 1

test_log="$TRASH_DIRECTORY/test.log"
: >"$test_log"

say() {
	printf '# %s\n' "$*"
}

# test_when_finished CMD: run CMD after the current test, pass or fail.
test_when_finished() {
	test_cleanup_now="$1
$test_cleanup_now"
}

# test_atexit CMD: run CMD when the script exits (servers we started).
test_atexit() {
	test_atexit_cmds="$1
$test_atexit_cmds"
}

test_run_atexit() {
	local cmds=$test_atexit_cmds
	test_atexit_cmds=
	[ -n "$cmds" ] && eval "$cmds" >>"$test_log" 2>&1
	return 0
}
trap 'test_run_atexit' EXIT
trap 'exit 130' INT TERM

# Runs a test body in a function of its own, so that `return 1` in a body
# ends the body, not test_expect_success.
test_eval_() {
	eval "$1"
}

# The &&-chain lint (git's, without running anything): a body is a single
# &&-chain, so that any failing command fails the test. Before a body runs,
# it is evaluated once as `! test_chain_=body && BODY` followed by a marker
# command, with a DEBUG trap under extdebug that stops at the first command
# the shell is about to run after the chain's head: when the chain is whole,
# that first command is the marker; a missing && (or a top-level ||) hands
# the shell a command of the body, which the trap refuses (return 2 makes
# the shell return from test_chain_lint_eval_ before running it); a
# here-document that runs away swallows the marker. No command of the body
# runs, no word is expanded, no redirection is opened. TEST_CHAIN_LINT=0
# turns it off.
test_chain_=off
test_chain_cmd_=
test_chain_debug_() {
	[ "$test_chain_" = body ] || return 0
	case $BASH_COMMAND in
	': test-chain-end') test_chain_=whole ;;
	': test-chain-after') test_chain_=runaway ;;
	*)	test_chain_=broken
		test_chain_cmd_=$BASH_COMMAND
		return 2 ;;
	esac
	return 0
}

test_chain_lint_eval_() {
	test_chain_=armed
	shopt -s extdebug
	trap test_chain_debug_ DEBUG
	eval "! test_chain_=body && $1

: test-chain-end"
	: test-chain-after
}

# test_chain_lint_ BODY: succeeds when BODY is one &&-chain; otherwise says
# why on stderr.
test_chain_lint_() {
	test_chain_lint_eval_ "$1"
	trap - DEBUG
	shopt -u extdebug
	case $test_chain_ in
	whole) test_chain_=off; return 0 ;;
	broken) echo "broken &&-chain: this would run after a failure: $test_chain_cmd_" ;;
	*) echo "run-away here-document or a syntax error in the body" ;;
	esac
	test_chain_=off
	return 1
}

# test_expect_success TITLE BODY: eval BODY in this shell (so it can set
# variables for later tests); chain its commands with && as git's tests do
# (checked first, see test_chain_lint_).
test_expect_success() {
	local title=$1 body=$2 rc
	test_count=$((test_count + 1))
	test_cleanup_now=
	echo "=== $test_count $title" >>"$test_log"
	if [ "${TEST_CHAIN_LINT:-1}" != 0 ] &&
	    ! test_chain_lint_ "$body" >>"$test_log" 2>&1; then
		rc=117
	elif [ "${TEST_CHAIN_LINT_ONLY:-0}" = 1 ]; then
		rc=0
	else
		test_eval_ "$body" >>"$test_log" 2>&1
		rc=$?
	fi
	if [ -n "$test_cleanup_now" ]; then
		eval "$test_cleanup_now" >>"$test_log" 2>&1
	fi
	if [ "$rc" = 0 ]; then
		echo "ok $test_count - $title"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $title"
		sed -n "/^=== $test_count /,\$p" "$test_log" | tail -n 40 | sed 's/^/#   /'
	fi
	if [ "${TEST_VERBOSE:-0}" = 1 ]; then
		sed -n "/^=== $test_count /,\$p" "$test_log" | sed 's/^/# /'
	fi
}

# test_expect_failure is deliberately absent: a known bug is an open issue,
# not a test that passes.

# test_skip_all REASON: the whole script cannot run here (counted as skipped,
# never as passed). With TEST_CHAIN_LINT_ONLY=1 (scripts/check's lint,
# which runs no body) the script goes on, so that all of it is linted.
test_skip_all() {
	[ "${TEST_CHAIN_LINT_ONLY:-0}" = 1 ] && return 0
	echo "1..0 # SKIP $*"
	exit 0
}

# Assertions that say what they expected on failure.
test_cmp() {
	diff -u "$1" "$2"
}

test_eq() {
	if [ "$1" != "$2" ]; then
		echo "expected '$2', got '$1'${3:+ ($3)}" >&2
		return 1
	fi
}

test_match() {
	if ! printf '%s' "$1" | grep -Eq -- "$2"; then
		echo "'$1' does not match /$2/" >&2
		return 1
	fi
}

# test_expect_code CODE CMD...: CMD must exit with CODE.
test_expect_code() {
	local want=$1 rc
	shift
	"$@"
	rc=$?
	if [ "$rc" != "$want" ]; then
		echo "expected exit $want, got $rc: $*" >&2
		return 1
	fi
}

# test_skip TITLE REASON: report a test that cannot run in this build; TAP
# counts it as skipped, never as passed.
test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $1 # SKIP $2"
}

# test_have_fault_injection: the build under test was configured with
# --enable-fault-injection, as its config.h records (configure's own flag,
# not the wording of a --version line). Under TEST_CHAIN_LINT_ONLY=1 it says
# yes, so that the bodies it guards are linted too.
test_have_fault_injection() {
	[ "${TEST_CHAIN_LINT_ONLY:-0}" = 1 ] && return 0
	grep -qx '#define OMS_FAULT_INJECTION 1' "$OMS_BUILDDIR/config.h"
}

# retry_until SECONDS CMD...: run CMD until it succeeds, for at most SECONDS.
retry_until() {
	local deadline=$(($(date +%s%N) / 1000000 + $1 * 1000))
	shift
	while ! "$@"; do
		if [ $(($(date +%s%N) / 1000000)) -ge "$deadline" ]; then
			return 1
		fi
		sleep 0.1
	done
}

test_done() {
	echo "1..$test_count"
	test_run_atexit
	if [ "$test_failed" = 0 ]; then
		cd / && rm -rf "$TRASH_DIRECTORY"
		exit 0
	fi
	say "failed $test_failed of $test_count; trash directory kept: $TRASH_DIRECTORY"
	exit 1
}
