# shellcheck shell=bash
# t/lib-stack.sh — throwaway redis-server and rabbitmq-server instances.
#
# Sourced by bash test scripts (after t/test-lib.sh) and by scripts/up. Each
# stack lives in one directory (STACK_DIR): its secrets, rendered configs,
# data, logs and the pid file of every process started for it, under
# "$STACK_DIR/pids/". Stopping reads those pid files and touches nothing else:
# no process is ever selected by name. The default ports (6379, 5672, epmd's
# 4369) are never used; each stack takes free loopback ports and runs its own
# epmd.
#
#   . "$OMS_SRCDIR/t/lib-stack.sh"
#   stack_init "$TRASH_DIRECTORY/stack"
#   stack_start_redis && stack_start_rabbitmq
#   stack_redis_cli ping
#   stack_rabbitmqctl list_queues -p oms
#   stack_stop_all
#
# Exported after a start: STACK_DIR; STACK_REDIS_PORT, STACK_REDIS_URL;
# STACK_AMQP_PORT, STACK_AMQP_URL, STACK_RABBIT_NODE, STACK_RABBIT_EPMD_PORT,
# STACK_RABBIT_DIST_PORT; STACK_PROVIDER_PORT, STACK_PROVIDER_URL (the provider
# simulator). URLs carry no credentials: stack_redis_url USER and
# stack_amqp_url USER print URLs with them, stack_secret NAME prints one
# password and stack_secret_file NAME its path (for NAME_FILE variables; the
# file holds the password with no trailing newline).
#
# Functions return 0 on success and non-zero with a message on stderr
# otherwise; none of them exits the calling shell.

: "${OMS_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export OMS_SRCDIR

# Every secret stack_secrets creates: redis-<user> and amqp-<user>.
STACK_SECRET_NAMES="redis-default redis-oms-fcgi redis-oms-worker redis-omsctl
redis-oms-notify amqp-oms-fcgi amqp-oms-worker amqp-omsctl amqp-oms-admin
amqp-oms-notify"

# Seconds a process may take to stop after SIGTERM before it gets SIGKILL.
: "${STACK_STOP_TIMEOUT:=15}"
# Seconds rabbitmq-server may take to start.
: "${STACK_RABBIT_START_TIMEOUT:=60}"

stack__err() {
	echo "lib-stack: $*" >&2
	return 1
}

stack__need_dir() {
	if [ -z "${STACK_DIR:-}" ] || [ ! -d "$STACK_DIR/pids" ]; then
		stack__err "call stack_init DIR first"
	fi
}

# Milliseconds since the epoch.
stack__now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# stack_init DIR: use DIR (created if needed) for this stack; sets and
# exports STACK_DIR (absolute). On a DIR used before (say by scripts/up, read
# again by scripts/down) it also exports the ports recorded there.
stack_init() {
	local dir=${1:?stack_init DIR}
	mkdir -p "$dir/pids" "$dir/secrets" || return 1
	chmod 700 "$dir/secrets" || return 1
	STACK_DIR=$(cd "$dir" && pwd) || return 1
	export STACK_DIR
	if [ -s "$STACK_DIR/redis/port" ]; then
		STACK_REDIS_PORT=$(cat "$STACK_DIR/redis/port")
		stack__redis_daemon_url
	fi
	stack__rabbit_load || true
}

# stack__port_busy PORT: true when something accepts connections on PORT on
# the IPv4 or IPv6 loopback.
stack__port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
	(exec 3<>"/dev/tcp/::1/$1") 2>/dev/null
}

# stack_free_port: print a loopback TCP port that nothing listens on and that this STACK_DIR has not handed out before
# (recorded in $STACK_DIR/ports). The default range ends below the kernel's
# ephemeral ports (ip_local_port_range), which outgoing connections take:
# a port picked there may be in use by the time a server binds it.
stack_free_port() {
	local eph lo hi port try
	eph=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	[[ $eph =~ ^[0-9]+$ ]] && [ "$eph" -gt 12000 ] || eph=32768
	lo=10000
	hi=$((eph - 20))
	for ((try = 0; try < 500; try++)); do
		port=$((lo + (${SRANDOM:-$((RANDOM * 32768 + RANDOM))} % (hi - lo + 1))))
		if [ -n "${STACK_DIR:-}" ] &&
			grep -qx "$port" "$STACK_DIR/ports" 2>/dev/null; then
			continue
		fi
		stack__port_busy "$port" && continue
		if [ -n "${STACK_DIR:-}" ]; then
			echo "$port" >>"$STACK_DIR/ports" || return 1
		fi
		echo "$port"
		return 0
	done
	stack__err "no free port in $lo..$hi"
}

# stack_secrets: create, once, a random password per user in
# $STACK_DIR/secrets/ (mode 600, 48 hex digits, no trailing newline).
stack_secrets() {
	local name file
	stack__need_dir || return 1
	for name in $STACK_SECRET_NAMES; do
		file=$STACK_DIR/secrets/$name
		[ -s "$file" ] && continue
		(umask 077 && printf '%s' "$(openssl rand -hex 24)" >"$file.tmp" &&
			mv "$file.tmp" "$file") || return 1
	done
}

# stack_secret NAME: print the password NAME (e.g. redis-omsctl).
stack_secret() {
	local file=${STACK_DIR:?}/secrets/${1:?stack_secret NAME}
	[ -s "$file" ] || stack__err "no secret $1 (stack_secrets first)" || return 1
	cat "$file"
}

# stack_secret_file NAME: print the path of the file holding password NAME.
stack_secret_file() {
	local file=${STACK_DIR:?}/secrets/${1:?stack_secret_file NAME}
	[ -s "$file" ] || stack__err "no secret $1 (stack_secrets first)" || return 1
	echo "$file"
}

