#!/usr/bin/env bash
test_description='make install into a DESTDIR: the layout, the rendered units, man pages and oms.env; the stack runs from the installed files; make uninstall removes them'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

DEST=$TRASH_DIRECTORY/dest
# The build tree (OMS_BUILDDIR points at the installed sbindir later on).
BUILD=$OMS_BUILDDIR

# mk TARGET...: make in the build tree, outside the make that runs this test
# (its jobserver and flags are not ours).
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$BUILD" "$@"
}

# var NAME: a variable of the build tree's Makefile, fully expanded.
var() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$BUILD" \
	    -f Makefile -f - oms-print-var VAR="$1" <<'EOF_MK'
oms-print-var:
	@echo '$($(VAR))'
EOF_MK
}

# The build tree's install directories (without DESTDIR).
prefix=$(var prefix)
sbindir=$(var sbindir)
sysconfdir=$(var sysconfdir)
pkgdatadir=$(var pkgdatadir)
man5dir=$(var man5dir)
man8dir=$(var man8dir)
unitdir=$(var systemdsystemunitdir)
SBIN=$DEST$sbindir
CONF=$DEST$sysconfdir/oms
PKGDATA=$DEST$pkgdatadir

test_expect_success 'make install DESTDIR=... succeeds, all under the prefix' '
	test -n "$prefix" && test -n "$sbindir" && test -n "$unitdir" &&
	mk install DESTDIR="$DEST" >install.out 2>&1 &&
	find "$DEST" -type f >files.out &&
	if [ "$unitdir" != no ]; then
		grep -v "^$DEST$unitdir/" files.out >files-1.out || :
	else
		cp files.out files-1.out
	fi &&
	! grep -v "^$DEST$prefix/" files-1.out
'

test_expect_success 'the daemons and omsctl are in sbindir and run' '
	for p in oms-fcgi oms-worker oms-notify omsctl oms-provider-sim; do
		test -x "$SBIN/$p" &&
		"$SBIN/$p" --version >v.out &&
		grep -Eq "^$p \(oms\) [0-9]+\.[0-9]+\.[0-9]+" v.out &&
		"$SBIN/$p" --help >h.out && grep -q "^Usage: $p " h.out || return 1
	done
'

test_expect_success 'oms.lua in pkgdatadir; the sample configs and oms.env in sysconfdir/oms' '
	cmp "$OMS_SRCDIR/redis/oms.lua" "$PKGDATA/oms.lua" &&
	for f in nginx/nginx.conf.in nginx/oms-site.conf.in redis/redis.conf \
	    redis/users.acl.in rabbitmq/rabbitmq.conf.in \
	    rabbitmq/definitions.json.in; do
		cmp "$OMS_SRCDIR/$f" "$CONF/${f#*/}" || return 1
	done &&
	test -s "$CONF/oms.env"
'

test_expect_success 'man pages in man8 and man5, rendered, without groff warnings' '
	for m in "$DEST$man8dir/oms-fcgi.8" "$DEST$man8dir/oms-worker.8" \
	    "$DEST$man8dir/oms-notify.8" "$DEST$man8dir/omsctl.8" \
	    "$DEST$man8dir/oms-provider-sim.8" \
	    "$DEST$man5dir/oms.env.5"; do
		test -s "$m" &&
		! grep -n "@[A-Za-z_]*@" "$m" &&
		grep -q "^\.TH .* \"oms [0-9]" "$m" || return 1
		if command -v groff >/dev/null; then
			groff -man -ww -z "$m" 2>groff.err &&
			test_eq "$(cat groff.err)" "" || return 1
		fi
	done
'

# Every option and OMS_ variable that --help lists is in the man page.
help_in_man() { # PROGRAM MANPAGE
	local word
	for word in $("$SBIN/$1" --help |
	    grep -oE -- "--[a-z][a-z-]+|OMS_[A-Z_]+" | sort -u); do
		# roff escapes the hyphens of options: \-\-log\-level
		grep -qF -- "$word" "$2" ||
		    grep -qF -- "${word//-/\\-}" "$2" || {
			echo "$1: $word is in --help, not in $2" >&2
			return 1
		}
	done
}

test_expect_success 'the man pages name every option and variable of --help' '
	help_in_man oms-fcgi "$DEST$man8dir/oms-fcgi.8" &&
	help_in_man oms-worker "$DEST$man8dir/oms-worker.8" &&
	help_in_man oms-notify "$DEST$man8dir/oms-notify.8" &&
	help_in_man omsctl "$DEST$man8dir/omsctl.8" &&
	help_in_man oms-provider-sim "$DEST$man8dir/oms-provider-sim.8" &&
	for p in oms-fcgi oms-worker; do
		for v in $("$SBIN/$p" --help | grep -oE "OMS_[A-Z_]+" |
		    grep -v "_FILE$" | sort -u); do
			grep -qF "$v" "$DEST$man5dir/oms.env.5" || {
				echo "oms.env.5 lacks $v" >&2; return 1; }
		done
	done
'

