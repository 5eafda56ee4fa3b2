#!/usr/bin/env bash
test_description='the confirm window (issue 17): one oms-fcgi child with several threads has many POSTs in flight at once, answers each 202 only after its own confirm, 503 for exactly the publishes that failed, and drains them on SIGTERM'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"
. "$OMS_SRCDIR/t/lib-orders.sh"

# This script stops and restarts its servers: it starts its own.
stack_init "$TRASH_DIRECTORY/stack"
test_atexit stack_stop_all

BODY='{"customerId":"cus_demo","paymentMethodId":"pm_1","items":[{"productId":"p","variantId":"v","quantity":1}]}'

# posts N NAME: N concurrent POST /orders; waits for all of them. NAME.out
# gets one line per request: "status seconds order_id".
posts() {
	local i pids=()
	: >"$2.out"
	for i in $(seq "$1"); do
		curl -s -o "$2.$i.b" -w '%{http_code} %{time_total}\n' -m 30 \
		    -X POST -H "Authorization: Bearer $OMS_CUSTOMER_KEY" \
		    -H 'Content-Type: application/json' --data-binary "$BODY" \
		    "$OMS_URL/orders" >"$2.$i.code" &
		pids+=($!)
	done
	wait "${pids[@]}" || return 1
	for i in $(seq "$1"); do
		echo "$(cat "$2.$i.code") $(jq -r '.id // "-"' "$2.$i.b" 2>/dev/null)" >>"$2.out"
	done
}

# count NAME STATUS: how many requests of NAME answered STATUS.
count() {
	awk -v s="$2" '$1 == s' "$1.out" | wc -l
}

# queued N: the command queue holds N messages (oms-worker is not running).
queued() {
	test "$(stack_rabbitmqctl list_queues -q -p oms name messages |
	    awk '$1 == "order-worker-queue" { print $2 }')" = "$1"
}

# purge: empties the command queue (its figures lag a little).
purge() {
	stack_rabbitmqctl purge_queue -p oms order-worker-queue >/dev/null &&
	retry_until 10 queued 0
}

# one_child VAR=value...: restarts oms-fcgi with one child of 8 threads.
one_child() {
	stack_stop_fcgi &&
	stack_start_fcgi OMS_FCGI_PROCESSES=1 OMS_FCGI_THREADS=8 "$@" &&
	stack_wait_ready 30
}

# the pending records of NAME's 202s exist, and none of its 503s' does.
pending_match() {
	local code secs id
	while read -r code secs id; do
		case $code in
		202)	test "$(stack_redis_cli EXISTS "oms:pending:$id")" = 1 ||
			    { echo "no pending record for $id" >&2; return 1; } ;;
		503)	;;
		*)	echo "unexpected status $code" >&2; return 1 ;;
		esac
	done <"$1.out"
}

if ! test_have_fault_injection; then
	test_skip_all 'needs ./configure --enable-fault-injection'
fi

test_expect_success 'start the stack: one child, 8 threads, no worker' '
	stack_orders_up OMS_FCGI_PROCESSES=1 OMS_FCGI_THREADS=8 &&
	test_eq "$(stack_fcgi_children | wc -l)" 1 &&
	purge
'

test_expect_success '32 concurrent POSTs to one child: all 202, all 32 commands queued' '
	posts 32 many &&
	test_eq "$(count many 202)" 32 &&
	pending_match many &&
	retry_until 10 queued 32 &&
	test_eq "$(cut -d" " -f3 many.out | sort -u | wc -l)" 32
'

test_expect_success 'confirms held 800 ms: 8 POSTs are in flight together, none answered before its confirm' '
	one_child OMS_FAULT=fcgi-confirm-delay-ms=800 &&
	purge &&
	posts 8 held &&
	test_eq "$(count held 202)" 8 &&
	pending_match held &&
	awk "{ if (\$2 < 0.8) bad++; if (\$2 > max) max = \$2 }
	    END { exit bad > 0 || max >= 3.2 }" held.out &&
	retry_until 10 queued 8
'

test_expect_success 'every 4th publish not sent: exactly 4 of 16 answer 503, 12 commands are queued' '
	one_child OMS_FAULT=mq-unsent-every=4 &&
	purge &&
	posts 16 unsent &&
	test_eq "$(count unsent 503)" 4 &&
	test_eq "$(count unsent 202)" 12 &&
	pending_match unsent &&
	retry_until 10 queued 12
'

create_ok() {
	test "$(api customer POST /orders "$BODY")" = 202
}

rabbit_cont() {
	kill -CONT "$(cat "$STACK_DIR/pids/rabbitmq.pid")"
}

test_expect_success 'RabbitMQ stopped (SIGSTOP): the 8 POSTs in flight answer 503 within 10 s, none 202' '
	one_child &&
	purge &&
	test_when_finished rabbit_cont &&
	kill -STOP "$(cat "$STACK_DIR/pids/rabbitmq.pid")" &&
	posts 8 stopped &&
	rabbit_cont &&
	test_eq "$(count stopped 503)" 8 &&
	awk "{ if (\$2 > max) max = \$2 } END { exit max >= 10 }" stopped.out &&
	pending_match stopped
'

test_expect_success 'RabbitMQ resumed: POSTs are 202 again, on the same child' '
	child=$(stack_fcgi_children) &&
	retry_until 15 create_ok &&
	posts 8 resumed &&
	test_eq "$(count resumed 202)" 8 &&
	pending_match resumed &&
	test_eq "$(stack_fcgi_children)" "$child"
'

# drain_posts: 6 POSTs in the background, their answers in drain.out.
drain_posts() {
	posts 6 drain >/dev/null 2>&1 &
	echo $! >drain.pid
}

test_expect_success 'SIGTERM while 6 POSTs await their confirms: all answered 202, then the child exits' '
	one_child OMS_FAULT=fcgi-confirm-delay-ms=1000 &&
	purge &&
	drain_posts &&
	retry_until 10 queued 6 &&
	stack_stop_fcgi &&
	wait "$(cat drain.pid)" &&
	test_eq "$(count drain 202)" 6 &&
	pending_match drain
'

test_expect_success 'no sanitizer report' '
	stack_sanitizer_reports
'

test_done