# stack_render TEMPLATE OUT VAR=value...: copy TEMPLATE to OUT replacing each
# @VAR@ by value (any characters but newline). Fails, leaving no OUT, when an
# @UPPER_CASE@ placeholder remains.
stack_render() {
	local tmpl=${1:?stack_render TEMPLATE OUT VAR=value...} out=${2:?stack_render TEMPLATE OUT VAR=value...}
	local kv name val script=''
	shift 2
	for kv in "$@"; do
		name=${kv%%=*}
		val=${kv#*=}
		[[ $kv == *=* && $name =~ ^[A-Z_][A-Z0-9_]*$ ]] ||
			stack__err "stack_render: bad assignment '$name'" || return 1
		[[ $val != *$'\n'* ]] ||
			stack__err "stack_render: newline in the value of $name" || return 1
		# Escape what sed's replacement treats specially: \ & and the | delimiter.
		val=${val//\\/\\\\}
		val=${val//&/\\&}
		val=${val//|/\\|}
		script+="s|@${name}@|${val}|g"$'\n'
	done
	sed -e "$script" "$tmpl" >"$out.tmp" || { rm -f "$out.tmp"; return 1; }
	if grep -nE '@[A-Z_][A-Z0-9_]*@' "$out.tmp" >&2; then
		rm -f "$out.tmp"
		stack__err "stack_render: placeholders left in $out (above)"
		return 1
	fi
	mv "$out.tmp" "$out"
}

# Hex SHA-256 of $1, as Redis ACL files want it ("#<hex>").
stack__redis_hash() {
	local sum
	sum=$(printf '%s' "$1" | sha256sum) || return 1
	echo "${sum%% *}"
}

# RabbitMQ's rabbit_password_hashing_sha256 hash of $1:
# base64(salt ++ sha256(salt ++ password)), with a random 4-byte salt.
stack__rabbit_hash() {
	local salt esc
	salt=$(openssl rand -hex 4) || return 1
	esc="\\x${salt:0:2}\\x${salt:2:2}\\x${salt:4:2}\\x${salt:6:2}"
	{
		printf '%b' "$esc"
		{ printf '%b' "$esc"; printf '%s' "$1"; } | openssl dgst -sha256 -binary
	} | base64 -w0
}

# Start time (clock ticks since boot) of process $1, to tell a process from a
# later one that reused its pid.
stack__starttime() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	# shellcheck disable=SC2086 # split the fields on purpose
	set -- $stat
	echo "${20}"
}

# stack__record NAME PID: write $STACK_DIR/pids/NAME.pid (and the start time
# beside it, NAME.start).
stack__record() {
	echo "$2" >"$STACK_DIR/pids/$1.pid" || return 1
	stack__starttime "$2" >"$STACK_DIR/pids/$1.start" || true
}

# stack__alive PIDFILE: print the pid and succeed when the process the pid
# file names still runs (and, when a .start file is beside it, is the same
# process that was recorded).
stack__alive() {
	local file=$1 pid start
	[ -s "$file" ] || return 1
	pid=$(head -n 1 "$file")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	stack__running "$pid" || return 1
	if [ -s "${file%.pid}.start" ]; then
		start=$(stack__starttime "$pid") || return 1
		[ "$start" = "$(cat "${file%.pid}.start")" ] || return 1
	fi
	echo "$pid"
}

# stack__running PID: true while PID runs (an exited process that its
# parent has not reaped yet, a zombie, counts as gone).
stack__running() {
	local stat
	kill -0 "$1" 2>/dev/null || return 1
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# stack__wait_gone PID DECISECONDS: wait until PID has exited.
stack__wait_gone() {
	local i
	for ((i = 0; i < $2; i++)); do
		stack__running "$1" || return 0
		sleep 0.1
	done
	! stack__running "$1"
}

# stack_stop_pidfile PIDFILE [SECONDS]: SIGTERM the process, wait up to
# SECONDS (default STACK_STOP_TIMEOUT), then SIGKILL; remove the pid file.
# A process already gone is not an error.
stack_stop_pidfile() {
	local file=${1:?stack_stop_pidfile PIDFILE} secs=${2:-$STACK_STOP_TIMEOUT} pid
	if pid=$(stack__alive "$file"); then
		kill -TERM "$pid" 2>/dev/null
		if ! stack__wait_gone "$pid" $((secs * 10)); then
			echo "lib-stack: pid $pid ($file) ignored SIGTERM for ${secs}s: SIGKILL" >&2
			kill -KILL "$pid" 2>/dev/null
			stack__wait_gone "$pid" 50 ||
				stack__err "pid $pid ($file) survives SIGKILL" || return 1
		fi
	fi
	rm -f "$file" "${file%.pid}.start"
}

# --- Redis -----------------------------------------------------------------

# stack__redis_daemon_url: export STACK_REDIS_PORT and STACK_REDIS_URL, the
# URL oms-fcgi and oms-worker get: TCP on STACK_REDIS_PORT, or this stack's
# unix socket when STACK_REDIS_UNIX=1 (bench/ and some tests).
stack__redis_daemon_url() {
	if [ "${STACK_REDIS_UNIX:-0}" = 1 ]; then
		STACK_REDIS_URL="unix://$STACK_DIR/redis-sock/redis.sock"
	else
		STACK_REDIS_URL="redis://127.0.0.1:$STACK_REDIS_PORT/0"
	fi
	export STACK_REDIS_PORT STACK_REDIS_URL
}

# stack_start_redis: render $STACK_DIR/redis/{users.acl,redis.conf} (the
# latter includes $OMS_SRCDIR/redis/redis.conf, then sets port, dir, pidfile,
# logfile, aclfile), start redis-server and wait until omsctl gets PONG.
# A restart reuses the port and the data. Exports STACK_REDIS_PORT and
# STACK_REDIS_URL.
stack_start_redis() {
	local d port i
	stack__need_dir && stack_secrets || return 1
	d=$STACK_DIR/redis
	mkdir -p "$d/data" && chmod 700 "$d" || return 1
	if stack__alive "$STACK_DIR/pids/redis.pid" >/dev/null; then
		stack__err "redis already runs for $STACK_DIR"
		return 1
	fi
	if [ -s "$d/port" ]; then
		port=$(cat "$d/port")
	else
		port=$(stack_free_port) && echo "$port" >"$d/port" || return 1
	fi
	(umask 077 && stack_render "$OMS_SRCDIR/redis/users.acl.in" "$d/users.acl" \
		REDIS_DEFAULT_HASH="$(stack__redis_hash "$(stack_secret redis-default)")" \
		REDIS_OMS_FCGI_HASH="$(stack__redis_hash "$(stack_secret redis-oms-fcgi)")" \
		REDIS_OMS_WORKER_HASH="$(stack__redis_hash "$(stack_secret redis-oms-worker)")" \
		REDIS_OMSCTL_HASH="$(stack__redis_hash "$(stack_secret redis-omsctl)")" \
		REDIS_OMS_NOTIFY_HASH="$(stack__redis_hash "$(stack_secret redis-oms-notify)")") || return 1
	# Also a unix socket, in a directory of its own that the daemons (user
	# nobody) can traverse; the ACL users still need their passwords.
	mkdir -p "$STACK_DIR/redis-sock" && chmod 755 "$STACK_DIR/redis-sock" ||
		return 1
	cat >"$d/redis.conf" <<EOF || return 1
# Written by t/lib-stack.sh: the base config, then this stack's own settings.
include "$OMS_SRCDIR/redis/redis.conf"
port $port
unixsocket "$STACK_DIR/redis-sock/redis.sock"
unixsocketperm 777
dir "$d/data"
pidfile "$STACK_DIR/pids/redis.pid"
logfile "$d/redis.log"
aclfile "$d/users.acl"
daemonize yes
EOF
	redis-server "$d/redis.conf" </dev/null >>"$d/redis.log" 2>&1 || {
		tail -n 20 "$d/redis.log" >&2
		stack__err "redis-server failed to start"
		return 1
	}
	STACK_REDIS_PORT=$port
	stack__redis_daemon_url
	for ((i = 0; i < 100; i++)); do
		if [ "$(stack_redis_cli ping 2>/dev/null)" = PONG ] &&
			[ -s "$STACK_DIR/pids/redis.pid" ]; then
			stack__record redis "$(cat "$STACK_DIR/pids/redis.pid")"
			stack_load_functions
			return
		fi
		sleep 0.1
	done
	tail -n 20 "$d/redis.log" >&2
	stack__err "redis on port $port did not answer PING within 10 s"
}

# stack_load_functions: FUNCTION LOAD REPLACE redis/oms.lua as oms-worker,
# as oms-worker does at start: oms-fcgi calls oms_request_cancel for every
# cancel and delete, also in scripts that run no worker. Unless
# STACK_REDIS_NO_FUNCTIONS=1.
stack_load_functions() {
	[ "${STACK_REDIS_NO_FUNCTIONS:-0}" = 1 ] && return 0
	stack_redis_cli_as oms-worker -x FUNCTION LOAD REPLACE \
	    <"$OMS_SRCDIR/redis/oms.lua" 2>&1 | grep -qx oms ||
		stack__err "FUNCTION LOAD of redis/oms.lua failed"
}

# stack_redis_cli_as USER [ARGS...]: redis-cli as USER against this stack's
# Redis (password through REDISCLI_AUTH, never on the command line).
stack_redis_cli_as() {
	local user=${1:?stack_redis_cli_as USER [ARGS...]} pass
	shift
	pass=$(stack_secret "redis-$user") || return 1
	REDISCLI_AUTH=$pass redis-cli -h 127.0.0.1 -p "${STACK_REDIS_PORT:?}" --user "$user" "$@"
}

# stack_redis_cli [ARGS...]: redis-cli as omsctl.
stack_redis_cli() {
	stack_redis_cli_as omsctl "$@"
}

# stack_redis_url USER: print redis://USER:PASSWORD@127.0.0.1:PORT/0.
stack_redis_url() {
	local pass
	pass=$(stack_secret "redis-${1:?stack_redis_url USER}") || return 1
	echo "redis://$1:$pass@127.0.0.1:${STACK_REDIS_PORT:?}/0"
}

# stack_stop_redis: stop this stack's redis-server (SIGTERM: Redis fsyncs the
# AOF and exits). Already stopped is not an error.
stack_stop_redis() {
	stack__need_dir || return 1
	stack_stop_pidfile "$STACK_DIR/pids/redis.pid"
}

# stack_restart_redis: stop, then start on the same port and data.
stack_restart_redis() {
	stack_stop_redis && stack_start_redis
}

# --- RabbitMQ --------------------------------------------------------------
#
# Debian's /usr/sbin/rabbitmq-server and rabbitmqctl, run as root, switch to
# the rabbitmq user with `su` (which keeps the environment but sets HOME to
# /var/lib/rabbitmq, so the node and the CLI share that Erlang cookie). So
# as root the node's directory is owned by rabbitmq and every directory above
# it must be traversable by others. Run as another user, the scripts under
# /usr/lib/rabbitmq/bin are called directly and use that user's cookie.

# stack__rabbit_bin NAME: the rabbitmq script to run as the current user.
stack__rabbit_bin() {
	if [ "$(id -u)" = 0 ]; then
		echo "/usr/sbin/$1"
	else
		echo "/usr/lib/rabbitmq/bin/$1"
	fi
}

# stack__rabbit_load: read this stack's RabbitMQ ports and node name (chosen
# by the first start) and export them.
stack__rabbit_load() {
	local env=$STACK_DIR/rabbitmq/stack.env
	[ -s "$env" ] || return 1
	# shellcheck source=/dev/null
	. "$env" || return 1
	STACK_AMQP_URL="amqp://127.0.0.1:$STACK_AMQP_PORT/oms"
	export STACK_AMQP_PORT STACK_AMQP_URL STACK_RABBIT_NODE \
		STACK_RABBIT_EPMD_PORT STACK_RABBIT_DIST_PORT STACK_RABBIT_CTL_PORT
}

# stack__rabbit_env CMD...: run CMD with the environment of this stack's node.
stack__rabbit_env() {
	local d=$STACK_DIR/rabbitmq
	env RABBITMQ_NODENAME="$STACK_RABBIT_NODE" \
		RABBITMQ_CONF_ENV_FILE="$d/rabbitmq-env.conf" \
		RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf" \
		RABBITMQ_ADVANCED_CONFIG_FILE="$d/advanced.config" \
		RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins" \
		RABBITMQ_MNESIA_BASE="$d/mnesia" \
		RABBITMQ_LOG_BASE="$d/log" \
		RABBITMQ_PID_FILE="$d/rabbitmq.pid" \
		RABBITMQ_DIST_PORT="$STACK_RABBIT_DIST_PORT" \
		RABBITMQ_CTL_DIST_PORT_MIN="$STACK_RABBIT_CTL_PORT" \
		RABBITMQ_CTL_DIST_PORT_MAX="$((STACK_RABBIT_CTL_PORT + 10))" \
		RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
		ERL_EPMD_ADDRESS=127.0.0.1 \
		ERL_EPMD_PORT="$STACK_RABBIT_EPMD_PORT" \
		"$@"
}

# stack__traversable DIR: make DIR and the directories above it searchable
# by others (the rabbitmq user), changing only those we own that are not.
stack__traversable() {
	local dir=$1
	while [ -n "$dir" ] && [ "$dir" != / ]; do
		if [ -O "$dir" ] && [ "$(($(stat -c %#a "$dir") & 1))" = 0 ]; then
			chmod o+x "$dir" || return 1
		fi
		dir=${dir%/*}
	done
}

# stack_start_rabbitmq: render the config and definitions in
# $STACK_DIR/rabbitmq, start a private node (own epmd, ports, Mnesia) in the
# background and wait until it runs. A restart reuses ports, node name and
# data. Exports STACK_AMQP_PORT, STACK_AMQP_URL, STACK_RABBIT_NODE,
# STACK_RABBIT_EPMD_PORT, STACK_RABBIT_DIST_PORT; leaves the start time in
# milliseconds in STACK_RABBIT_START_MS.
stack_start_rabbitmq() {
	local d t0 deadline launcher epmd_pid user
	stack__need_dir && stack_secrets || return 1
	d=$STACK_DIR/rabbitmq
	mkdir -p "$d/mnesia" "$d/log" || return 1
	if stack__alive "$STACK_DIR/pids/rabbitmq.pid" >/dev/null; then
		stack__err "rabbitmq already runs for $STACK_DIR"
		return 1
	fi
	if ! stack__rabbit_load; then
		# The CLI's distribution ports are CTL..CTL+10; RabbitMQ wants
		# them below 65536, hence the lower ranges.
		STACK_AMQP_PORT=$(stack_free_port) &&
			STACK_RABBIT_DIST_PORT=$(stack_free_port) &&
			STACK_RABBIT_EPMD_PORT=$(stack_free_port) &&
			STACK_RABBIT_CTL_PORT=$(stack_free_port) || return 1
		STACK_RABBIT_NODE="oms-$STACK_AMQP_PORT@localhost"
		cat >"$d/stack.env" <<EOF || return 1
STACK_AMQP_PORT=$STACK_AMQP_PORT
STACK_RABBIT_DIST_PORT=$STACK_RABBIT_DIST_PORT
STACK_RABBIT_EPMD_PORT=$STACK_RABBIT_EPMD_PORT
STACK_RABBIT_CTL_PORT=$STACK_RABBIT_CTL_PORT
STACK_RABBIT_NODE=$STACK_RABBIT_NODE
EOF
		stack__rabbit_load || return 1
	fi
	stack_render "$OMS_SRCDIR/rabbitmq/rabbitmq.conf.in" "$d/rabbitmq.conf" \
		AMQP_PORT="$STACK_AMQP_PORT" DEFINITIONS="$d/definitions.json" || return 1
	(umask 077 && stack_render "$OMS_SRCDIR/rabbitmq/definitions.json.in" "$d/definitions.json" \
		AMQP_OMS_FCGI_HASH="$(stack__rabbit_hash "$(stack_secret amqp-oms-fcgi)")" \
		AMQP_OMS_WORKER_HASH="$(stack__rabbit_hash "$(stack_secret amqp-oms-worker)")" \
		AMQP_OMSCTL_HASH="$(stack__rabbit_hash "$(stack_secret amqp-omsctl)")" \
		AMQP_OMS_ADMIN_HASH="$(stack__rabbit_hash "$(stack_secret amqp-oms-admin)")" \
		AMQP_OMS_NOTIFY_HASH="$(stack__rabbit_hash "$(stack_secret amqp-oms-notify)")") || return 1
	echo '[].' >"$d/enabled_plugins" && : >"$d/rabbitmq-env.conf" || return 1
	rm -f "$d/rabbitmq.pid"
	if [ "$(id -u)" = 0 ]; then
		user=rabbitmq
		chown -R "$user:" "$d" && chmod 750 "$d" && stack__traversable "$STACK_DIR" || return 1
	fi
	t0=$(stack__now_ms)
	# setsid: the node must not get the terminal's or the test's signals.
	# The launcher (su + the rabbitmq-server script) waits for the node.
	stack__rabbit_env setsid "$(stack__rabbit_bin rabbitmq-server)" \
		</dev/null >>"$d/log/startup.log" 2>&1 &
	launcher=$!
	echo "$launcher" >"$d/launcher.pid"
	# The node writes its pid file early in its boot, after it has started
	# epmd; only then is the CLI asked to wait for the boot to complete.
	deadline=$((t0 + STACK_RABBIT_START_TIMEOUT * 1000))
	while [ ! -s "$d/rabbitmq.pid" ] && stack__running "$launcher" &&
		[ "$(stack__now_ms)" -lt "$deadline" ]; do
		sleep 0.1
	done
	# Recorded at once, so that an interrupted wait still stops the node.
	[ -s "$d/rabbitmq.pid" ] && stack__record rabbitmq "$(cat "$d/rabbitmq.pid")"
	if [ ! -s "$d/rabbitmq.pid" ] ||
		! stack_rabbitmqctl wait --timeout $(((deadline - $(stack__now_ms)) / 1000 + 1)) \
			"$d/rabbitmq.pid" >>"$d/log/wait.log" 2>&1; then
		tail -n 30 "$d/log/startup.log" "$d/log/wait.log" >&2
		stack__err "rabbitmq node $STACK_RABBIT_NODE did not start (logs in $d/log)"
		stack_stop_rabbitmq
		return 1
	fi
	STACK_RABBIT_START_MS=$(($(stack__now_ms) - t0))
	export STACK_RABBIT_START_MS
	epmd_pid=$(stack__listener_pid "$STACK_RABBIT_EPMD_PORT")
	[ -n "$epmd_pid" ] && stack__record rabbitmq-epmd "$epmd_pid"
	return 0
}

# stack__listener_pid PORT: the pid of the process listening on loopback
# TCP PORT (from ss), if any.
stack__listener_pid() {
	local line
	line=$(ss -Hltnp "sport = :$1" 2>/dev/null)
	[[ $line =~ pid=([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
}

# stack_rabbitmqctl ARGS...: rabbitmqctl against this stack's node. Fails at
# once when the node does not run: the CLI would otherwise start an epmd of
# its own on our port, outliving it.
stack_rabbitmqctl() {
	stack__need_dir && stack__rabbit_load ||
		stack__err "no rabbitmq in $STACK_DIR (stack_start_rabbitmq first)" || return 1
	stack__alive "$STACK_DIR/rabbitmq/rabbitmq.pid" >/dev/null ||
		stack__err "rabbitmq node $STACK_RABBIT_NODE is not running" || return 1
	stack__rabbit_env "$(stack__rabbit_bin rabbitmqctl)" -n "$STACK_RABBIT_NODE" "$@"
}

# stack_amqp_url USER: print amqp://USER:PASSWORD@127.0.0.1:PORT/oms.
stack_amqp_url() {
	local pass
	pass=$(stack_secret "amqp-${1:?stack_amqp_url USER}") || return 1
	echo "amqp://$1:$pass@127.0.0.1:${STACK_AMQP_PORT:?}/oms"
}

# stack_stop_rabbitmq: stop this stack's node (SIGTERM is a graceful stop),
# then its private epmd, and check that none of them is left. Already
# stopped is not an error.
stack_stop_rabbitmq() {
	local d launcher pid ours='' rc=0
	stack__need_dir || return 1
	d=$STACK_DIR/rabbitmq
	stack__rabbit_load || return 0 # never started here
	pid=$(stack__alive "$STACK_DIR/pids/rabbitmq.pid") && ours="$ours $pid"
	stack_stop_pidfile "$STACK_DIR/pids/rabbitmq.pid" || rc=1
	# The launcher (su and the rabbitmq-server script) ends with the node.
	if [ -s "$d/launcher.pid" ]; then
		launcher=$(cat "$d/launcher.pid")
		ours="$ours $launcher"
		if ! stack__wait_gone "$launcher" 50; then
			kill -TERM "$launcher" 2>/dev/null
			stack__wait_gone "$launcher" 50 || rc=1
		fi
		rm -f "$d/launcher.pid"
	fi
	# Our epmd: ask it to quit (it refuses while a node is registered), then
	# make sure by pid. It may also be one a CLI call started on our port.
	ERL_EPMD_ADDRESS=127.0.0.1 epmd -port "$STACK_RABBIT_EPMD_PORT" -kill >/dev/null 2>&1
	pid=$(stack__listener_pid "$STACK_RABBIT_EPMD_PORT")
	if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = epmd ] &&
		[ ! -s "$STACK_DIR/pids/rabbitmq-epmd.pid" ]; then
		stack__record rabbitmq-epmd "$pid"
	fi
	pid=$(stack__alive "$STACK_DIR/pids/rabbitmq-epmd.pid") && ours="$ours $pid"
	stack_stop_pidfile "$STACK_DIR/pids/rabbitmq-epmd.pid" 5 || rc=1
	for pid in $ours; do
		if stack__running "$pid"; then
			stack__err "pid $pid (rabbitmq or its epmd) still runs after the stop"
			rc=1
		fi
	done
	return $rc
}

# stack_restart_rabbitmq: stop, then start on the same ports and data.
stack_restart_rabbitmq() {
	stack_stop_rabbitmq && stack_start_rabbitmq
}

# --- Everything --------------------------------------------------------------

# stack_retry SECONDS CMD...: run CMD until it succeeds, for at most SECONDS.
stack_retry() {
	local deadline=$(($(stack__now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(stack__now_ms)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# ------------------------------------------------------------ oms-fcgi, nginx

# stack_start_fcgi [VAR=value...]: starts oms-fcgi (the master; pid file
# pids/oms-fcgi.pid) on the unix socket $STACK_DIR/fcgi.sock with the
# Redis/RabbitMQ credentials of the oms-fcgi users, any OMS_* variables of
# the caller, then the VAR=value arguments. Waits for the socket.
stack_start_fcgi() {
	local log="$STACK_DIR/oms-fcgi.log"
	stack__need_dir && stack_secrets || return 1
	STACK_FCGI_SOCKET="$STACK_DIR/fcgi/fcgi.sock"
	export STACK_FCGI_SOCKET
	# Started as root, oms-fcgi drops to OMS_USER (default nobody) and
	# must still be able to remove its socket when it stops.
	mkdir -p "$STACK_DIR/fcgi" || return 1
	# The socket is 0660 and only nginx's workers may reach it, as with the
	# installed service (oms:oms, nginx in group oms): as root they run as
	# nobody:nogroup (stack_start_nginx), so the directory is setgid
	# nogroup and the socket created in it gets that group; otherwise they
	# run as our own user, the socket's owner. Nobody else gets in.
	if [ "$(id -u)" = 0 ]; then
		chown "${OMS_USER:-nobody}:nogroup" "$STACK_DIR/fcgi" &&
		chmod 2750 "$STACK_DIR/fcgi" || return 1
	else
		chmod 0700 "$STACK_DIR/fcgi" || return 1
	fi
	rm -f "$STACK_FCGI_SOCKET"
	env OMS_FCGI_LISTEN="$STACK_FCGI_SOCKET" \
	    OMS_FCGI_SOCKET_MODE=0660 \
	    OMS_FCGI_PROCESSES="${OMS_FCGI_PROCESSES:-2}" \
	    OMS_AMQP_URL="${STACK_AMQP_URL:-amqp://127.0.0.1:1/oms}" \
	    OMS_AMQP_PASSWORD_FILE="$STACK_DIR/secrets/amqp-oms-fcgi" \
	    OMS_REDIS_URL="${STACK_REDIS_URL:-redis://127.0.0.1:1/0}" \
	    OMS_REDIS_PASSWORD_FILE="$STACK_DIR/secrets/redis-oms-fcgi" \
	    "$@" "$OMS_BUILDDIR/oms-fcgi" >>"$log" 2>&1 </dev/null &
	stack__record oms-fcgi $! || return 1
	if ! stack_retry 10 test -S "$STACK_FCGI_SOCKET"; then
		echo "oms-fcgi did not open $STACK_FCGI_SOCKET; its log:" >&2
		tail -n 20 "$log" >&2
		return 1
	fi
}

# stack_fcgi_pid: the master's pid.
stack_fcgi_pid() {
	cat "$STACK_DIR/pids/oms-fcgi.pid"
}

# stack_fcgi_children: the pids of the master's children, one per line.
stack_fcgi_children() {
	ps -o pid= --ppid "$(stack_fcgi_pid)" | tr -d ' ' | sort
}

# stack_stop_fcgi: SIGTERM to the master, wait for it (at most 12 s).
stack_stop_fcgi() {
	stack_stop_pidfile "$STACK_DIR/pids/oms-fcgi.pid" 12
}

# stack_start_worker [VAR=value...]: starts oms-worker (the master; pid file
# pids/oms-worker.pid) with the oms-worker credentials and the Function
# library of the source tree, any OMS_* variables of the caller, then the
# VAR=value arguments. Its providers are the stack's oms-provider-sim,
# started here unless it runs; OMS_PAYMENT_DELAY_MS and OMS_SHIPPING_DELAY_MS
# (arguments, else the environment, else 0) are set on the simulator at
# run time (PUT /_sim/config), so a restart of the worker with other delays
# changes them. Waits until the worker's children run.
stack_start_worker() {
	local log="$STACK_DIR/oms-worker.log" arg pay=${OMS_PAYMENT_DELAY_MS:-0}
	local ship=${OMS_SHIPPING_DELAY_MS:-0}
	stack__need_dir && stack_secrets || return 1
	for arg in "$@"; do
		case $arg in
		OMS_PAYMENT_DELAY_MS=*) pay=${arg#*=} ;;
		OMS_SHIPPING_DELAY_MS=*) ship=${arg#*=} ;;
		esac
	done
	if ! stack__alive "$STACK_DIR/pids/oms-provider-sim.pid" >/dev/null; then
		stack_start_provider_sim \
		    OMS_PROVIDER_SIM_JITTER_PCT="${OMS_PROVIDER_SIM_JITTER_PCT:-20}" ||
			return 1
	fi
	# (zero delays may be refused by a stand-in that only answers /healthz,
	# as t8001's stub)
	stack_provider_sim_set "{\"paymentDelayMs\":$pay,\"shippingDelayMs\":$ship}" \
	    >/dev/null 2>&1 || [ "$pay$ship" = 00 ] || return 1
	env OMS_WORKER_PROCESSES="${OMS_WORKER_PROCESSES:-2}" \
	    OMS_PAYMENT_URL="$STACK_PROVIDER_URL" \
	    OMS_SHIPPING_URL="$STACK_PROVIDER_URL" \
	    OMS_AMQP_URL="${STACK_AMQP_URL:-amqp://127.0.0.1:1/oms}" \
	    OMS_AMQP_PASSWORD_FILE="$STACK_DIR/secrets/amqp-oms-worker" \
	    OMS_REDIS_URL="${STACK_REDIS_URL:-redis://127.0.0.1:1/0}" \
	    OMS_REDIS_PASSWORD_FILE="$STACK_DIR/secrets/redis-oms-worker" \
	    OMS_REDIS_FUNCTIONS="$OMS_SRCDIR/redis/oms.lua" \
	    "$@" "$OMS_BUILDDIR/oms-worker" >>"$log" 2>&1 </dev/null &
	stack__record oms-worker $! || return 1
	stack__wait_master oms-worker "$log"
}

# stack__wait_master NAME LOG: waits (15 s) until the pre-fork master NAME
# logged that its children run; otherwise shows LOG's tail and fails.
stack__wait_master() {
	stack_retry 15 grep -q "running [0-9]* children" "$2" && return 0
	echo "$1 did not start; its log:" >&2
	tail -n 20 "$2" >&2
	return 1
}

# stack_worker_pid: the worker master's pid.
stack_worker_pid() {
	cat "$STACK_DIR/pids/oms-worker.pid"
}

# stack_worker_children: the pids of the worker master's children.
stack_worker_children() {
	ps -o pid= --ppid "$(stack_worker_pid)" | tr -d ' ' | sort
}

# stack_stop_worker: SIGTERM to the worker master, wait (at most 12 s).
stack_stop_worker() {
	stack_stop_pidfile "$STACK_DIR/pids/oms-worker.pid" 12
}

# ------------------------------------------------------------ oms-provider-sim

# stack_start_provider_sim [VAR=value...]: starts oms-provider-sim (pid file
# pids/oms-provider-sim.pid, log oms-provider-sim.log) on a free loopback
# port, with any OMS_* variables of the caller, then the VAR=value
# arguments; waits until /healthz answers. A restart reuses the port (the
# worker keeps its URL). Exports STACK_PROVIDER_PORT and STACK_PROVIDER_URL
# (http://127.0.0.1:PORT: both the payment and the shipping base URL).
# STACK_PROVIDER_SIM_WRAPPER, when set, is a command line run in front of
# the binary (e.g. "valgrind --error-exitcode=3 --leak-check=full").
stack_start_provider_sim() {
	local log="$STACK_DIR/oms-provider-sim.log" portfile try port pid
	local -a wrap=()
	stack__need_dir || return 1
	read -ra wrap <<<"${STACK_PROVIDER_SIM_WRAPPER:-}"
	portfile=$STACK_DIR/provider-sim.port
	if stack__alive "$STACK_DIR/pids/oms-provider-sim.pid" >/dev/null; then
		stack__err "oms-provider-sim already runs for $STACK_DIR"
		return 1
	fi
	for try in 1 2 3 4 5; do
		if [ -s "$portfile" ]; then
			port=$(cat "$portfile")
		else
			port=$(stack_free_port) && echo "$port" >"$portfile" || return 1
		fi
		env OMS_PROVIDER_SIM_LISTEN="127.0.0.1:$port" \
		    "$@" "${wrap[@]}" "$OMS_BUILDDIR/oms-provider-sim" >>"$log" 2>&1 </dev/null &
		pid=$!
		stack__record oms-provider-sim "$pid" || return 1
		STACK_PROVIDER_PORT=$port
		STACK_PROVIDER_URL="http://127.0.0.1:$port"
		export STACK_PROVIDER_PORT STACK_PROVIDER_URL
		if stack_retry 10 stack__provider_sim_up "$pid"; then
			stack__running "$pid" && return 0
		fi
		# Someone took a fresh port between the check and the bind:
		# pick another one (a recorded port is kept).
		if stack__running "$pid" || [ "$try" = 5 ] ||
			! tail -n 3 "$log" | grep -q "cannot listen"; then
			break
		fi
		rm -f "$portfile"
	done
	echo "oms-provider-sim did not answer on $STACK_PROVIDER_URL; its log:" >&2
	tail -n 20 "$log" >&2
	stack_stop_provider_sim
	return 1
}

# stack__provider_sim_up PID: /healthz answers, or PID has exited (stop
# waiting either way; the caller tells which).
stack__provider_sim_up() {
	curl -fs -o /dev/null --max-time 2 "$STACK_PROVIDER_URL/healthz" ||
		! stack__running "$1"
}

# stack_provider_sim_pid: the simulator's pid.
stack_provider_sim_pid() {
	cat "$STACK_DIR/pids/oms-provider-sim.pid"
}

# stack_provider_sim_set JSON: PUT /_sim/config (delays and faults, any
# subset: see docs/providers.md); prints the whole configuration it answers.
stack_provider_sim_set() {
	curl -fsS --max-time 10 -X PUT -H "Content-Type: application/json" \
	    --data-binary "${1:?stack_provider_sim_set JSON}" \
	    "${STACK_PROVIDER_URL:?stack_start_provider_sim first}/_sim/config"
}

# stack_provider_sim_get PATH: prints the answer to GET PATH, e.g.
# "/charges?orderId=ID" or /_sim/stats; fails on a non-2xx answer.
stack_provider_sim_get() {
	curl -fsS --max-time 10 \
	    "${STACK_PROVIDER_URL:?stack_start_provider_sim first}${1:?stack_provider_sim_get PATH}"
}

# stack_stop_provider_sim: SIGTERM (held answers are sent first), wait.
stack_stop_provider_sim() {
	stack_stop_pidfile "$STACK_DIR/pids/oms-provider-sim.pid" 12
}

# stack_start_nginx [RATE [BURST [MAX_BODY]]]: renders and starts a
# private nginx in $STACK_DIR/nginx in front of $STACK_FCGI_SOCKET on
# STACK_HTTP_PORT (a free port when unset); exports OMS_URL.
stack_start_nginx() {
	local dir="$STACK_DIR/nginx" port=${STACK_HTTP_PORT:-} user_line='' try
	mkdir -p "$dir/tmp"
	[ "$(id -u)" = 0 ] && user_line="user nobody nogroup;"
	for try in 1 2 3 4 5; do
		[ -n "${STACK_HTTP_PORT:-}" ] || port=$(stack_free_port) || return 1
		stack_render "$OMS_SRCDIR/nginx/oms-site.conf.in" \
		    "$dir/oms-site.conf" \
		    HTTP_LISTEN="127.0.0.1:$port" \
		    FCGI_SOCKET="$STACK_FCGI_SOCKET" \
		    RATE="${1:-1000}" BURST="${2:-2000}" MAX_BODY="${3:-1m}" \
		    ACCESS_LOG="$dir/access.log" || return 1
		stack_render "$OMS_SRCDIR/nginx/nginx.conf.in" "$dir/nginx.conf" \
		    PREFIX="$dir" USER_LINE="$user_line" \
		    PID_FILE="$STACK_DIR/pids/nginx.pid" || return 1
		if nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" \
		    >>"$dir/nginx.out" 2>&1; then
			break
		fi
		# Someone took the port between the check and the bind: pick
		# another one, unless the caller chose it.
		if [ -n "${STACK_HTTP_PORT:-}" ] || [ "$try" = 5 ] ||
		    ! tail -n 3 "$dir/error.log" | grep -q "Address already in use"; then
			echo "nginx failed to start:" >&2
			tail -n 20 "$dir/error.log" >&2
			return 1
		fi
	done
	stack_retry 5 test -s "$STACK_DIR/pids/nginx.pid" || return 1
	stack__record nginx "$(cat "$STACK_DIR/pids/nginx.pid")" || return 1
	OMS_URL="http://127.0.0.1:$port"
	STACK_HTTP_PORT=$port
	export OMS_URL STACK_HTTP_PORT
}

stack_stop_nginx() {
	stack_stop_pidfile "$STACK_DIR/pids/nginx.pid" 10
}

# stack_wait_ready [SECONDS]: waits until $OMS_URL/readyz answers 200.
stack_wait_ready() {
	stack_retry "${1:-30}" curl -fs -o /dev/null "$OMS_URL/readyz"
}

# stack_sanitizer_reports: prints sanitizer reports found in the logs of
# the stack's daemons; fails when there is one.
stack_sanitizer_reports() {
	! grep -rEl 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
	    "$STACK_DIR"/*.log 2>/dev/null
}

# stack_no_secret_in FILE|DIR...: fails when one of this stack's passwords
# ($STACK_DIR/secrets/*, each looked for on its own) or an API key of
# stack_demo_keys (OMS_ADMIN_KEY, OMS_CUSTOMER_KEY, OMS_SHIPPER_KEY, when
# set) appears in one of the files (directories are searched); names what
# it found where. Every FILE must exist, and there must be secrets to look
# for: a check that cannot find anything fails.
stack_no_secret_in() {
	local f s n=0 rc=0 found
	[ $# -gt 0 ] || stack__err "stack_no_secret_in FILE|DIR..." || return 1
	for f in "$@"; do
		[ -e "$f" ] || stack__err "stack_no_secret_in: no $f" || return 1
	done
	for f in "$STACK_DIR"/secrets/* OMS_ADMIN_KEY OMS_CUSTOMER_KEY OMS_SHIPPER_KEY; do
		case $f in
		OMS_*) s=${!f:-} ;;
		*) [ -f "$f" ] || continue; s=$(cat "$f") ;;
		esac
		[ -n "$s" ] || continue
		n=$((n + 1))
		found=$(grep -rlF -e "$s" -- "$@")
		case $? in
		0) echo "lib-stack: ${f##*/} appears in: $found" >&2; rc=1 ;;
		1) ;;
		*) stack__err "stack_no_secret_in: cannot read $*"; rc=1 ;;
		esac
	done
	[ "$n" -ge 8 ] || stack__err "stack_no_secret_in: only $n secrets to look for" || return 1
	return "$rc"
}

# stack_start_notify [VAR=value...]: oms-notify, the webhook dispatcher
# (pids/oms-notify.pid), as RabbitMQ and Redis user oms-notify, with the
# caller's OMS_* variables, then the arguments. Waits for its processes.
stack_start_notify() {
	local log="$STACK_DIR/oms-notify.log"
	stack__need_dir && stack_secrets || return 1
	env OMS_NOTIFY_PROCESSES="${OMS_NOTIFY_PROCESSES:-2}" \
	    OMS_AMQP_URL="${STACK_AMQP_URL:-amqp://127.0.0.1:1/oms}" \
	    OMS_AMQP_PASSWORD_FILE="$STACK_DIR/secrets/amqp-oms-notify" \
	    OMS_REDIS_URL="${STACK_REDIS_URL:-redis://127.0.0.1:1/0}" \
	    OMS_REDIS_PASSWORD_FILE="$STACK_DIR/secrets/redis-oms-notify" \
	    "$@" "$OMS_BUILDDIR/oms-notify" >>"$log" 2>&1 </dev/null &
	stack__record oms-notify $! || return 1
	stack__wait_master oms-notify "$log"
}

stack_stop_notify() {
	stack_stop_pidfile "$STACK_DIR/pids/oms-notify.pid" 12
}

# stack_notify_children: the pids of the oms-notify master's children.
stack_notify_children() {
	ps -o pid= --ppid "$(cat "$STACK_DIR/pids/oms-notify.pid")" | tr -d ' '
}

# stack_stop_all: stop every process with a pid file in $STACK_DIR/pids: the
# others first (nginx, oms-fcgi, oms-worker: the clients), each with SIGTERM
# and up to 12 s before SIGKILL, then oms-provider-sim (the worker's
# provider), RabbitMQ and Redis.
stack_stop_all() {
	local file rc=0
	stack__need_dir || return 1
	for file in "$STACK_DIR"/pids/*.pid; do
		[ -e "$file" ] || continue
		case ${file##*/} in
		redis.pid | rabbitmq.pid | rabbitmq-epmd.pid | oms-provider-sim.pid) ;;
		*) stack_stop_pidfile "$file" 12 || rc=1 ;;
		esac
	done
	stack_stop_provider_sim || rc=1
	stack_stop_rabbitmq || rc=1
	stack_stop_redis || rc=1
	return $rc
}