test_expect_success 'oms.env: NAME=VALUE lines only, no password, the install paths' '
	! grep -vE "^(#.*|[A-Z][A-Z0-9_]*=[^ ]*|)$" "$CONF/oms.env" &&
	! grep -E "^OMS_[A-Z_]*PASSWORD" "$CONF/oms.env" &&
	grep -qF "$sysconfdir/oms/secrets/" "$CONF/oms.env" &&
	! grep -n "@[A-Za-z_]*@" "$CONF/oms.env"
'

if [ "$unitdir" = no ]; then
	test_skip 'the systemd units' 'configured --with-systemdsystemunitdir=no'
else
	test_expect_success 'the systemd units: install paths, oms.env, credentials, hardening' '
		for d in oms-fcgi oms-worker oms-notify; do
			u=$DEST$unitdir/$d.service &&
			test -s "$u" &&
			! grep -n "@[A-Za-z_]*@" "$u" &&
			grep -qx "ExecStart=$sbindir/$d" "$u" &&
			grep -qx "EnvironmentFile=$sysconfdir/oms/oms.env" "$u" &&
			grep -qx "LoadCredential=amqp-password:$sysconfdir/oms/secrets/amqp-$d" "$u" &&
			grep -qx "LoadCredential=redis-password:$sysconfdir/oms/secrets/redis-$d" "$u" &&
			grep -qx "Environment=OMS_AMQP_PASSWORD_FILE=%d/amqp-password" "$u" &&
			for h in User=oms NoNewPrivileges=yes ProtectSystem=strict \
			    ProtectHome=yes PrivateTmp=yes CapabilityBoundingSet= \
			    "ExecReload=/bin/kill -HUP \$MAINPID"; do
				grep -qxF "$h" "$u" || { echo "$u: no $h" >&2; return 1; }
			done || return 1
		done &&
		grep -qx "RuntimeDirectory=oms" "$DEST$unitdir/oms-fcgi.service"
	'
fi

# A source tree made of the installed files, for t/lib-stack.sh: it renders
# the templates and runs the programs it finds under OMS_SRCDIR/OMS_BUILDDIR.
test_expect_success 'start Redis, RabbitMQ, oms-worker, oms-fcgi and nginx from the installed files' '
	inst=$TRASH_DIRECTORY/installed &&
	mkdir -p "$inst/nginx" "$inst/redis" "$inst/rabbitmq" &&
	for f in nginx/nginx.conf.in nginx/oms-site.conf.in redis/redis.conf \
	    redis/users.acl.in rabbitmq/rabbitmq.conf.in \
	    rabbitmq/definitions.json.in; do
		ln -s "$CONF/${f#*/}" "$inst/$f" || return 1
	done &&
	ln -s "$PKGDATA/oms.lua" "$inst/redis/oms.lua" &&
	OMS_SRCDIR=$inst && OMS_BUILDDIR=$SBIN &&
	export OMS_SRCDIR OMS_BUILDDIR &&
	set -a && . "$CONF/oms.env" && set +a &&
	stack_init "$TRASH_DIRECTORY/stack" &&
	test_atexit stack_stop_all &&
	stack_start_redis &&
	stack_start_rabbitmq &&
	stack_start_worker OMS_REDIS_FUNCTIONS="$PKGDATA/oms.lua" &&
	stack_start_fcgi &&
	stack_start_nginx &&
	stack_wait_ready 30
'

test_expect_success 'GET /readyz answers 200' '
	curl -sS -D h.out -o body.out "$OMS_URL/readyz" &&
	grep -q "^HTTP/1.1 200" h.out &&
	grep -q "\"redis\":\"ok\"" body.out &&
	grep -q "\"rabbitmq\":\"ok\"" body.out
'

test_expect_success 'the installed omsctl creates keys; a create with Prefer: wait=5 answers 201' '
	stack_demo_keys &&
	body="{\"customerId\":\"cus_demo\",\"paymentMethodId\":\"pm_1\",\"items\":[{\"productId\":\"p1\",\"variantId\":\"v1\",\"quantity\":2}]}" &&
	test_eq "$(api customer POST /orders "$body" "Prefer: wait=5")" 201 &&
	test_eq "$(api_json .status)" created &&
	test_match "$(api_header Location)" "^/orders/[0-9a-f-]{36}$"
'

test_expect_success 'stop the stack' '
	stack_stop_all
'

test_expect_success 'make uninstall DESTDIR=... leaves no file behind' '
	mk uninstall DESTDIR="$DEST" >uninstall.out 2>&1 &&
	find "$DEST" -type f -o -type l >left.out &&
	test_eq "$(cat left.out)" ""
'

test_expect_success 'an oms.env changed by the administrator survives install and uninstall' '
	mkdir -p "$CONF" &&
	echo "OMS_LOG_LEVEL=debug" >"$CONF/oms.env" &&
	mk install DESTDIR="$DEST" >install2.out 2>&1 &&
	test_eq "$(cat "$CONF/oms.env")" "OMS_LOG_LEVEL=debug" &&
	mk uninstall DESTDIR="$DEST" >uninstall2.out 2>&1 &&
	test_eq "$(cat "$CONF/oms.env")" "OMS_LOG_LEVEL=debug"
'

test_done
