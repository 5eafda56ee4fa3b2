# shellcheck shell=bash
# t/lib-webhooks.sh — the webhook tests' helpers (after t/lib-stack.sh and
# t/lib-orders.sh): loopback receivers, each started in the background with
# its pid recorded, so stack_stop_all stops them by pid.
#
#   stack_start_notify, stack_stop_notify, stack_notify_children: in
#       t/lib-stack.sh (scripts/up and the benchmarks start oms-notify too).
#   receiver_start NAME [ARG...]        t/helpers/wh-receiver, pid file
#       pids/recv-NAME.pid; secrets from NAME.secrets, deliveries to
#       NAME.log (both in the trash directory); sets RECV_URL.
#   receiver_stop NAME

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

# order_events ID: the event ids of order ID's history (one per applied
# command: evt_<commandId>), one a line.
order_events() {
	api admin GET "/orders/$1/events" >/dev/null &&
	api_json '.items[].commandId | "evt_" + .'
}

# all_delivered NAME FILE: every event id of FILE has a 2xx at NAME.
all_delivered() {
	local e
	while read -r e; do
		delivered "$1" "$e" || return 1
	done <"$2"
}
