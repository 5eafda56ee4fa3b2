#!/usr/bin/env bash
test_description='docker-compose.yml and the Dockerfile: valid, every service healthchecked, and the same programs with the same OMS_* settings as scripts/up (t/lib-stack.sh); compose/init renders working configs'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"
. "$OMS_SRCDIR/t/lib-stack.sh"

command -v docker-compose >/dev/null || test_skip_all 'no docker-compose'
python3 -c 'import yaml' 2>/dev/null || test_skip_all 'no python3-yaml'

# What scripts/up and the tests run: t/lib-stack.sh's start functions,
# with stub programs that record their command line and environment.
STUB=$TRASH_DIRECTORY/stub
mkdir -p "$STUB"
for p in oms-fcgi oms-worker; do
	cat >"$STUB/$p" <<EOF_STUB
#!/usr/bin/env bash
{ echo "ARGV0=\${0##*/}"; echo "ARGC=\$#"; env | grep '^OMS_' | sort; } >"$STUB/$p.env"
if [ "$p" = oms-fcgi ]; then
	python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "\$OMS_FCGI_LISTEN"
else
	echo "running 2 children"
fi
EOF_STUB
	chmod +x "$STUB/$p"
done
# The simulator's stub answers /healthz (a static file) on its address.
mkdir -p "$STUB/www" && echo '{"status":"ok"}' >"$STUB/www/healthz"
cat >"$STUB/oms-provider-sim" <<EOF_STUB
#!/usr/bin/env bash
{ echo "ARGV0=\${0##*/}"; echo "ARGC=\$#"; env | grep '^OMS_' | sort; } >"$STUB/oms-provider-sim.env"
exec python3 -m http.server --bind 127.0.0.1 --directory "$STUB/www" "\${OMS_PROVIDER_SIM_LISTEN##*:}" >/dev/null 2>&1
EOF_STUB
chmod +x "$STUB/oms-provider-sim"

# compose JSON: `docker-compose config` (resolved, no OMS_* from our
# environment) as JSON.
compose_json() {
	(cd "$OMS_SRCDIR" &&
	    env -i PATH="$PATH" HOME="${HOME:-/root}" \
	    docker-compose -f docker-compose.yml config) |
	python3 -c 'import json,sys,yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'
}

test_expect_success 'docker-compose config -q accepts the file' '
	(cd "$OMS_SRCDIR" && docker-compose -f docker-compose.yml config -q) &&
	compose_json >compose.json &&
	jq -e .services compose.json >/dev/null
'

test_expect_success 'the services; every one has a healthcheck' '
	test_eq "$(jq -r ".services | keys | sort | join(\" \")" compose.json)" \
	    "nginx oms-fcgi oms-init oms-notify oms-provider-sim oms-worker rabbitmq redis" &&
	test_eq "$(jq -r "[.services[] | select(.healthcheck.test == null)] | length" compose.json)" 0
'

