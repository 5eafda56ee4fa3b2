# shellcheck shell=bash
# t/lib-orders.sh — helpers for the tests of the order API (family 2+):
# requests through nginx with a role's key, and what they answered.
#
#   api ROLE METHOD PATH [BODY [HEADER...]]
#     ROLE is admin, customer, shipper, other (a second customer), revoked,
#     none (no Authorization) or a literal "Bearer ..." value. Writes the
#     status to $TRASH_DIRECTORY/api.status, headers to api.h, body to
#     api.b, and prints the status.
#   api_json FIELD: the string or number FIELD of the last body (jq).

api() {
	local role=$1 method=$2 path=$3 body=${4-} auth
	shift 3
	[ $# -gt 0 ] && shift
	case $role in
	admin) auth="Bearer $OMS_ADMIN_KEY" ;;
	customer) auth="Bearer $OMS_CUSTOMER_KEY" ;;
	shipper) auth="Bearer $OMS_SHIPPER_KEY" ;;
	other) auth="Bearer $OMS_OTHER_KEY" ;;
	revoked) auth="Bearer $OMS_REVOKED_KEY" ;;
	none) auth= ;;
	*) auth=$role ;;
	esac
	local args=(-s -o "$TRASH_DIRECTORY/api.b" -D "$TRASH_DIRECTORY/api.h"
	    -w '%{http_code}' -X "$method")
	[ -n "$auth" ] && args+=(-H "Authorization: $auth")
	local h ctype='Content-Type: application/json'
	for h in "$@"; do
		args+=(-H "$h")
		case ${h,,} in content-type*) ctype= ;; esac
	done
	if [ -n "$body" ]; then
		[ -n "$ctype" ] && args+=(-H "$ctype")
		args+=(--data-binary "$body")
	fi
	curl "${args[@]}" "$OMS_URL$path" >"$TRASH_DIRECTORY/api.status"
	cat "$TRASH_DIRECTORY/api.status"
}

api_json() {
	jq -r "$1" <"$TRASH_DIRECTORY/api.b"
}

api_header() {
	sed -n "s/^$1: \(.*\)\r$/\1/Ip" "$TRASH_DIRECTORY/api.h"
}

# api_expect STATUS ROLE METHOD PATH [BODY [HEADER...]]: the request answers
# STATUS; a 4xx/5xx must be a problem document with that status.
api_expect() {
	local want=$1 got
	shift
	got=$(api "$@")
	if [ "$got" != "$want" ]; then
		echo "$2 $3: expected $want, got $got: $(cat "$TRASH_DIRECTORY/api.b")" >&2
		return 1
	fi
	if [ "$want" -ge 400 ] && ! {
		grep -qi '^Content-Type: application/problem+json' \
		    "$TRASH_DIRECTORY/api.h" &&
		test "$(api_json .status)" = "$want" &&
		test -n "$(api_json .type)" && test -n "$(api_json .detail)"
	}; then
		echo "$2 $3: not a problem document for $want" >&2
		return 1
	fi
}

# queue_drain [QUEUE]: takes every message from QUEUE (default
# order-worker-queue) and prints how many there were. The broker's own
# counters (rabbitmqctl list_queues) lag by seconds; this does not.
queue_drain() {
	local n=0 rc
	while :; do
		mq_get "${1:-order-worker-queue}" >/dev/null
		rc=$?
		[ "$rc" = 0 ] || break
		n=$((n + 1))
	done
	[ "$rc" = 3 ] || return 1
	echo "$n"
}

# queue_drain_until N [QUEUE]: drains QUEUE (default order-worker-queue)
# again and again until N messages or more came out in all, for at most
# 20 s; prints how many came out. For queues that fill asynchronously (the
# broker dead-letters a rejected message after the reject returns).
queue_drain_until() {
	local want=$1 total=0 n deadline=$(($(date +%s) + 20))
	while :; do
		n=$(queue_drain "${2:-order-worker-queue}") || return 1
		total=$((total + n))
		[ "$total" -ge "$want" ] && break
		[ "$(date +%s)" -lt "$deadline" ] || break
		sleep 0.2
	done
	echo "$total"
}