# stack_write_env FILE: writes the stack's URLs and demo keys (secrets:
# the demo keys, admin URLs with passwords) to FILE for `. FILE`. FILE is
# created under umask 077, so it is 0600 from its first byte, never
# readable by others even for a moment (issue 14).
stack_write_env() {
	(umask 077 && rm -f "$1" && {
		echo "# Written by scripts/up; load it with: . run/stack.env"
		echo "OMS_URL=$OMS_URL"
		echo "OMS_REDIS_URL=$(stack_redis_url omsctl)"
		echo "OMS_AMQP_URL=$(stack_amqp_url oms-admin)"
		echo "OMS_ADMIN_KEY=$OMS_ADMIN_KEY"
		echo "OMS_CUSTOMER_KEY=$OMS_CUSTOMER_KEY"
		echo "OMS_CUSTOMER_ID=$OMS_CUSTOMER_ID"
		echo "OMS_SHIPPER_KEY=$OMS_SHIPPER_KEY"
		[ -z "${STACK_PROVIDER_URL:-}" ] ||
			echo "OMS_PROVIDER_SIM_URL=$STACK_PROVIDER_URL"
	} >"$1")
}

# stack_demo_keys: with this stack's Redis running, create with
# $OMS_BUILDDIR/omsctl an admin key, a customer key for customer id
# cus_demo and a shipper key; write them to $STACK_DIR/demo-keys.env (mode
# 600) as OMS_ADMIN_KEY, OMS_CUSTOMER_KEY, OMS_CUSTOMER_ID and
# OMS_SHIPPER_KEY, and export them. omsctl's messages go to
# $STACK_DIR/omsctl.log.
stack_demo_keys() {
	local role out key file admin='' customer='' shipper=''
	local -a extra
	stack__need_dir || return 1
	[ -n "${STACK_REDIS_URL:-}" ] ||
		stack__err "stack_demo_keys: no redis (stack_start_redis first)" || return 1
	for role in admin customer shipper; do
		extra=()
		[ "$role" = customer ] && extra=(--customer-id=cus_demo)
		out=$(env -u OMS_REDIS_PASSWORD -u OMS_REDIS_URL_FILE \
			OMS_REDIS_URL="$STACK_REDIS_URL" \
			OMS_REDIS_PASSWORD_FILE="$STACK_DIR/secrets/redis-omsctl" \
			"$OMS_BUILDDIR/omsctl" apikey create --role="$role" \
			"${extra[@]}" --name="demo $role" \
			2>>"$STACK_DIR/omsctl.log") ||
			stack__err "stack_demo_keys: omsctl failed (see $STACK_DIR/omsctl.log)" || return 1
		key=${out%%$'\n'*}
		[[ $key =~ ^oms_[A-Za-z0-9_-]{43}$ ]] ||
			stack__err "stack_demo_keys: omsctl printed no key" || return 1
		case $role in
		admin) admin=$key ;;
		customer) customer=$key ;;
		shipper) shipper=$key ;;
		esac
	done
	file=$STACK_DIR/demo-keys.env
	(umask 077 && printf 'OMS_ADMIN_KEY=%s\nOMS_CUSTOMER_KEY=%s\nOMS_CUSTOMER_ID=%s\nOMS_SHIPPER_KEY=%s\n' \
		"$admin" "$customer" cus_demo "$shipper" >"$file.tmp" &&
		chmod 600 "$file.tmp" && mv "$file.tmp" "$file") || return 1
	OMS_ADMIN_KEY=$admin
	OMS_CUSTOMER_KEY=$customer
	OMS_CUSTOMER_ID=cus_demo
	OMS_SHIPPER_KEY=$shipper
	export OMS_ADMIN_KEY OMS_CUSTOMER_KEY OMS_CUSTOMER_ID OMS_SHIPPER_KEY
}