test_expect_success 'depends_on waits for healthy services (the init step: completed)' '
	jq -r ".services | to_entries[] | .key as \$s |
	    (.value.depends_on // {}) | to_entries[] |
	    \"\(\$s) \(.key) \(.value.condition)\"" compose.json | sort >deps.out &&
	cat >deps.want <<-\EOF_DEPS &&
	nginx oms-fcgi service_healthy
	oms-fcgi rabbitmq service_healthy
	oms-fcgi redis service_healthy
	oms-notify rabbitmq service_healthy
	oms-notify redis service_healthy
	oms-worker oms-provider-sim service_healthy
	oms-worker rabbitmq service_healthy
	oms-worker redis service_healthy
	rabbitmq oms-init service_completed_successfully
	redis oms-init service_completed_successfully
	EOF_DEPS
	test_cmp deps.want deps.out
'

test_expect_success 'two workers; probes: redis-cli ping, rabbitmq-diagnostics -q ping, /healthz' '
	test_eq "$(jq -r ".services[\"oms-worker\"].scale // .services[\"oms-worker\"].deploy.replicas" compose.json)" 2 &&
	jq -r ".services.redis.healthcheck.test | join(\" \")" compose.json | grep -q "redis-cli .*ping" &&
	jq -r ".services.rabbitmq.healthcheck.test | join(\" \")" compose.json | grep -q "rabbitmq-diagnostics -q ping" &&
	jq -r ".services.nginx.healthcheck.test | join(\" \")" compose.json | grep -q "/healthz" &&
	jq -r ".services[\"oms-fcgi\"].healthcheck.test | join(\" \")" compose.json | grep -q "REQUEST_URI=/healthz"
'

# volumes SERVICE: "SOURCE TARGET" per volume (docker-compose 1.x prints
# "source:target:mode" strings, 2.x objects).
volumes() {
	jq -r ".services[\"$1\"].volumes[] |
	    if type == \"string\" then (split(\":\") | \"\(.[0]) \(.[1])\")
	    else \"\(.source) \(.target)\" end" compose.json
}

test_expect_success 'named volumes hold the broker and Redis data; Redis loads our config' '
	jq -e ".volumes | has(\"redis-data\") and has(\"rabbitmq-data\")" compose.json >/dev/null &&
	volumes redis | grep -qx "redis-data /data" &&
	volumes rabbitmq | grep -qx "rabbitmq-data /var/lib/rabbitmq" &&
	jq -r ".services.redis.command | join(\" \")" compose.json | grep -qx "redis-server /usr/local/etc/redis/redis.conf" &&
	test_eq "$(jq -r .services.rabbitmq.hostname compose.json)" rabbitmq
'

test_expect_success 'scripts/up settings: run lib-stack.sh start functions with stub programs' '
	(
		for v in $(env | sed -n "s/^\(OMS_[A-Z_]*\)=.*/\1/p"); do
			case $v in OMS_SRCDIR | OMS_BUILDDIR) ;; *) unset "$v" ;; esac
		done &&
		OMS_BUILDDIR=$STUB && export OMS_BUILDDIR &&
		stack_init "$TRASH_DIRECTORY/stack" &&
		stack_secrets &&
		STACK_AMQP_URL=amqp://127.0.0.1:5672/oms &&
		STACK_REDIS_URL=redis://127.0.0.1:6379/0 &&
		stack_start_fcgi && stack_start_provider_sim &&
		stack_start_worker && stack_stop_provider_sim
	) &&
	test -s "$STUB/oms-fcgi.env" && test -s "$STUB/oms-worker.env" &&
	test -s "$STUB/oms-provider-sim.env"
'

