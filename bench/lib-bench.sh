# shellcheck shell=bash
# bench/lib-bench.sh — what bench/run, bench/flow and bench/growth share:
# the build, a private stack (t/lib-stack.sh) in a temporary directory, the
# ceiling program, wrk runs and per-process CPU accounting.
#
# Sourced after setting BENCH_NAME (for messages). Every process it starts
# has a pid file under one of the stack directories; bench_cleanup stops
# exactly those.

: "${OMS_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export OMS_SRCDIR
: "${OMS_BUILDDIR:=$OMS_SRCDIR/build/bench}"
export OMS_BUILDDIR
BENCH_DIR=$OMS_SRCDIR/bench
export BENCH_DIR
# shellcheck source=t/lib-stack.sh
. "$OMS_SRCDIR/t/lib-stack.sh"

# Rate limit far above anything a benchmark offers (per client address).
BENCH_RATE=1000000
BENCH_BURST=1000000

BENCH_TMP=''

BENCH_STACKS=()

bench_log() {
	printf '%s: %s\n' "${BENCH_NAME:-bench}" "$*" >&2
}

bench_die() {
	bench_log "error: $*"
	exit 1
}

# bench_build: configure (non-sanitizer) and make $OMS_BUILDDIR when it has
# no Makefile yet, else bring it up to date; sets BENCH_CHILDREN and
# BENCH_CEIL_CHILDREN.
bench_build() {
	if [ ! -f "$OMS_BUILDDIR/Makefile" ]; then
		[ -x "$OMS_SRCDIR/configure" ] || (cd "$OMS_SRCDIR" && ./bootstrap) ||
			return 1
		mkdir -p "$OMS_BUILDDIR" &&
			(cd "$OMS_BUILDDIR" && "$OMS_SRCDIR/configure" -q) || return 1
	fi
	if grep -q -- '-fsanitize' "$OMS_BUILDDIR/Makefile"; then
		bench_log "warning: $OMS_BUILDDIR is a sanitizer build; figures are meaningless"
	fi
	make -s -C "$OMS_BUILDDIR" -j2 oms-fcgi oms-worker omsctl oms-provider-sim oms-notify >"$BENCH_TMP/make.log" 2>&1 || {
		tail -n 30 "$BENCH_TMP/make.log" >&2
		return 1
	}
	# The product's default number of children, as oms-fcgi computes it
	# here: what the benchmarks use unless told otherwise.
	BENCH_CHILDREN=$("$OMS_BUILDDIR/oms-fcgi" --help |
		sed -n 's/.*(default: .*; here \([0-9][0-9]*\))$/\1/p')
	[ -n "$BENCH_CHILDREN" ] || {
		bench_log "cannot read the default child count from oms-fcgi --help"
		return 1
	}
	# The ceiling's children: 8 per CPU (at most 64), the bare tier at
	# its best and the figure every ratio in docs/performance.md was
	# taken against (oms-fcgi's own default was the same until
	# 2026-12-01, when it became 2 per CPU of 16 threads).
	export BENCH_CEIL_CHILDREN=$(($(nproc) * 8 > 64 ? 64 : $(nproc) * 8))
}

# bench_build_ceiling OUT: compile bench/ceiling.c with lib/prefork.c (and
# what it calls).
bench_build_ceiling() {
	cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra \
		-I"$OMS_SRCDIR/lib" -I"$OMS_BUILDDIR" -include "$OMS_BUILDDIR/config.h" \
		-o "$1" "$BENCH_DIR/ceiling.c" "$OMS_SRCDIR/lib/prefork.c" \
		"$OMS_SRCDIR/lib/log.c" "$OMS_SRCDIR/lib/xmalloc.c" \
		"$OMS_SRCDIR/lib/coverage.c" "$OMS_SRCDIR/lib/clock.c" -lfcgi
}