# --- Redis with Sentinel (issue 16) ------------------------------------------
#
# A primary and 2 replicas (r1 r2 r3, r1 first the primary) and 3 Sentinels
# (s1 s2 s3) watching them as master "oms", quorum 2, on free loopback ports,
# in $STACK_DIR/redis-ha/NAME/ with pid files pids/redis-NAME.pid. The data
# nodes share the single node's ACL file and base config; replicas and
# Sentinels authenticate as the default user. A Sentinel declares the master
# down after STACK_SENTINEL_DOWN_AFTER_MS (3 s). Not 1 s: a Sentinel that
# learns of a promotion from the others reconnects to the new master up to
# a second later (its reconnects are paced by its 1 s ping period) and
# still holds the others' "down" votes for the old master (kept for 5 s
# across the switch): with 1 s its first PONG could come too late, and it
# failed the new master over at once, onto the replica that had missed the
# last writes (docs/reliability.md, "A second failover").
#
#   stack_start_redis_sentinel && stack_sentinel_url oms-fcgi
#   stack_sentinel_master_port; stack_sentinel_kill_master
#   stack_stop_redis_sentinel
#
# Exported: STACK_SENTINEL_URL (no credentials; the user comes from the
# daemon's name), STACK_SENTINEL_PORTS, STACK_REDIS_HA_PORTS.