# compare SERVICE: the stub's record of what lib-stack.sh passes against the
# compose service's command and environment.
compare() {
	local svc=$1 name val cval help rc=0
	jq -r ".services[\"$svc\"].environment // {} | to_entries[] |
	    \"\(.key)=\(.value)\"" compose.json | sort >"$svc.compose"
	jq -r ".services[\"$svc\"].secrets // [] | .[].source" compose.json >"$svc.secrets"
	test_eq "$(jq -r ".services[\"$svc\"].command | join(\" \")" compose.json)" \
	    "$(sed -n "s/^ARGV0=//p" "$STUB/$svc.env")" "$svc: command" || rc=1
	test_eq "$(sed -n "s/^ARGC=//p" "$STUB/$svc.env")" 0 "$svc: arguments" || rc=1
	while IFS= read -r line; do
		name=${line%%=*} val=${line#*=}
		cval=$(sed -n "s/^$name=//p" "$svc.compose")
		case $name in
		OMS_FCGI_SOCKET_MODE) continue ;; # unix sockets only
		OMS_FCGI_LISTEN | OMS_PROVIDER_SIM_LISTEN)
			test_match "$cval" "^[0-9.]+:[0-9]+$" || rc=1 ;;
		OMS_AMQP_URL | OMS_REDIS_URL)
			# Same scheme, vhost / db; no credentials in either.
			test_eq "${cval%%://*} /${cval##*/}" "${val%%://*} /${val##*/}" "$name" || rc=1
			test_match "$cval" "^[a-z]+://[a-z0-9.-]+:[0-9]+/[a-z0-9]+$" || rc=1 ;;
		*_PASSWORD_FILE)
			# The same secret (lib-stack: secrets/NAME; Compose: /run/secrets/NAME).
			test_eq "$cval" "/run/secrets/${val##*/}" "$name" || rc=1
			grep -qx "${val##*/}" "$svc.secrets" ||
			    { echo "$svc: secret ${val##*/} not granted" >&2; rc=1; } ;;
		OMS_REDIS_FUNCTIONS)
			test_eq "${cval##*/}" "${val##*/}" "$name" || rc=1 ;;
		OMS_PAYMENT_URL | OMS_SHIPPING_URL)
			# the simulator, by its address on each side
			test_match "$val" "^http://127.0.0.1:[0-9]+$" || rc=1
			test_match "$cval" "oms-provider-sim:8090" || rc=1 ;;
		*)	test_eq "$cval" "$val" "$name" || rc=1 ;;
		esac
	done < <(grep "^OMS_" "$STUB/$svc.env" | grep -Ev "^OMS_(SRC|BUILD)DIR=")
	# What Compose sets beyond lib-stack.sh is the program default.
	"$OMS_BUILDDIR/$svc" --help >"$svc.help"
	while IFS= read -r line; do
		name=${line%%=*} val=${line#*=}
		grep -q "^$name=" "$STUB/$svc.env" && continue
		[ "$svc/$name" = oms-fcgi/OMS_FCGI_LISTEN ] && continue
		[ "$name" = OMS_REDIS_FUNCTIONS ] && continue
		help=$(awk -v n="$name" '
		    $1 ~ "^" n "=" { on = 1; next }
		    on && /^  OMS_/ { exit }
		    on && /\(default: / { sub(/.*\(default: /, ""); sub(/\).*/, ""); print; exit }
		' "$svc.help")
		test_eq "$val" "$help" "$svc: $name is not the default" || rc=1
	done <"$svc.compose"
	return "$rc"
}

test_expect_success 'oms-fcgi: the same program and settings as scripts/up' '
	compare oms-fcgi
'

test_expect_success 'oms-worker: the same program and settings as scripts/up' '
	compare oms-worker
'

test_expect_success 'oms-provider-sim: the same program and settings as scripts/up' '
	compare oms-provider-sim &&
	jq -r ".services[\"oms-provider-sim\"].healthcheck.test | join(\" \")" compose.json | grep -q "GET /healthz"
'

test_expect_success 'nginx reaches oms-fcgi at the address it listens on' '
	listen=$(jq -r ".services[\"oms-fcgi\"].environment.OMS_FCGI_LISTEN" compose.json) &&
	grep -q "OMS_FCGI_ADDR:-oms-fcgi:${listen##*:}" "$OMS_SRCDIR/compose/init" &&
	jq -r ".services.nginx.ports[] | if type == \"string\" then . else .target | tostring end" compose.json | grep -Eq "(^|:)8080(/tcp)?$" &&
	grep -q "HTTP_LISTEN=8080" "$OMS_SRCDIR/compose/init"
'

# xxd_r: hex on stdin to bytes on stdout.
xxd_r() {
	local hex esc='' i
	hex=$(cat)
	for ((i = 0; i < ${#hex}; i += 2)); do esc+="\\x${hex:i:2}"; done
	printf "%b" "$esc"
}

test_expect_success 'compose/init renders configs that match the secrets' '
	tpl=$TRASH_DIRECTORY/tpl && sec=$TRASH_DIRECTORY/secrets && conf=$TRASH_DIRECTORY/conf &&
	mkdir -p "$tpl" "$sec" &&
	cp "$OMS_SRCDIR"/nginx/*.in "$OMS_SRCDIR"/redis/redis.conf \
	    "$OMS_SRCDIR"/redis/users.acl.in "$OMS_SRCDIR"/rabbitmq/*.in "$tpl/" &&
	for n in redis-default redis-oms-fcgi redis-oms-worker redis-omsctl \
	    redis-oms-notify amqp-oms-fcgi amqp-oms-worker amqp-omsctl \
	    amqp-oms-admin amqp-oms-notify; do
		printf "%s" "pw-$n-$RANDOM" >"$sec/$n" || return 1
	done &&
	OMS_INIT_TEMPLATES=$tpl OMS_INIT_SECRETS=$sec OMS_INIT_OUT=$conf \
	    OMS_FCGI_ADDR=127.0.0.1:9000 bash "$OMS_SRCDIR/compose/init" &&
	test -f "$conf/.done" &&
	grep -q "server 127.0.0.1:9000;" "$conf/nginx/default.conf" &&
	grep -q "^aclfile /usr/local/etc/redis/users.acl" "$conf/redis/redis.conf" &&
	grep -qx "include /usr/local/etc/redis/oms.conf" "$conf/redis/redis.conf" &&
	grep -qx "appendonly yes" "$conf/redis/oms.conf" &&
	for u in default oms-fcgi oms-worker omsctl oms-notify; do
		h=$(printf "%s" "$(cat "$sec/redis-$u")" | sha256sum) &&
		grep -q "^user $u on #${h%% *} " "$conf/redis/users.acl" || return 1
	done &&
	grep -q "^load_definitions = /etc/rabbitmq/conf.d/definitions.json" "$conf/rabbitmq/30-oms.conf" &&
	grep -qx "listeners.tcp.default = 5672" "$conf/rabbitmq/40-compose.conf" &&
	for u in oms-fcgi oms-worker omsctl oms-admin oms-notify; do
		b64=$(jq -r ".users[] | select(.name == \"$u\") | .password_hash" "$conf/rabbitmq/definitions.json") &&
		salt=$(printf "%s" "$b64" | base64 -d | head -c 4 | od -An -tx1 | tr -d " \n") &&
		want=$({ printf "%s" "$salt" | xxd_r; printf "%s" "$(cat "$sec/amqp-$u")"; } | sha256sum) &&
		got=$(printf "%s" "$b64" | base64 -d | tail -c 32 | od -An -tx1 | tr -d " \n") &&
		test_eq "$got" "${want%% *}" "rabbit hash of $u" || return 1
	done
'

test_expect_success 'the rendered nginx site passes nginx -t' '
	mkdir -p ngx/tmp &&
	sed -e "s|listen 8080;|listen 127.0.0.1:$(stack_free_port);|" \
	    -e "s|access_log /dev/stdout|access_log $TRASH_DIRECTORY/ngx/access.log|" \
	    "$conf/nginx/default.conf" >ngx/oms-site.conf &&
	stack_render "$OMS_SRCDIR/nginx/nginx.conf.in" ngx/nginx.conf \
	    PREFIX="$TRASH_DIRECTORY/ngx" USER_LINE= PID_FILE="$TRASH_DIRECTORY/ngx/nginx.pid" &&
	nginx -t -p "$TRASH_DIRECTORY/ngx" -c "$TRASH_DIRECTORY/ngx/nginx.conf" \
	    -e "$TRASH_DIRECTORY/ngx/error.log"
'

test_expect_success 'Dockerfile: debian:12 stages, non-root runtime, the init script, the runtime libraries' '
	df=$OMS_SRCDIR/Dockerfile &&
	test_eq "$(grep -c "^FROM debian:12" "$df")" 2 &&
	user=$(sed -n "s/^USER //p" "$df" | tail -n 1) &&
	test -n "$user" && test "${user%%:*}" != root && test "${user%%:*}" != 0 &&
	init=$(jq -r ".services[\"oms-init\"].command[0]" compose.json) &&
	grep -qx "COPY compose/init $init" "$df" &&
	# Every shared library the programs link is in a package the runtime
	# stage installs (libc excepted).
	for p in oms-fcgi oms-worker omsctl oms-provider-sim; do
		readelf -d "$OMS_BUILDDIR/$p" |
		    sed -n "s/.*(NEEDED).*\[\(.*\)\]/\1/p" || return 1
	done | sort -u >libs.out &&
	while read -r so; do
		case $so in libc.so.*|libasan.so.*|libubsan.so.*) continue ;; esac
		pkg=$(dpkg -S "*/$so" | head -n 1) &&
		pkg=${pkg%%:*} &&
		test -n "$pkg" && grep -qw -- "$pkg" "$df" || { echo "Dockerfile lacks $pkg ($so)" >&2; return 1; }
	done <libs.out
'

test_done
