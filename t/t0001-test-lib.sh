#!/usr/bin/env bash
test_description='the test library itself: the &&-chain lint refuses a body whose
chain is broken without running any of it, skips are reported as skips'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"

# run_sub NAME: runs sub/NAME.sh (a script of its own on test-lib.sh) with
# its trash directory under ours; its TAP output in NAME.out.
run_sub() {
	TMPDIR=$TRASH_DIRECTORY/sub OMS_SRCDIR=$OMS_SRCDIR \
	    bash "sub/$1.sh" >"$1.out" 2>&1
}

# sub_script NAME BODY: writes sub/NAME.sh, one test with BODY. Its
# commands touch files under $MARK (our trash directory), so that we can
# tell whether any of them ran.
sub_script() {
	mkdir -p sub &&
	{
		printf '. "$OMS_SRCDIR/t/test-lib.sh"\n'
		printf 'MARK=%s\n' "$TRASH_DIRECTORY/ran"
		printf "test_expect_success '%s' '\n%s\n'\n" "$1" "$2"
		printf 'test_done\n'
	} >"sub/$1.sh"
}

test_expect_success 'a whole chain runs: loops, if, here-documents, $(...)' '
	mkdir -p ran sub/whole &&
	sub_script whole "	touch \"\$MARK/whole.1\" &&
	for i in 1 2; do
		touch \"\$MARK/whole.loop\$i\" || return 1
	done &&
	if true; then touch \"\$MARK/whole.if\"; fi &&
	cat >f <<-EOT &&
	text; more
	EOT
	x=\$(echo sub; echo more) &&
	{ false || touch \"\$MARK/whole.braces\"; }" &&
	run_sub whole &&
	grep -qx "ok 1 - whole" whole.out &&
	test -e ran/whole.1 && test -e ran/whole.loop2 && test -e ran/whole.if &&
	test -e ran/whole.braces
'

# broken NAME BODY: the lint refuses BODY, says why, and nothing of it ran.
broken() {
	sub_script "$1" "$2" &&
	rm -rf ran && mkdir ran &&
	test_expect_code 1 run_sub "$1" &&
	grep -qx "not ok 1 - $1" "$1.out" &&
	grep -Eq "broken &&-chain|run-away here-document" "$1.out" &&
	test -z "$(ls ran)"
}

test_expect_success 'a ; instead of && is refused, nothing of the body runs' '
	broken semicolon "	touch \"\$MARK/semicolon.1\"; touch \"\$MARK/semicolon.2\" &&
	true" &&
	grep -q "would run after a failure: touch \"\$MARK/semicolon.2\"" semicolon.out
'

test_expect_success 'a missing && at the end of a line is refused' '
	broken newline "	touch \"\$MARK/newline.1\" &&
	touch \"\$MARK/newline.2\"
	touch \"\$MARK/newline.3\""
'

test_expect_success 'a top-level || is refused' '
	broken or "	touch \"\$MARK/or.1\" && false || touch \"\$MARK/or.2\""
'

test_expect_success 'a command substitution after a break is not expanded' '
	broken subst "	true
	x=\$(touch \"\$MARK/subst.1\")"
'

test_expect_success 'a here-document that runs away is refused' '
	broken heredoc "	cat >g <<-EOT
	text
	touch \"\$MARK/heredoc.1\""
'

test_expect_success 'TEST_CHAIN_LINT=0 turns the lint off' '
	rm -rf ran && mkdir ran &&
	sub_script off "	touch \"\$MARK/off.1\"; true" &&
	TEST_CHAIN_LINT=0 run_sub off &&
	grep -qx "ok 1 - off" off.out &&
	test -e ran/off.1
'

test_expect_success 'a skipped test and a skipped script say SKIP' '
	mkdir -p sub &&
	printf "%s\n" ". \"\$OMS_SRCDIR/t/test-lib.sh\"" \
	    "test_skip one \"no such feature\"" test_done >sub/skip.sh &&
	run_sub skip &&
	grep -qx "ok 1 - one # SKIP no such feature" skip.out &&
	printf "%s\n" ". \"\$OMS_SRCDIR/t/test-lib.sh\"" \
	    "test_skip_all \"nothing here\"" >sub/skipall.sh &&
	run_sub skipall &&
	grep -qx "1..0 # SKIP nothing here" skipall.out
'

test_done
