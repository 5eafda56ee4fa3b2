#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2034,SC2317 # bodies are single-quoted strings eval'd by
# test_expect_success, so shellcheck sees neither their uses nor the calls
test_description='harness: private Redis and RabbitMQ from t/lib-stack.sh

Starts both servers in the trash directory on free ports, checks the ACL
users, the broker users and permissions, the topology from
rabbitmq/definitions.json.in (including dead-lettering after the delivery
limit), restarts both without losing data, and stops them leaving no process
behind.'

: "${OMS_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
# shellcheck source=t/test-lib.sh
. "$OMS_SRCDIR/t/test-lib.sh"
# shellcheck source=t/lib-stack.sh
. "$OMS_SRCDIR/t/lib-stack.sh"

for tool in redis-server redis-cli rabbitmq-server rabbitmqctl epmd \
	amqp-publish amqp-get amqp-consume openssl ss; do
	command -v "$tool" >/dev/null || test_skip_all "$tool is not installed"
done

stack_init "$TRASH_DIRECTORY/stack" || exit 1
test_atexit 'stack_stop_all'

# redis_as USER ARGS...: redis-cli as USER, error replies on stdout.
redis_as() {
	stack_redis_cli_as "$@" 2>&1 | tr -d '\r'
}

# publish USER ROUTING_KEY BODY: a persistent message to oms.commands.
publish() {
	amqp-publish --url "$(stack_amqp_url "$1")" -e oms.commands -r "$2" -p -b "$3"
}

# get USER QUEUE: print one message body from QUEUE (basic.get, acked).
get() {
	amqp-get --url "$(stack_amqp_url "$1")" -q "$2"
}

# crash_consumer: take one delivery from order-worker-queue as oms-worker
# and die (SIGKILL) before acking it, as a crashing worker would.
crash_consumer() {
	timeout 10 amqp-consume --url "$(stack_amqp_url oms-worker)" \
		-q order-worker-queue -p 1 -c 1 -- sh -c 'cat >/dev/null; kill -9 $PPID'
	[ $? = 137 ]
}

