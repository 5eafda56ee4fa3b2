# shellcheck shell=bash
# t/lib-webhooks.sh — the webhook tests' helpers (after t/lib-stack.sh and
# t/lib-orders.sh): oms-notify and loopback receivers, each started in the
# background with its pid recorded, so stack_stop_all stops them by pid.
#
#   stack_start_notify [VAR=value...]   oms-notify (pids/oms-notify.pid),
#       as RabbitMQ and Redis user oms-notify, with the caller's OMS_*
#       variables, then the arguments. Waits for its processes.
#   receiver_start NAME [ARG...]        t/helpers/wh-receiver, pid file
#       pids/recv-NAME.pid; secrets from NAME.secrets, deliveries to
#       NAME.log (both in the trash directory); sets RECV_URL.
#   receiver_stop NAME

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
	if ! stack_retry 15 grep -q "running [0-9]* children" "$log"; then
		echo "oms-notify did not start; its log:" >&2
		tail -n 20 "$log" >&2
		return 1
	fi
}

stack_stop_notify() {
	stack_stop_pidfile "$STACK_DIR/pids/oms-notify.pid" 12
}

# stack_notify_children: the pids of the oms-notify master's children.
stack_notify_children() {
	ps -o pid= --ppid "$(cat "$STACK_DIR/pids/oms-notify.pid")" | tr -d ' '
}

receiver_start() {
	local name=$1 port
	shift
	rm -f "$TRASH_DIRECTORY/$name.port"
	touch "$TRASH_DIRECTORY/$name.secrets" "$TRASH_DIRECTORY/$name.log" || return 1
	"$OMS_BUILDDIR/t/helpers/wh-receiver" "$TRASH_DIRECTORY/$name.port" \
	    "$TRASH_DIRECTORY/$name.log" "$TRASH_DIRECTORY/$name.secrets" "$@" \
	    >>"$TRASH_DIRECTORY/$name.out" 2>&1 </dev/null &
	stack__record "recv-$name" $! || return 1
	stack_retry 10 test -s "$TRASH_DIRECTORY/$name.port" || return 1
	port=$(cat "$TRASH_DIRECTORY/$name.port")
	RECV_URL="http://127.0.0.1:$port/hook/$name"
	export RECV_URL
}

receiver_stop() {
	stack_stop_pidfile "$STACK_DIR/pids/recv-$1.pid" 5
}

# webhook_add NAME EVENTS-JSON: subscribes $RECV_URL through the API and
# appends the secret to NAME.secrets; prints the id.
webhook_add() {
	api_expect 201 admin POST /webhooks "{\"url\":\"$RECV_URL\",\"events\":$2}" &&
	api_json .secret >>"$TRASH_DIRECTORY/$1.secrets" &&
	api_json .id
}

# delivered NAME EVENT-ID: NAME's log has a 2xx delivery of EVENT-ID.
delivered() {
	jq -se --arg id "$2" 'any(.[]; .id == $id and .status < 300)' \
	    "$TRASH_DIRECTORY/$1.log" >/dev/null
}