# stack_orders_up: Redis, RabbitMQ, oms-fcgi, nginx and the demo keys, plus
# OMS_OTHER_KEY (customer cus_other) and OMS_REVOKED_KEY (revoked).
stack_orders_up() {
	stack_start_redis &&
	stack_start_rabbitmq &&
	stack_start_fcgi "$@" &&
	stack_start_nginx &&
	stack_wait_ready 30 &&
	stack_demo_keys &&
	OMS_OTHER_KEY=$(omsctl_run apikey create --role=customer \
	    --customer-id=cus_other --name=other | head -n 1) &&
	OMS_REVOKED_KEY=$(omsctl_run apikey create --role=admin \
	    --name=revoked | head -n 1) &&
	omsctl_run apikey revoke "$OMS_REVOKED_KEY" >/dev/null &&
	export OMS_OTHER_KEY OMS_REVOKED_KEY
}

# omsctl_run ARGS...: omsctl against the stack's Redis as user omsctl.
omsctl_run() {
	OMS_REDIS_URL=$STACK_REDIS_URL \
	OMS_REDIS_PASSWORD_FILE=$(stack_secret_file redis-omsctl) \
	    "$OMS_BUILDDIR/omsctl" "$@"
}

# mq_get QUEUE: takes one message (properties, a blank line, the body).
mq_get() {
	OMS_AMQP_URL=$(stack_amqp_url oms-admin) "$OMS_BUILDDIR/t/helpers/mq-get" "$1"
}

orders__now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# orders_post_loop SECONDS OUT PREFIX BODY: creates orders (as the customer)
# one after the other for SECONDS, each with its own Idempotency-Key
# PREFIX-N, retrying a key (at most 20 s past the end) until it gets a 2xx,
# as a client that keeps its key would. One line per request in OUT:
# start_ms end_ms key status order_id.
orders_post_loop() {
	local end=$(($(orders__now_ms) + $1 * 1000)) n=0 key code t id
	while [ "$(orders__now_ms)" -lt "$end" ]; do
		n=$((n + 1))
		key=$3-$n
		while :; do
			t=$(orders__now_ms)
			code=$(curl -s -o "$TRASH_DIRECTORY/post.b" -w '%{http_code}' -m 5 -X POST \
			    -H "Authorization: Bearer $OMS_CUSTOMER_KEY" \
			    -H 'Content-Type: application/json' \
			    -H "Idempotency-Key: $key" --data-binary "$4" \
			    "$OMS_URL/orders")
			id=$(jq -r '.id // empty' "$TRASH_DIRECTORY/post.b" 2>/dev/null)
			echo "$t $(orders__now_ms) $key $code ${id:--}" >>"$2"
			case $code in 2??) break ;; esac
			[ "$(orders__now_ms)" -lt $((end + 20000)) ] || break
			sleep 0.05
		done
	done
}

# orders_post_check OUT: after orders_post_loop, every key got a 2xx, the
# others were 503s only, and each key has one order id; prints the ids.
orders_post_check() {
	local keys
	keys=$(cut -d" " -f3 "$1" | sort -u | wc -l)
	test "$(awk '$4 ~ /^2/ {print $3}' "$1" | sort -u | wc -l)" = "$keys" ||
		{ echo "keys without a 2xx" >&2; return 1; }
	test -z "$(awk '$4 !~ /^2/ && $4 != 503' "$1")" ||
		{ echo "answers other than 2xx and 503:" >&2; awk '$4 !~ /^2/ && $4 != 503' "$1" >&2; return 1; }
	test -z "$(awk '$4 ~ /^2/ {print $3, $5}' "$1" | sort -u | cut -d" " -f1 | uniq -d)" ||
		{ echo "a key with two order ids" >&2; return 1; }
	awk '$4 ~ /^2/ {print $5}' "$1" | sort -u
}

# orders_post_recovery OUT SINCE_MS: the ms from SINCE_MS to the first 2xx of
# a request sent after it, and the longest gap between two 2xx answers.
orders_post_recovery() {
	awk -v k="$2" '$4 ~ /^2/ { if (!r && $1 >= k) r = $2 - k; if (last && $2 - last > g) g = $2 - last; last = $2 } END { print r + 0, g + 0 }' "$1"
}