# bench_tmp: a short temporary directory (unix socket paths) removed at exit
# unless BENCH_KEEP is set; installs the cleanup trap.
bench_tmp() {
	BENCH_TMP=$(mktemp -d /tmp/oms-bench.XXXXXX) || exit 1
	chmod 755 "$BENCH_TMP"
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

# bench_cleanup: stop every stack started here (by pid file), then remove
# the temporary directory.
bench_cleanup() {
	local d rc=$?
	trap - EXIT
	for d in "${BENCH_STACKS[@]}"; do
		stack_init "$d" && stack_stop_all >/dev/null 2>&1
	done
	if [ -n "$BENCH_TMP" ]; then
		if [ -n "${BENCH_KEEP:-}" ] || [ "$rc" != 0 ]; then
			bench_log "logs kept in $BENCH_TMP"
		else
			rm -rf "$BENCH_TMP"
		fi
	fi
	exit "$rc"
}

# bench_stack_oms CHILDREN [WORKER]: Redis, RabbitMQ, oms-fcgi with
# CHILDREN children, nginx (no effective rate limit), demo keys; with
# WORKER=1 also oms-worker. Sets OMS_STACK_DIR and OMS_BENCH_URL.
bench_stack_oms() {
	# Redis over its unix socket: cheaper than loopback TCP (docs/performance.md).
	export STACK_REDIS_UNIX=1
	OMS_STACK_DIR=$BENCH_TMP/oms
	BENCH_STACKS+=("$OMS_STACK_DIR")
	stack_init "$OMS_STACK_DIR" || return 1
	stack_start_redis && stack_start_rabbitmq || return 1
	if [ "${2:-0}" = 1 ]; then
		# shellcheck disable=SC2119 # no extra variables
		stack_start_worker || return 1
	fi
	unset STACK_HTTP_PORT
	stack_start_fcgi OMS_FCGI_PROCESSES="$1" &&
		stack_start_nginx "$BENCH_RATE" "$BENCH_BURST" &&
		stack_wait_ready 30 && stack_demo_keys || return 1
	OMS_BENCH_URL=$OMS_URL
}

# bench_stack_ceiling CHILDREN: the ceiling program with CHILDREN children
# behind its own nginx with the same configuration. Sets CEIL_STACK_DIR and
# CEIL_URL. Leaves the oms stack selected.
bench_stack_ceiling() {
	local bin=$BENCH_TMP/ceiling
	CEIL_STACK_DIR=$BENCH_TMP/ceil
	BENCH_STACKS+=("$CEIL_STACK_DIR")
	bench_build_ceiling "$bin" || return 1
	stack_init "$CEIL_STACK_DIR" || return 1
	STACK_FCGI_SOCKET=$CEIL_STACK_DIR/fcgi.sock
	export STACK_FCGI_SOCKET
	"$bin" "$STACK_FCGI_SOCKET" "$1" >>"$CEIL_STACK_DIR/ceiling.log" 2>&1 </dev/null &
	stack__record ceiling $! || return 1
	stack_retry 10 test -S "$STACK_FCGI_SOCKET" || return 1
	unset STACK_HTTP_PORT
	stack_start_nginx "$BENCH_RATE" "$BENCH_BURST" || return 1
	export CEIL_URL=$OMS_URL
	unset STACK_HTTP_PORT
	stack_init "$OMS_STACK_DIR" || return 1
	OMS_URL=$OMS_BENCH_URL
	STACK_FCGI_SOCKET=$OMS_STACK_DIR/fcgi.sock
	export OMS_URL STACK_FCGI_SOCKET
}

# bench_pids COMPONENT: the pids of a component, one per line: nginx,
# oms-fcgi, ceiling, oms-worker (master and children), oms-provider-sim,
# redis, rabbitmq, oms-notify, recv-fast (bench/flow --webhooks' receiver).
bench_pids() {
	local dir file pid
	case $1 in
	ceiling) dir=${CEIL_STACK_DIR:-} ;;
	*) dir=${OMS_STACK_DIR:-} ;;
	esac
	[ -n "$dir" ] || return 0
	case $1 in
	nginx) file=$dir/pids/nginx.pid ;;
	*) file=$dir/pids/$1.pid ;;
	esac
	[ -s "$file" ] || return 0
	pid=$(head -n 1 "$file")
	echo "$pid"
	ps -o pid= --ppid "$pid" | tr -d ' '
}