STACK_REDIS_HA_NAMES="r1 r2 r3 s1 s2 s3"

# stack__redis_ha_port NAME: the port recorded for NAME (r1 .. s3).
stack__redis_ha_port() {
	cat "$STACK_DIR/redis-ha/$1/port" 2>/dev/null
}

# stack__redis_ha_load: export the URL and ports of a started set.
stack__redis_ha_load() {
	local n ports='' sports='' hosts=''
	for n in r1 r2 r3; do
		ports="$ports $(stack__redis_ha_port $n)" || return 1
	done
	for n in s1 s2 s3; do
		sports="$sports $(stack__redis_ha_port $n)" || return 1
		hosts="$hosts,127.0.0.1:$(stack__redis_ha_port $n)"
	done
	STACK_REDIS_HA_PORTS=${ports# }
	STACK_SENTINEL_PORTS=${sports# }
	STACK_SENTINEL_URL="redis-sentinel://${hosts#,}/oms"
	export STACK_REDIS_HA_PORTS STACK_SENTINEL_PORTS STACK_SENTINEL_URL
}

# stack__sentinel_ask PORT ARGS...: redis-cli to the Sentinel on PORT.
stack__sentinel_ask() {
	local port=$1
	shift
	redis-cli -h 127.0.0.1 -p "$port" "$@"
}

# stack__sentinel_ready PORT: true when the Sentinel on PORT sees the master,
# 2 replicas and the 2 other Sentinels.
stack__sentinel_ready() {
	local info
	info=$(stack__sentinel_ask "$1" SENTINEL master oms 2>/dev/null | paste - -) || return 1
	grep -qx $'num-slaves\t2' <<<"$info" &&
		grep -qx $'num-other-sentinels\t2' <<<"$info" &&
		grep -qx $'flags\tmaster' <<<"$info"
}

# stack__redis_ha_synced PORT: true when the primary on PORT has 2 replicas
# online.
stack__redis_ha_synced() {
	[ "$(REDISCLI_AUTH=$(stack_secret redis-default) redis-cli -h 127.0.0.1 \
		-p "$1" --user default INFO replication 2>/dev/null |
		grep -c '^slave[0-9]*:.*state=online')" = 2 ]
}

# stack_start_redis_sentinel: render and start the 3 data nodes and the 3
# Sentinels, wait until both replicas are in sync and every Sentinel sees
# the whole set (at most 30 s).
stack_start_redis_sentinel() {
	local d n port p1 pass conf
	stack__need_dir && stack_secrets || return 1
	d=$STACK_DIR/redis-ha
	mkdir -p "$d" && chmod 700 "$d" || return 1
	for n in $STACK_REDIS_HA_NAMES; do
		if stack__alive "$STACK_DIR/pids/redis-$n.pid" >/dev/null; then
			stack__err "redis-$n already runs for $STACK_DIR"
			return 1
		fi
		mkdir -p "$d/$n/data" || return 1
		[ -s "$d/$n/port" ] || { port=$(stack_free_port) && echo "$port" >"$d/$n/port"; } ||
			return 1
	done
	(umask 077 && stack_render "$OMS_SRCDIR/redis/users.acl.in" "$d/users.acl" \
		REDIS_DEFAULT_HASH="$(stack__redis_hash "$(stack_secret redis-default)")" \
		REDIS_OMS_FCGI_HASH="$(stack__redis_hash "$(stack_secret redis-oms-fcgi)")" \
		REDIS_OMS_WORKER_HASH="$(stack__redis_hash "$(stack_secret redis-oms-worker)")" \
		REDIS_OMSCTL_HASH="$(stack__redis_hash "$(stack_secret redis-omsctl)")" \
		REDIS_OMS_NOTIFY_HASH="$(stack__redis_hash "$(stack_secret redis-oms-notify)")") || return 1
	pass=$(stack_secret redis-default) || return 1
	p1=$(stack__redis_ha_port r1)
	for n in r1 r2 r3; do
		conf=$d/$n/redis.conf
		[ -s "$conf" ] && continue # a restart: Sentinel rewrote it
		(umask 077 && cat >"$conf" <<EOC) || return 1
# Written by t/lib-stack.sh (Sentinel set); Sentinel rewrites the end.
include "$OMS_SRCDIR/redis/redis.conf"
port $(stack__redis_ha_port $n)
dir "$d/$n/data"
pidfile "$STACK_DIR/pids/redis-$n.pid"
logfile "$d/$n/redis.log"
aclfile "$d/users.acl"
daemonize yes
masteruser default
masterauth $pass
EOC
		[ "$n" = r1 ] || echo "replicaof 127.0.0.1 $p1" >>"$conf" || return 1
	done
	for n in s1 s2 s3; do
		conf=$d/$n/sentinel.conf
		[ -s "$conf" ] && continue
		(umask 077 && cat >"$conf" <<EOC) || return 1
# Written by t/lib-stack.sh; Sentinel rewrites this file.
bind 127.0.0.1
port $(stack__redis_ha_port $n)
dir "$d/$n/data"
pidfile "$STACK_DIR/pids/redis-$n.pid"
logfile "$d/$n/sentinel.log"
daemonize yes
sentinel monitor oms 127.0.0.1 $p1 2
sentinel auth-user oms default
sentinel auth-pass oms $pass
sentinel down-after-milliseconds oms ${STACK_SENTINEL_DOWN_AFTER_MS:-3000}
sentinel failover-timeout oms 10000
sentinel parallel-syncs oms 1
EOC
	done
	for n in $STACK_REDIS_HA_NAMES; do
		rm -f "$STACK_DIR/pids/redis-$n.pid"
		if [ "${n#s}" != "$n" ]; then
			redis-server "$d/$n/sentinel.conf" --sentinel </dev/null >>"$d/$n/start.log" 2>&1
		else
			redis-server "$d/$n/redis.conf" </dev/null >>"$d/$n/start.log" 2>&1
		fi || {
			tail -n 20 "$d/$n/start.log" "$d/$n"/*.log >&2
			stack__err "redis-$n failed to start"
			return 1
		}
	done
	for n in $STACK_REDIS_HA_NAMES; do
		stack_retry 10 test -s "$STACK_DIR/pids/redis-$n.pid" ||
			stack__err "redis-$n wrote no pid file" || return 1
		stack__record "redis-$n" "$(cat "$STACK_DIR/pids/redis-$n.pid")" || return 1
	done
	stack__redis_ha_load || return 1
	port=$(stack_sentinel_master_port) &&
		stack_retry 30 stack__redis_ha_synced "$port" ||
		stack__err "the replicas did not sync with the primary on ${port:-?}" || return 1
	for n in s1 s2 s3; do
		stack_retry 30 stack__sentinel_ready "$(stack__redis_ha_port $n)" || {
			stack__sentinel_ask "$(stack__redis_ha_port $n)" SENTINEL master oms >&2
			stack__err "sentinel $n does not see the whole set"
			return 1
		}
	done
}

# stack_sentinel_url USER: the Sentinel URL with USER (its password goes in
# OMS_REDIS_PASSWORD_FILE).
stack_sentinel_url() {
	echo "${STACK_SENTINEL_URL/redis-sentinel:\/\//redis-sentinel://${1:?stack_sentinel_url USER}@}"
}

# stack_sentinel_master_port: the port of the master, as the first Sentinel
# that answers names it.
stack_sentinel_master_port() {
	local p out
	for p in $STACK_SENTINEL_PORTS; do
		out=$(stack__sentinel_ask "$p" SENTINEL get-master-addr-by-name oms 2>/dev/null) || continue
		out=$(sed -n 2p <<<"$out")
		[[ $out =~ ^[0-9]+$ ]] && { echo "$out"; return 0; }
	done
	stack__err "no sentinel names a master"
}

# stack_redis_ha_name PORT: the name (r1 r2 r3) of the data node on PORT.
stack_redis_ha_name() {
	local n
	for n in r1 r2 r3; do
		[ "$(stack__redis_ha_port $n)" = "$1" ] && { echo $n; return 0; }
	done
	stack__err "no data node on port $1"
}

# stack_redis_ha_cli NAME ARGS...: redis-cli as omsctl to data node NAME.
stack_redis_ha_cli() {
	local n=${1:?stack_redis_ha_cli NAME ARGS...}
	shift
	REDISCLI_AUTH=$(stack_secret redis-omsctl) redis-cli -h 127.0.0.1 \
		-p "$(stack__redis_ha_port "$n")" --user omsctl "$@"
}

# stack_sentinel_kill_master: kill -9 the current master (by its pid file);
# prints its name.
stack_sentinel_kill_master() {
	local port n pid
	port=$(stack_sentinel_master_port) && n=$(stack_redis_ha_name "$port") || return 1
	pid=$(stack__alive "$STACK_DIR/pids/redis-$n.pid") ||
		stack__err "redis-$n is not running" || return 1
	kill -KILL "$pid" && stack__wait_gone "$pid" 50 || return 1
	rm -f "$STACK_DIR/pids/redis-$n.pid" "$STACK_DIR/pids/redis-$n.start"
	echo "$n"
}

# stack_stop_redis_sentinel: stop the Sentinels, then the data nodes.
stack_stop_redis_sentinel() {
	local n rc=0
	stack__need_dir || return 1
	for n in s1 s2 s3 r1 r2 r3; do
		stack_stop_pidfile "$STACK_DIR/pids/redis-$n.pid" || rc=1
	done
	return $rc
}

# --- RabbitMQ cluster (issue 16) ---------------------------------------------
#
# Three nodes c1 c2 c3 on one host: distinct node names (oms-cN-PORT@localhost),
# AMQP, distribution and CLI ports, one shared epmd of their own, the same
# Erlang cookie (the one of the user the nodes run as), classic_config peer
# discovery, pause_minority, a 32 MB Raft WAL and a 1 GB memory watermark
# (three nodes take about 150 MB each). c1 boots first and imports the
# definitions; c2 and c3 join it; then the quorum queues get a member on each
# node. Each node lives in $STACK_DIR/rabbit-cN/ with pid file
# pids/rabbit-cN.pid; the epmd is pids/rabbit-cluster-epmd.pid.
#
#   stack_start_rabbit_cluster; stack_rabbit_cluster_url oms-fcgi
#   stack_rabbit_cluster_ctl c2 list_queues -p oms; stack_rabbit_cluster_kill c1
#   stack_stop_rabbit_cluster
#
# Exported: STACK_AMQP_CLUSTER_URL (no credentials), STACK_AMQP_CLUSTER_PORTS.

STACK_RABBIT_CLUSTER_NODES="c1 c2 c3"

# stack__rabbit_cluster_load: read the ports and names chosen by the first
# start (rabbit-cluster.env) and export them.
stack__rabbit_cluster_load() {
	local env=$STACK_DIR/rabbit-cluster.env n hosts='' ports=''
	[ -s "$env" ] || return 1
	# shellcheck source=/dev/null
	. "$env" || return 1
	for n in $STACK_RABBIT_CLUSTER_NODES; do
		eval "ports=\"\$ports \$STACK_RC_${n}_AMQP\""
	done
	STACK_AMQP_CLUSTER_PORTS=${ports# }
	for n in $STACK_AMQP_CLUSTER_PORTS; do
		hosts="$hosts,127.0.0.1:$n"
	done
	STACK_AMQP_CLUSTER_URL="amqp://${hosts#,}/oms"
	export STACK_AMQP_CLUSTER_URL STACK_AMQP_CLUSTER_PORTS
}

# stack__rabbit_cluster_var NODE FIELD: a recorded value (AMQP DIST CTL NAME).
stack__rabbit_cluster_var() {
	eval "echo \"\$STACK_RC_${1}_$2\""
}

# stack__rabbit_cluster_env NODE CMD...: run CMD with NODE's environment.
stack__rabbit_cluster_env() {
	local n=$1 d=$STACK_DIR/rabbit-$1 ctl
	shift
	ctl=$(stack__rabbit_cluster_var "$n" CTL)
	env RABBITMQ_NODENAME="$(stack__rabbit_cluster_var "$n" NAME)" \
		RABBITMQ_CONF_ENV_FILE="$d/rabbitmq-env.conf" \
		RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf" \
		RABBITMQ_ADVANCED_CONFIG_FILE="$d/advanced.config" \
		RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins" \
		RABBITMQ_MNESIA_BASE="$d/mnesia" \
		RABBITMQ_LOG_BASE="$d/log" \
		RABBITMQ_PID_FILE="$d/rabbitmq.pid" \
		RABBITMQ_DIST_PORT="$(stack__rabbit_cluster_var "$n" DIST)" \
		RABBITMQ_CTL_DIST_PORT_MIN="$ctl" \
		RABBITMQ_CTL_DIST_PORT_MAX="$((ctl + 10))" \
		RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
		ERL_EPMD_ADDRESS=127.0.0.1 \
		ERL_EPMD_PORT="$STACK_RC_EPMD" \
		"$@"
}

# stack_rabbit_cluster_ctl NODE ARGS...: rabbitmqctl against NODE (c1..c3);
# fails at once when the node does not run.
stack_rabbit_cluster_ctl() {
	local n=${1:?stack_rabbit_cluster_ctl NODE ARGS...}
	shift
	stack__need_dir && stack__rabbit_cluster_load || return 1
	stack__alive "$STACK_DIR/pids/rabbit-$n.pid" >/dev/null ||
		stack__err "rabbitmq node $n is not running" || return 1
	stack__rabbit_cluster_env "$n" "$(stack__rabbit_bin rabbitmqctl)" \
		-n "$(stack__rabbit_cluster_var "$n" NAME)" "$@"
}

# stack__rabbit_cluster_boot NODE: render NODE's files and launch it in the
# background (the launcher's pid in rabbit-NODE/launcher.pid).
stack__rabbit_cluster_boot() {
	local n=$1 d=$STACK_DIR/rabbit-$1 m i=0
	mkdir -p "$d/mnesia" "$d/log" || return 1
	stack_render "$OMS_SRCDIR/rabbitmq/rabbitmq.conf.in" "$d/rabbitmq.conf.tmpl" \
		AMQP_PORT="$(stack__rabbit_cluster_var "$n" AMQP)" \
		DEFINITIONS="$STACK_DIR/rabbit-cluster-definitions.json" || return 1
	{
		grep -v '^vm_memory_high_watermark' "$d/rabbitmq.conf.tmpl"
		echo "# t/lib-stack.sh: a cluster of three on one host"
		echo "cluster_formation.peer_discovery_backend = classic_config"
		for m in $STACK_RABBIT_CLUSTER_NODES; do
			i=$((i + 1))
			echo "cluster_formation.classic_config.nodes.$i = $(stack__rabbit_cluster_var "$m" NAME)"
		done
		echo "cluster_partition_handling = pause_minority"
		echo "raft.wal_max_size_bytes = 33554432"
		echo "vm_memory_high_watermark.absolute = 1GB"
	} >"$d/rabbitmq.conf" && rm -f "$d/rabbitmq.conf.tmpl" || return 1
	echo '[].' >"$d/enabled_plugins" && : >"$d/rabbitmq-env.conf" || return 1
	rm -f "$d/rabbitmq.pid"
	if [ "$(id -u)" = 0 ]; then
		chown -R rabbitmq: "$d" && chmod 750 "$d" || return 1
	fi
	stack__rabbit_cluster_env "$n" setsid "$(stack__rabbit_bin rabbitmq-server)" \
		</dev/null >>"$d/log/startup.log" 2>&1 &
	echo $! >"$d/launcher.pid"
}

# stack__rabbit_cluster_wait NODE DEADLINE_MS: wait for NODE's pid file,
# record it, and wait for its boot to complete.
stack__rabbit_cluster_wait() {
	local n=$1 d=$STACK_DIR/rabbit-$1 launcher
	launcher=$(cat "$d/launcher.pid")
	while [ ! -s "$d/rabbitmq.pid" ] && stack__running "$launcher" &&
		[ "$(stack__now_ms)" -lt "$2" ]; do
		sleep 0.1
	done
	[ -s "$d/rabbitmq.pid" ] && stack__record "rabbit-$n" "$(cat "$d/rabbitmq.pid")"
	if [ ! -s "$d/rabbitmq.pid" ] ||
		! stack_rabbit_cluster_ctl "$n" wait --timeout $((($2 - $(stack__now_ms)) / 1000 + 1)) \
			"$d/rabbitmq.pid" >>"$d/log/wait.log" 2>&1; then
		tail -n 30 "$d/log/startup.log" "$d/log/wait.log" >&2
		stack__err "rabbitmq node $n did not start (logs in $d/log)"
		return 1
	fi
}

# stack_start_rabbit_cluster: start the three nodes (c1 first), wait until
# all three are in one cluster and each quorum queue has a member on each
# (at most STACK_RABBIT_START_TIMEOUT x 2 s). Leaves the time it took in
# STACK_RABBIT_CLUSTER_START_MS.
stack_start_rabbit_cluster() {
	local n t0 deadline pid q
	stack__need_dir && stack_secrets || return 1
	for n in $STACK_RABBIT_CLUSTER_NODES; do
		if stack__alive "$STACK_DIR/pids/rabbit-$n.pid" >/dev/null; then
			stack__err "rabbitmq node $n already runs for $STACK_DIR"
			return 1
		fi
	done
	if ! stack__rabbit_cluster_load; then
		{
			echo "STACK_RC_EPMD=$(stack_free_port)" || return 1
			for n in $STACK_RABBIT_CLUSTER_NODES; do
				local amqp
				amqp=$(stack_free_port) || return 1
				echo "STACK_RC_${n}_AMQP=$amqp"
				echo "STACK_RC_${n}_DIST=$(stack_free_port)" || return 1
				echo "STACK_RC_${n}_CTL=$(stack_free_port)" || return 1
				echo "STACK_RC_${n}_NAME=oms-$n-$amqp@localhost"
			done
		} >"$STACK_DIR/rabbit-cluster.env.tmp" &&
			mv "$STACK_DIR/rabbit-cluster.env.tmp" "$STACK_DIR/rabbit-cluster.env" &&
			stack__rabbit_cluster_load || return 1
	fi
	(umask 077 && stack_render "$OMS_SRCDIR/rabbitmq/definitions.json.in" \
		"$STACK_DIR/rabbit-cluster-definitions.json" \
		AMQP_OMS_FCGI_HASH="$(stack__rabbit_hash "$(stack_secret amqp-oms-fcgi)")" \
		AMQP_OMS_WORKER_HASH="$(stack__rabbit_hash "$(stack_secret amqp-oms-worker)")" \
		AMQP_OMSCTL_HASH="$(stack__rabbit_hash "$(stack_secret amqp-omsctl)")" \
		AMQP_OMS_ADMIN_HASH="$(stack__rabbit_hash "$(stack_secret amqp-oms-admin)")" \
		AMQP_OMS_NOTIFY_HASH="$(stack__rabbit_hash "$(stack_secret amqp-oms-notify)")") || return 1
	if [ "$(id -u)" = 0 ]; then
		chown rabbitmq: "$STACK_DIR/rabbit-cluster-definitions.json" &&
			stack__traversable "$STACK_DIR" || return 1
	fi
	t0=$(stack__now_ms)
	deadline=$((t0 + 2 * STACK_RABBIT_START_TIMEOUT * 1000))
	if ! { stack__rabbit_cluster_boot c1 && stack__rabbit_cluster_wait c1 "$deadline"; }; then
		stack_stop_rabbit_cluster
		return 1
	fi
	pid=$(stack__listener_pid "$STACK_RC_EPMD")
	[ -n "$pid" ] && stack__record rabbit-cluster-epmd "$pid"
	for n in c2 c3; do
		stack__rabbit_cluster_boot $n || return 1
	done
	for n in c2 c3; do
		stack__rabbit_cluster_wait $n "$deadline" || {
			stack_stop_rabbit_cluster
			return 1
		}
	done
	stack_rabbit_cluster_ctl c1 await_online_nodes 3 \
		--timeout $((deadline / 1000 - $(stack__now_ms) / 1000 + 1)) >/dev/null || {
		stack__err "the three nodes did not form one cluster"
		return 1
	}
	# Every quorum queue the definitions declared while c1 was alone gets a
	# member on c2 and c3, as docs/scaling.md tells an operator to do.
	for n in c2 c3; do
		stack__rabbit_cluster_env c1 "$(stack__rabbit_bin rabbitmq-queues)" \
			-n "$(stack__rabbit_cluster_var c1 NAME)" grow \
			"$(stack__rabbit_cluster_var $n NAME)" all --vhost-pattern '^oms$' \
			>>"$STACK_DIR/rabbit-c1/log/members.log" 2>&1 || {
			stack__err "could not grow the quorum queues onto $n"
			return 1
		}
	done
	for q in order-worker-queue order-worker-queue.dead oms-notify-queue; do
		[ "$(stack_rabbit_cluster_members "$q")" = 3 ] || {
			stack__err "quorum queue $q has no member on each node"
			return 1
		}
	done
	STACK_RABBIT_CLUSTER_START_MS=$(($(stack__now_ms) - t0))
	export STACK_RABBIT_CLUSTER_START_MS
}

# stack_rabbit_cluster_url USER: the cluster's URL with USER and password.
stack_rabbit_cluster_url() {
	local pass
	pass=$(stack_secret "amqp-${1:?stack_rabbit_cluster_url USER}") || return 1
	echo "${STACK_AMQP_CLUSTER_URL/amqp:\/\//amqp://$1:$pass@}"
}

# stack_rabbit_cluster_members QUEUE: the number of online members of the
# quorum queue QUEUE (asked on the first node that runs).
stack_rabbit_cluster_members() {
	local n
	for n in $STACK_RABBIT_CLUSTER_NODES; do
		stack__alive "$STACK_DIR/pids/rabbit-$n.pid" >/dev/null || continue
		stack_rabbit_cluster_ctl "$n" list_queues -p oms name online \
			--formatter=json 2>/dev/null |
			jq -r --arg q "${1:?stack_rabbit_cluster_members QUEUE}" \
				'.[] | select(.name == $q) | .online | length'
		return
	done
	return 1
}

# stack_rabbit_cluster_node_of PORT: the node (c1..c3) whose AMQP port is PORT.
stack_rabbit_cluster_node_of() {
	local n
	for n in $STACK_RABBIT_CLUSTER_NODES; do
		[ "$(stack__rabbit_cluster_var "$n" AMQP)" = "$1" ] && { echo "$n"; return 0; }
	done
	stack__err "no node with AMQP port $1"
}

# stack_rabbit_cluster_kill NODE: kill -9 NODE (by its pid file).
stack_rabbit_cluster_kill() {
	local n=${1:?stack_rabbit_cluster_kill NODE} pid
	pid=$(stack__alive "$STACK_DIR/pids/rabbit-$n.pid") ||
		stack__err "rabbitmq node $n is not running" || return 1
	kill -KILL "$pid" && stack__wait_gone "$pid" 50 || return 1
	rm -f "$STACK_DIR/pids/rabbit-$n.pid" "$STACK_DIR/pids/rabbit-$n.start"
}

# stack_stop_rabbit_cluster: stop the nodes (SIGTERM), their launchers, then
# the shared epmd; check none is left.
stack_stop_rabbit_cluster() {
	local n d pid ours='' rc=0
	stack__need_dir || return 1
	stack__rabbit_cluster_load || return 0
	for n in $STACK_RABBIT_CLUSTER_NODES; do
		pid=$(stack__alive "$STACK_DIR/pids/rabbit-$n.pid") && ours="$ours $pid"
		stack_stop_pidfile "$STACK_DIR/pids/rabbit-$n.pid" || rc=1
		d=$STACK_DIR/rabbit-$n
		if [ -s "$d/launcher.pid" ]; then
			pid=$(cat "$d/launcher.pid")
			ours="$ours $pid"
			if ! stack__wait_gone "$pid" 50; then
				kill -TERM "$pid" 2>/dev/null
				stack__wait_gone "$pid" 50 || rc=1
			fi
			rm -f "$d/launcher.pid"
		fi
	done
	ERL_EPMD_ADDRESS=127.0.0.1 epmd -port "$STACK_RC_EPMD" -kill >/dev/null 2>&1
	pid=$(stack__listener_pid "$STACK_RC_EPMD")
	if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = epmd ] &&
		[ ! -s "$STACK_DIR/pids/rabbit-cluster-epmd.pid" ]; then
		stack__record rabbit-cluster-epmd "$pid"
	fi
	pid=$(stack__alive "$STACK_DIR/pids/rabbit-cluster-epmd.pid") && ours="$ours $pid"
	stack_stop_pidfile "$STACK_DIR/pids/rabbit-cluster-epmd.pid" 5 || rc=1
	for pid in $ours; do
		if stack__running "$pid"; then
			stack__err "pid $pid (a cluster node or its epmd) still runs after the stop"
			rc=1
		fi
	done
	return $rc
}

# stack_redis_ha_start NAME: start data node NAME (r1..r3) again, on its port,
# data and config. As a node behind Sentinel should (compose/cluster/
# redis-start does the same), it first asks the Sentinels for the master
# and, when that is another node, starts as its replica: a killed primary
# must not come back as a second master and wait for a Sentinel to convert
# it (8-10 s), and the new primary gets a replica at once. Waits for PONG.
stack_redis_ha_start() {
	local n=${1:?stack_redis_ha_start NAME} d port
	local -a args=()
	d=$STACK_DIR/redis-ha/$n
	stack__alive "$STACK_DIR/pids/redis-$n.pid" >/dev/null &&
		{ stack__err "redis-$n already runs"; return 1; }
	rm -f "$STACK_DIR/pids/redis-$n.pid"
	port=$(stack_sentinel_master_port 2>/dev/null) &&
		[ "$port" != "$(stack__redis_ha_port "$n")" ] &&
		args=(--replicaof 127.0.0.1 "$port")
	redis-server "$d/redis.conf" "${args[@]}" </dev/null >>"$d/start.log" 2>&1 ||
		stack__err "redis-$n failed to start" || return 1
	stack_retry 10 test -s "$STACK_DIR/pids/redis-$n.pid" &&
		stack__record "redis-$n" "$(cat "$STACK_DIR/pids/redis-$n.pid")" &&
		stack_retry 10 sh -c "[ \"\$(REDISCLI_AUTH=\$1 redis-cli -p $(stack__redis_ha_port "$n") --user omsctl ping 2>/dev/null)\" = PONG ]" \
			sh "$(stack_secret redis-omsctl)"
}

# stack_redis_ha_synced: true when the master the Sentinels name has both
# replicas online.
stack_redis_ha_synced() {
	local port
	port=$(stack_sentinel_master_port 2>/dev/null) && stack__redis_ha_synced "$port"
}

# stack_rabbit_cluster_start NODE: start NODE (c1..c3) again on its ports and
# data; it rejoins the cluster. Waits for its boot.
stack_rabbit_cluster_start() {
	local n=${1:?stack_rabbit_cluster_start NODE}
	stack__need_dir && stack__rabbit_cluster_load || return 1
	stack__alive "$STACK_DIR/pids/rabbit-$n.pid" >/dev/null &&
		{ stack__err "rabbitmq node $n already runs"; return 1; }
	stack__rabbit_cluster_boot "$n" &&
		stack__rabbit_cluster_wait "$n" $(($(stack__now_ms) + STACK_RABBIT_START_TIMEOUT * 1000))
}

# stack_rabbit_cluster_leader QUEUE: the node (c1..c3) holding QUEUE's leader.
stack_rabbit_cluster_leader() {
	local n leader m
	for n in $STACK_RABBIT_CLUSTER_NODES; do
		stack__alive "$STACK_DIR/pids/rabbit-$n.pid" >/dev/null || continue
		leader=$(stack_rabbit_cluster_ctl "$n" list_queues -q -p oms name leader 2>/dev/null |
			awk -v q="${1:?stack_rabbit_cluster_leader QUEUE}" '$1 == q { print $2 }')
		for m in $STACK_RABBIT_CLUSTER_NODES; do
			[ "$(stack__rabbit_cluster_var "$m" NAME)" = "$leader" ] && { echo "$m"; return 0; }
		done
		break
	done
	stack__err "no leader found for $1"
}
