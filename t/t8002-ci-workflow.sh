#!/usr/bin/env bash
test_description='.github/workflows/ci.yml passes scripts/lint-workflow (schema and our rules), and broken copies of it do not; the version has one source'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"

WF=$OMS_SRCDIR/.github/workflows/ci.yml
LINT=$OMS_SRCDIR/scripts/lint-workflow

# broken NAME SED-EXPRESSION: a copy of the workflow with one change, which
# must still differ from the original (so the test cannot pass vacuously).
broken() {
	sed "$2" "$WF" >"$1.yml" &&
	! cmp -s "$WF" "$1.yml"
}

test_expect_success 'the workflow passes the schema and the rules' '
	"$LINT" "$WF" >out 2>&1 &&
	grep -q ": ok " out
'

test_expect_success 'a wrong field type fails the schema' '
	broken type "s/^    timeout-minutes: 90/    timeout-minutes: [90]/" &&
	! "$LINT" "$PWD/type.yml" >out 2>&1 &&
	grep -q "schema: FAILED" out
'

test_expect_success 'an unknown key fails the schema' '
	broken key "s/^    runs-on: ubuntu-latest/    run-on: ubuntu-latest/" &&
	! "$LINT" "$PWD/key.yml" >out 2>&1 &&
	grep -q "schema: FAILED" out
'

test_expect_success 'a workflow that no longer runs scripts/check fails' '
	broken nocheck "s|run: scripts/check|run: make|" &&
	! "$LINT" "$PWD/nocheck.yml" >out 2>&1 &&
	grep -q "no job runs scripts/check" out
'

test_expect_success 'an image job that runs on every push fails' '
	broken anyref "/startsWith(github.ref/d" &&
	! "$LINT" "$PWD/anyref.yml" >out 2>&1 &&
	grep -q "not only on tags" out
'

test_expect_success 'no version tags fails' '
	broken notags "/tags: \[\"v\*\"\]/d" &&
	! "$LINT" "$PWD/notags.yml" >out 2>&1 &&
	grep -q "no v\* pattern" out
'

test_expect_success 'scripts/version, --version and the tarball name agree' '
	v=$("$OMS_SRCDIR/scripts/version") &&
	test -n "$v" &&
	"$OMS_BUILDDIR/oms-fcgi" --version >fcgi.v &&
	grep -q " $v\$" fcgi.v &&
	"$OMS_BUILDDIR/oms-worker" --version >worker.v &&
	grep -q " $v\$" worker.v &&
	"$OMS_BUILDDIR/omsctl" --version >ctl.v &&
	grep -q " $v\$" ctl.v &&
	grep -qx "PACKAGE_VERSION = $v" "$OMS_BUILDDIR/Makefile"
'

test_expect_success 'CHANGELOG.md has an entry for the version' '
	grep -q "^## \[$v\]" "$OMS_SRCDIR/CHANGELOG.md"
'

test_done