# bench_cpu_ticks: one "component ticks" line per component (user + system
# clock ticks of all its processes so far). ceiling's nginx is "ceil-nginx".
bench_cpu_ticks() {
	local comp pid stat total f
	for comp in nginx ceil-nginx oms-fcgi ceiling oms-worker oms-provider-sim redis rabbitmq \
	    oms-notify recv-fast; do
		total=0
		while read -r pid; do
			[ -n "$pid" ] || continue
			stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
			stat=${stat##*) }
			# shellcheck disable=SC2086 # split the fields on purpose
			set -- $stat
			total=$((total + ${12} + ${13}))
		done < <(
			if [ "$comp" = ceil-nginx ]; then
				f=${CEIL_STACK_DIR:-}/pids/nginx.pid
				[ -n "${CEIL_STACK_DIR:-}" ] && [ -s "$f" ] &&
					{ head -n 1 "$f"; ps -o pid= --ppid "$(head -n 1 "$f")" | tr -d ' '; }
			else
				bench_pids "$comp"
			fi
		)
		echo "$comp $total"
	done
	# Every CPU of the machine: busy ticks (all but idle and iowait).
	awk '/^cpu / { print "machine", $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# bench_cpu_json BEFORE AFTER SECONDS WRK_TICKS: the CPU each component used
# between two bench_cpu_ticks snapshots, in cores, as a JSON object.
bench_cpu_json() {
	awk -v secs="$3" -v wrk="$4" -v hz="$(getconf CLK_TCK)" '
		NR == FNR { before[$1] = $2; next }
		{ d = ($2 - before[$1]) / hz / secs; if (d > 0.005) out[$1] = d }
		END {
			s = "{"; sep = ""
			for (k in out) { s = s sep sprintf("\"%s\":%.2f", k, out[k]); sep = "," }
			s = s sep sprintf("\"wrk\":%.2f", wrk / hz / secs)
			# What processes outside this benchmark burnt meanwhile.
			others = out["machine"] - wrk / hz / secs
			for (k in out) if (k != "machine") others -= out[k]
			s = s sprintf(",\"others\":%.2f", others > 0 ? others : 0)
			print s "}"
		}' "$1" "$2"
}

# bench_wrk NAME URL SCRIPT CONNS SECONDS: run wrk (2 threads) and write
# $BENCH_TMP/runs/NAME.json: wrk's figures (bench/report.lua) plus "cpu"
# (cores per component during the run). Environment for the script
# (BENCH_KEY, BENCH_IDS, ...) is the caller's. Fails when wrk fails or
# writes nothing.
bench_wrk() {
	local name=$1 url=$2 script=$3 conns=$4 secs=$5 out wpid wrk_ticks stat ppid=
	mkdir -p "$BENCH_TMP/runs"
	out=$BENCH_TMP/runs/$name
	bench_cpu_ticks >"$out.cpu0"
	BENCH_OUT=$out.raw wrk -t2 -c"$conns" -d"${secs}s" --timeout 5s \
		-s "$BENCH_DIR/$script" "$url" >"$out.wrk.txt" 2>&1 &
	wpid=$!
	if [ -n "${BENCH_PERF:-}" ] && [[ $name == *-oms-* || $name == flow-* ]]; then
		# --perf: a system-wide profile of the run (kept in BENCH_TMP).
		perf record -q -F 499 -a -g -o "$out.perf.data" -- sleep "$((secs > 2 ? secs - 1 : 1))" \
			>/dev/null 2>&1 &
		ppid=$!
	fi
	# wrk's own CPU, read just before it exits (it is our child).
	wrk_ticks=0
	while stack__running "$wpid"; do
		if stat=$(cat "/proc/$wpid/stat" 2>/dev/null); then
			stat=${stat##*) }
			# shellcheck disable=SC2086
			set -- $stat
			wrk_ticks=$((${12} + ${13}))
		fi
		sleep 0.2
	done
	wait "$wpid" || {
		cat "$out.wrk.txt" >&2
		return 1
	}
	bench_cpu_ticks >"$out.cpu1"
	if [ -n "$ppid" ]; then
		wait "$ppid"
		perf report -i "$out.perf.data" --no-children --sort comm,dso --stdio -g none \
			>"$out.perf-comm.txt" 2>/dev/null
		perf report -i "$out.perf.data" --no-children --sort comm,sym --stdio -g none \
			--percent-limit 0.5 >"$out.perf-sym.txt" 2>/dev/null
	fi
	[ -s "$out.raw" ] || { cat "$out.wrk.txt" >&2; return 1; }
	jq -c --argjson cpu "$(bench_cpu_json "$out.cpu0" "$out.cpu1" "$secs" "$wrk_ticks")" \
		'. + {cpu: $cpu}' "$out.raw" >"$out.json"
}

# bench_errors FILE: the number of failed requests in a run's JSON.
bench_errors() {
	jq '.errors | .connect + .read + .write + .timeout + .status' "$1"
}

# bench_redis [ARGS...]: redis-cli as Redis' default user (all commands).
bench_redis() {
	stack_redis_cli_as default --no-auth-warning "$@"
}

# bench_quiet SECONDS: wait until the global event stream stops growing
# for 2 s (the worker is idle); fails after SECONDS.
bench_quiet() {
	local deadline last cur same=0
	deadline=$(($(date +%s) + $1))
	last=$(bench_redis XREVRANGE oms:events + - COUNT 1 | head -n 1)
	while [ "$(date +%s)" -lt "$deadline" ]; do
		sleep 0.5
		cur=$(bench_redis XREVRANGE oms:events + - COUNT 1 | head -n 1)
		if [ "$cur" = "$last" ]; then
			same=$((same + 1))
			[ "$same" -ge 4 ] && return 0
		else
			same=0
			last=$cur
		fi
	done
	return 1
}

# bench_seed_orders SECONDS: starts oms-worker and lets it apply SECONDS of
# creates (wrk, 4 connections) as $BENCH_CUSTOMER; their ids, newest first,
# go to $BENCH_IDS (exported; for get.lua), and BENCH_NORDERS counts them.
# oms-worker keeps running. Fails with fewer than 10 orders.
bench_seed_orders() {
	# shellcheck disable=SC2119 # no extra variables
	stack_start_worker || { bench_log "oms-worker did not start"; return 1; }
	bench_wrk seed "$OMS_BENCH_URL" post.lua 4 "$1" || { bench_log "seeding failed"; return 1; }
	bench_quiet 120 || { bench_log "oms-worker did not finish the seed orders in 120 s"; return 1; }
	BENCH_IDS=$BENCH_TMP/ids
	export BENCH_IDS
	bench_redis ZREVRANGE "oms:customer:$BENCH_CUSTOMER:orders" 0 -1 >"$BENCH_IDS" || return 1
	BENCH_NORDERS=$(wc -l <"$BENCH_IDS")
	[ "$BENCH_NORDERS" -ge 10 ] || { bench_log "only $BENCH_NORDERS orders were applied"; return 1; }
	bench_log "$BENCH_NORDERS orders applied"
}

# bench_expect STATUS URL [CURL ARGS...]: one request answers STATUS.
bench_expect() {
	local want=$1 url=$2 got
	shift 2
	got=$(curl -s -o "$BENCH_TMP/expect.body" -w '%{http_code}' "$@" "$url")
	if [ "$got" != "$want" ]; then
		bench_log "$url: expected $want, got $got: $(head -c 300 "$BENCH_TMP/expect.body")"
		return 1
	fi
}

# bench_omsctl ARGS...: omsctl against the oms stack's Redis.
bench_omsctl() {
	env -u OMS_REDIS_PASSWORD OMS_REDIS_URL="$STACK_REDIS_URL" \
		OMS_REDIS_PASSWORD_FILE="$OMS_STACK_DIR/secrets/redis-omsctl" \
		"$OMS_BUILDDIR/omsctl" "$@" 2>>"$OMS_STACK_DIR/omsctl.log"
}

# bench_rss_kb PID...: the resident set size of each pid in KiB, one a line.
bench_rss_kb() {
	local pid
	for pid in "$@"; do
		awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null
	done
}