# pids_of_stack: every pid this stack recorded.
pids_of_stack() {
	cat "$STACK_DIR"/pids/*.pid "$STACK_DIR/rabbitmq/launcher.pid" 2>/dev/null
}

test_expect_success 'redis starts from the base config plus the stack file' '
	stack_start_redis &&
	test_eq "$(stack_redis_cli ping)" PONG &&
	test_eq "$STACK_REDIS_URL" "redis://127.0.0.1:$STACK_REDIS_PORT/0" &&
	stack_redis_cli info server | tr -d "\r" >info &&
	grep -qx "tcp_port:$STACK_REDIS_PORT" info &&
	grep -qx "config_file:$STACK_DIR/redis/redis.conf" info &&
	stack_redis_cli info persistence | tr -d "\r" >info &&
	grep -qx "aof_enabled:1" info &&
	test -d "$STACK_DIR/redis/data/appendonlydir" &&
	test_eq "$(cat "$STACK_DIR/pids/redis.pid")" \
		"$(grep -x "process_id:[0-9]*" <(stack_redis_cli info server | tr -d "\r") | cut -d: -f2)"
'

test_expect_success 'redis refuses the default user and a wrong password' '
	out=$(redis-cli -h 127.0.0.1 -p "$STACK_REDIS_PORT" ping 2>&1) &&
	test_match "$out" "^NOAUTH" &&
	out=$(redis-cli -h 127.0.0.1 -p "$STACK_REDIS_PORT" get oms:x 2>&1) &&
	test_match "$out" "^NOAUTH" &&
	out=$(REDISCLI_AUTH=wrong redis-cli -h 127.0.0.1 -p "$STACK_REDIS_PORT" --user omsctl ping 2>&1) &&
	test_match "$out" "WRONGPASS" &&
	out=$(REDISCLI_AUTH=x redis-cli -h 127.0.0.1 -p "$STACK_REDIS_PORT" --user default ping 2>&1) &&
	test_match "$out" "WRONGPASS"
'

test_expect_success 'redis accepts each ACL user with its password' '
	ok=1 &&
	for user in oms-fcgi oms-worker omsctl; do
		test_eq "$(redis_as "$user" ping)" PONG || ok=0
	done &&
	test_eq "$ok" 1
'

test_expect_success 'oms-fcgi reads oms:*, writes only pending/idem/reply keys' '
	test_eq "$(redis_as oms-fcgi incr oms:idem:c1:n)" 1 &&
	test_eq "$(redis_as oms-fcgi expire oms:idem:c1:n 60)" 1 &&
	test_eq "$(redis_as oms-fcgi del oms:idem:c1:n)" 1 &&
	test_eq "$(redis_as oms-worker hset oms:order:o1 status created)" 1 &&
	test_eq "$(redis_as oms-fcgi hget oms:order:o1 status)" created &&
	test_eq "$(redis_as oms-fcgi set oms:pending:o2 1 EX 60)" OK &&
	test_eq "$(redis_as oms-fcgi set oms:idem:c1:abc o2 NX EX 60)" OK &&
	test_match "$(redis_as oms-fcgi hset oms:order:o1 status shipped)" "^NOPERM" &&
	test_match "$(redis_as oms-fcgi get other:key)" "^NOPERM" &&
	test_eq "$(redis_as oms-worker rpush oms:reply:cmd1 done)" 1 &&
	redis_as oms-fcgi blpop oms:reply:cmd1 1 >out &&
	printf "oms:reply:cmd1\ndone\n" >expect &&
	test_cmp expect out &&
	test_eq "$(redis_as oms-fcgi blpop oms:reply:cmd2 0.1)" "" &&
	test_match "$(redis_as oms-fcgi flushall)" "^NOPERM" &&
	test_match "$(redis_as oms-fcgi keys "oms:*")" "^NOPERM"
'

test_expect_success 'only oms-worker loads and calls Functions' '
	lib="#!lua name=omstest
redis.register_function(\"omstest_ping\", function() return \"pong\" end)" &&
	test_match "$(redis_as oms-fcgi function load replace "$lib")" "^NOPERM" &&
	test_match "$(redis_as omsctl function load replace "$lib")" "^NOPERM" &&
	test_eq "$(redis_as oms-worker function load replace "$lib")" omstest &&
	test_eq "$(redis_as oms-worker function load replace "$lib")" omstest &&
	test_eq "$(redis_as oms-worker fcall omstest_ping 0)" pong &&
	redis_as oms-worker function list libraryname omstest | grep -qx omstest &&
	test_match "$(redis_as oms-fcgi fcall omstest_ping 0)" "^NOPERM" &&
	test_match "$(redis_as oms-worker function flush)" "^NOPERM" &&
	test_match "$(redis_as oms-worker eval "return 1" 0)" "^NOPERM"
'

test_expect_success 'omsctl inspects with SCAN but not KEYS or CONFIG' '
	redis_as omsctl --scan --pattern "oms:order:*" >out &&
	grep -qx oms:order:o1 out &&
	test_eq "$(redis_as omsctl hget oms:order:o1 status)" created &&
	test_match "$(redis_as omsctl keys "*")" "^NOPERM" &&
	test_match "$(redis_as omsctl config get dir)" "^NOPERM" &&
	test_match "$(redis_as omsctl get foo)" "^NOPERM"
'

test_expect_success 'redis restarts on the same port and keeps its data (AOF)' '
	printf "MULTI\nHSET oms:multi:1 f v\nSADD oms:multi:set a\nEXEC\n" |
	    redis_as omsctl >multi.out &&
	test_eq "$(redis_as omsctl hget oms:multi:1 f)" v &&
	port=$STACK_REDIS_PORT &&
	old=$(cat "$STACK_DIR/pids/redis.pid") &&
	stack_restart_redis &&
	test_eq "$STACK_REDIS_PORT" "$port" &&
	! stack__running "$old" &&
	test_eq "$(redis_as omsctl hget oms:order:o1 status)" created &&
	test_eq "$(redis_as oms-worker fcall omstest_ping 0)" pong &&
	test_eq "$(redis_as omsctl hget oms:multi:1 f)" v &&
	test_eq "$(redis_as omsctl sismember oms:multi:set a)" 1 &&
	! grep -q NOPERM "$STACK_DIR/redis/redis.log"
'

test_expect_success 'rabbitmq starts privately (own epmd, loopback ports)' '
	stack_start_rabbitmq &&
	say "rabbitmq started in $STACK_RABBIT_START_MS ms" &&
	test_eq "$STACK_AMQP_URL" "amqp://127.0.0.1:$STACK_AMQP_PORT/oms" &&
	test_match "$STACK_RABBIT_NODE" "^oms-.+@localhost$" &&
	ok=1 &&
	for port in "$STACK_AMQP_PORT" "$STACK_RABBIT_DIST_PORT"; do
		test_eq "$(stack__listener_pid "$port")" "$(cat "$STACK_DIR/pids/rabbitmq.pid")" || ok=0
		if ss -Hltn "sport = :$port" | grep -v "127\.0\.0\.1:$port "; then
			ok=0
		fi
	done &&
	test_eq "$ok" 1 &&
	test_eq "$(stack__listener_pid "$STACK_RABBIT_EPMD_PORT")" \
		"$(cat "$STACK_DIR/pids/rabbitmq-epmd.pid")" &&
	stack_rabbitmqctl -q status >/dev/null
'

test_expect_success 'rabbitmq has no guest user and refuses guest/guest' '
	stack_rabbitmqctl -q list_users >users &&
	! grep -q "^guest" users &&
	ok=1 &&
	for user in oms-fcgi oms-worker omsctl oms-admin; do
		grep -q "^$user	" users || ok=0
	done &&
	test_eq "$ok" 1 &&
	grep -q "^oms-admin	\[administrator\]" users &&
	! amqp-publish --url "amqp://guest:guest@127.0.0.1:$STACK_AMQP_PORT/" \
		-e amq.direct -r x -b x 2>err &&
	grep -q ACCESS_REFUSED err &&
	! amqp-publish --url "amqp://guest:guest@127.0.0.1:$STACK_AMQP_PORT/oms" \
		-e oms.commands -r orders.x -b x 2>err &&
	grep -q ACCESS_REFUSED err &&
	! amqp-publish --url "amqp://oms-fcgi:wrong@127.0.0.1:$STACK_AMQP_PORT/oms" \
		-e oms.commands -r orders.x -b x 2>err &&
	grep -q ACCESS_REFUSED err
'

test_expect_success 'the oms topology is loaded from the definitions' '
	stack_rabbitmqctl -q list_queues -p oms name type durable arguments >queues &&
	grep "^order-worker-queue	quorum	true	" queues >q &&
	ok=1 &&
	for arg in "\"x-dead-letter-exchange\",\"oms.dead\"" \
		"\"x-dead-letter-strategy\",\"at-least-once\"" \
		"\"x-delivery-limit\",5" "\"x-overflow\",\"reject-publish\""; do
		grep -qF "{$arg}" q || ok=0
	done &&
	test_eq "$ok" 1 &&
	grep -q "^order-worker-queue\.dead	quorum	true	" queues &&
	stack_rabbitmqctl -q list_exchanges -p oms name type durable >exchanges &&
	grep -qx "oms\.commands	topic	true" exchanges &&
	grep -qx "oms\.dead	fanout	true" exchanges &&
	stack_rabbitmqctl -q list_bindings -p oms source_name destination_name routing_key >bindings &&
	grep -qx "oms\.commands	order-worker-queue	orders\.#" bindings &&
	grep -qx "oms\.dead	order-worker-queue\.dead	" bindings
'

test_expect_success 'oms-fcgi publishes orders.create; oms-worker gets it' '
	publish oms-fcgi orders.create "{\"v\":1,\"type\":\"orders.create\"}" &&
	test_eq "$(get oms-worker order-worker-queue)" "{\"v\":1,\"type\":\"orders.create\"}" &&
	! get oms-worker order-worker-queue
'

test_expect_success 'permissions: fcgi only publishes, omsctl reads only the DLQ' '
	! get oms-fcgi order-worker-queue 2>err &&
	grep -q ACCESS_REFUSED err &&
	! amqp-declare-queue --url "$(stack_amqp_url oms-fcgi)" -q mine 2>err &&
	grep -q ACCESS_REFUSED err &&
	! get omsctl order-worker-queue 2>err &&
	grep -q ACCESS_REFUSED err &&
	! amqp-publish --url "$(stack_amqp_url oms-fcgi)" -e oms.dead -r x -b x 2>err &&
	grep -q ACCESS_REFUSED err
'

test_expect_success 'a message redelivered past the limit lands in the DLQ' '
	publish oms-fcgi orders.create poison &&
	ok=1 &&
	for i in 1 2 3 4 5 6; do
		crash_consumer || ok=0
	done &&
	test_eq "$ok" 1 &&
	retry_until 10 get omsctl order-worker-queue.dead >out &&
	test_eq "$(cat out)" poison &&
	! get oms-worker order-worker-queue
'

test_expect_success 'rabbitmq restarts on the same port and keeps messages' '
	port=$STACK_AMQP_PORT &&
	publish oms-fcgi orders.cancel survivor &&
	stack_restart_rabbitmq &&
	say "rabbitmq restarted in $STACK_RABBIT_START_MS ms" &&
	test_eq "$STACK_AMQP_PORT" "$port" &&
	test_eq "$(get oms-worker order-worker-queue)" survivor
'

test_expect_success 'stack_stop_all leaves no process and no port behind' '
	pids=$(pids_of_stack) &&
	test -n "$pids" &&
	{ sleep 1000 & } &&
	echo $! >"$STACK_DIR/pids/other.pid" &&
	pids="$pids $!" &&
	stack_stop_all &&
	ok=1 &&
	for pid in $pids; do
		! stack__running "$pid" || ok=0
	done &&
	for port in "$STACK_REDIS_PORT" "$STACK_AMQP_PORT" \
		"$STACK_RABBIT_DIST_PORT" "$STACK_RABBIT_EPMD_PORT"; do
		test -z "$(ss -Hltn "sport = :$port")" || ok=0
	done &&
	test_eq "$ok" 1 &&
	test -z "$(ls "$STACK_DIR/pids")" &&
	stack_stop_all
'

test_done
