#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2034,SC2317 # bodies are single-quoted strings eval'd by
# test_expect_success, so shellcheck sees neither their uses nor the calls
test_description='omsctl apikey create, list and revoke against a real Redis

Keys of each role are printed once and Redis keeps only their SHA-256
(checked over every key and value, and the AOF files); list never shows a
key; revoke removes the record and its set entry; usage errors exit 2 and
runtime errors (Redis down) exit 1, each with a message; the ACL lets
oms-fcgi read key records but not write them; stack_demo_keys writes a
mode-600 env file of working keys.'

: "${OMS_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
# shellcheck source=t/test-lib.sh
. "$OMS_SRCDIR/t/test-lib.sh"
# shellcheck source=t/lib-stack.sh
. "$OMS_SRCDIR/t/lib-stack.sh"

for tool in redis-server redis-cli jq sha256sum; do
	command -v "$tool" >/dev/null || test_skip_all "$tool is not installed"
done
test -x "$OMS_BUILDDIR/omsctl" || test_skip_all "no $OMS_BUILDDIR/omsctl"

stack_init "$TRASH_DIRECTORY/stack" || exit 1
test_atexit 'stack_stop_all'

# The caller's environment must not choose our Redis or password.
unset OMS_REDIS_URL OMS_REDIS_URL_FILE OMS_REDIS_PASSWORD OMS_REDIS_PASSWORD_FILE

# omsctl ARGS...: omsctl as the omsctl ACL user of this stack's Redis.
omsctl() {
	OMS_REDIS_URL=${STACK_REDIS_URL:-redis://127.0.0.1:1/0} \
		OMS_REDIS_PASSWORD_FILE=$(stack_secret_file redis-omsctl) \
		"$OMS_BUILDDIR/omsctl" "$@"
}

# sha KEY: the lower-case hex SHA-256 of KEY.
sha() {
	local sum
	sum=$(printf '%s' "$1" | sha256sum) && echo "${sum%% *}"
}

# usage_error STDERR_PATTERN ARGS...: omsctl ARGS exits 2, prints nothing
# on stdout and a message matching STDERR_PATTERN on stderr.
usage_error() {
	local pat=$1
	shift
	if ! test_expect_code 2 omsctl "$@" >out 2>err ||
		! test_eq "$(cat out)" "" "stdout of omsctl $*" ||
		! grep -Eq -- "$pat" err; then
		echo "stderr of omsctl $*:" >&2
		cat err >&2
		return 1
	fi
}

# no_sanitizer_report FILE...: no ASan/UBSan report in omsctl's stderr.
no_sanitizer_report() {
	! grep -El 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$@"
}

key_re='^oms_[A-Za-z0-9_-]{43}$'

test_expect_success 'setup: secrets for omsctl' '
	stack_secrets
'

test_expect_success '--help and --version print to stdout and exit 0' '
	omsctl --help >help.out 2>err &&
	grep -q "^Usage: omsctl " help.out &&
	grep -q "apikey create --role=ROLE" help.out &&
	grep -q "apikey list" help.out &&
	grep -q "apikey revoke" help.out &&
	grep -q OMS_REDIS_URL help.out &&
	grep -q OMS_REDIS_PASSWORD_FILE help.out &&
	test_eq "$(cat err)" "" &&
	omsctl --version >version.out &&
	grep -Eq "^omsctl \(oms\) [0-9]+\.[0-9]+\.[0-9]+" version.out &&
	omsctl apikey --help >sub.out &&
	grep -q "apikey create" sub.out &&
	omsctl apikey create --help >sub.out &&
	grep -q "apikey create" sub.out
'

test_expect_success 'usage errors exit 2 with a message (no Redis needed)' '
	usage_error "missing command" &&
	usage_error "unknown command .frob." frob &&
	usage_error "unrecognized option" --frob &&
	usage_error "missing subcommand" apikey &&
	usage_error "unknown subcommand .frob." apikey frob &&
	usage_error "unrecognized option .--frob." apikey create --frob &&
	usage_error "--role is required" apikey create --name=x &&
	usage_error "unknown role .root." apikey create --role=root --name=x &&
	usage_error "unknown role .Admin." apikey create --role=Admin --name=x &&
	usage_error "--customer-id is required for role customer" \
		apikey create --role=customer --name=x &&
	usage_error "--customer-id applies only to role customer" \
		apikey create --role=shipper --customer-id=c1 --name=x &&
	usage_error "--customer-id applies only to role customer" \
		apikey create --role=admin --customer-id=c1 --name=x &&
	usage_error "invalid --customer-id" \
		apikey create --role=customer --customer-id="a b" --name=x &&
	usage_error "--name=NAME is required" apikey create --role=admin &&
	usage_error "--name=NAME is required" apikey create --role=admin --name= &&
	usage_error "--name=NAME is required" apikey create --role=admin \
		--name="$(printf "%065d" 0)" &&
	usage_error "unexpected argument .extra." apikey create --role=admin \
		--name=x extra &&
	usage_error "unexpected argument .extra." apikey list extra &&
	usage_error "exactly one key id" apikey revoke &&
	usage_error "exactly one key id" apikey revoke 0123456789ab 0123456789ab &&
	usage_error "neither a key id" apikey revoke 0123 &&
	usage_error "neither a key id" apikey revoke not-hex-at-all &&
	usage_error "malformed API key" apikey revoke oms_short &&
	! grep -q oms_short err
'

test_expect_success 'a bad OMS_REDIS_URL is a usage error' '
	test_expect_code 2 env OMS_REDIS_URL=http://x "$OMS_BUILDDIR/omsctl" \
		apikey list 2>err &&
	grep -q OMS_REDIS_URL err
'

test_expect_success 'start redis' '
	stack_start_redis
'

test_expect_success 'create an admin key: printed once, Redis holds its hash' '
	omsctl apikey create --role=admin --name="Ops team" >admin.out 2>admin.err &&
	admin_key=$(head -n 1 admin.out) &&
	test_match "$admin_key" "$key_re" &&
	admin_hash=$(sha "$admin_key") &&
	grep -qx "id: ${admin_hash:0:12}" admin.out &&
	grep -qx "role: admin" admin.out &&
	grep -qx "name: Ops team" admin.out &&
	! grep -q "^customerId:" admin.out &&
	grep -Eqx "createdAt: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z" admin.out &&
	test_eq "$(grep -c "oms_" admin.out)" 1 &&
	grep -q "cannot be shown again" admin.err &&
	no_sanitizer_report admin.err &&
	test_eq "$(stack_redis_cli hget "oms:apikey:$admin_hash" role)" admin &&
	test_eq "$(stack_redis_cli hget "oms:apikey:$admin_hash" name)" "Ops team" &&
	test_eq "$(stack_redis_cli hexists "oms:apikey:$admin_hash" customerId)" 0 &&
	test_eq "$(stack_redis_cli sismember oms:apikeys "$admin_hash")" 1
'

test_expect_success 'create a customer key with --json' '
	omsctl apikey create --role=customer --customer-id=cus_42 \
		--name="Shop front" --json >cust.json 2>cust.err &&
	no_sanitizer_report cust.err &&
	jq -e . cust.json >/dev/null &&
	test_eq "$(jq -r "keys_unsorted | join(\",\")" cust.json)" \
		"key,id,role,customerId,name,createdAt" &&
	cust_key=$(jq -r .key cust.json) &&
	test_match "$cust_key" "$key_re" &&
	cust_hash=$(sha "$cust_key") &&
	test_eq "$(jq -r .id cust.json)" "${cust_hash:0:12}" &&
	test_eq "$(jq -r .role cust.json)" customer &&
	test_eq "$(jq -r .customerId cust.json)" cus_42 &&
	test_eq "$(jq -r .name cust.json)" "Shop front" &&
	stack_redis_cli hgetall "oms:apikey:$cust_hash" >rec &&
	test_eq "$(sed -n "/^customerId$/{n;p}" rec)" cus_42 &&
	test_eq "$(sed -n "/^role$/{n;p}" rec)" customer &&
	test_eq "$(sed -n "/^createdAt$/{n;p}" rec)" "$(jq -r .createdAt cust.json)"
'

test_expect_success 'create a shipper key; --json gives customerId null' '
	omsctl apikey create --role=shipper --name=carrier --json >ship.json &&
	ship_key=$(jq -r .key ship.json) &&
	test_match "$ship_key" "$key_re" &&
	ship_hash=$(sha "$ship_key") &&
	test_eq "$(jq -r ".customerId | type" ship.json)" null &&
	test_eq "$(stack_redis_cli hget "oms:apikey:$ship_hash" role)" shipper &&
	test "$ship_key" != "$admin_key" && test "$ship_key" != "$cust_key"
'

test_expect_success 'no plain key anywhere in Redis keys, values or the AOF' '
	stack_redis_cli --scan >keys &&
	test_eq "$(wc -l <keys)" 4 &&
	: >dump &&
	while read -r k; do
		echo "$k" &&
		case $(stack_redis_cli type "$k") in
		hash) stack_redis_cli hgetall "$k" ;;
		set) stack_redis_cli smembers "$k" ;;
		*) echo "unexpected type of $k"; return 1 ;;
		esac
	done <keys >dump &&
	grep -q "$admin_hash" dump && grep -q "$cust_hash" dump &&
	ok=1 &&
	for key in "$admin_key" "$cust_key" "$ship_key"; do
		! grep -qF "$key" dump || ok=0
		! grep -rqF "$key" "$STACK_DIR/redis" || ok=0
		! grep -qF "${key#oms_}" dump || ok=0
	done &&
	test_eq "$ok" 1
'

test_expect_success 'list shows every key without the key itself' '
	omsctl apikey list >list.out 2>list.err &&
	test_eq "$(cat list.err)" "" &&
	test_eq "$(wc -l <list.out)" 4 &&
	grep -Eq "^ID +ROLE +CUSTOMER +CREATED +NAME$" list.out &&
	grep -Eq "^${admin_hash:0:12} +admin +- +[0-9T:.-]+Z +Ops team$" list.out &&
	grep -Eq "^${cust_hash:0:12} +customer +cus_42 +[0-9T:.-]+Z +Shop front$" list.out &&
	grep -Eq "^${ship_hash:0:12} +shipper +- " list.out &&
	! grep -q "oms_" list.out &&
	omsctl apikey list --json >list.json &&
	test_eq "$(jq length list.json)" 3 &&
	test_eq "$(jq -r "[.[].id] | join(\" \")" list.json)" \
		"${admin_hash:0:12} ${cust_hash:0:12} ${ship_hash:0:12}" &&
	test_eq "$(jq -r "[.[] | has(\"key\")] | any" list.json)" false &&
	test_eq "$(jq -r ".[1].customerId" list.json)" cus_42 &&
	! grep -q "oms_" list.json
'

test_expect_success 'ACL: oms-fcgi reads key records but cannot write them' '
	test_eq "$(stack_redis_cli_as oms-fcgi hget "oms:apikey:$admin_hash" role)" admin &&
	stack_redis_cli_as oms-fcgi hgetall "oms:apikey:$cust_hash" >rec &&
	grep -qx cus_42 rec &&
	out=$(stack_redis_cli_as oms-fcgi hset "oms:apikey:$admin_hash" role customer 2>&1) &&
	test_match "$out" "^NOPERM" &&
	out=$(stack_redis_cli_as oms-fcgi del "oms:apikey:$admin_hash" 2>&1) &&
	test_match "$out" "^NOPERM" &&
	out=$(stack_redis_cli_as oms-fcgi sadd oms:apikeys x 2>&1) &&
	test_match "$out" "^NOPERM" &&
	test_eq "$(stack_redis_cli hget "oms:apikey:$admin_hash" role)" admin
'

test_expect_success 'revoke by id removes the record and its set entry' '
	omsctl apikey revoke "${ship_hash:0:12}" >rev.out 2>rev.err &&
	test_eq "$(cat rev.out)" "revoked ${ship_hash:0:12}" &&
	no_sanitizer_report rev.err &&
	test_eq "$(stack_redis_cli exists "oms:apikey:$ship_hash")" 0 &&
	test_eq "$(stack_redis_cli sismember oms:apikeys "$ship_hash")" 0 &&
	omsctl apikey list --json >list.json &&
	test_eq "$(jq length list.json)" 2 &&
	test_expect_code 1 omsctl apikey revoke "${ship_hash:0:12}" 2>err &&
	grep -q "no API key with id ${ship_hash:0:12}" err
'

test_expect_success 'revoke by full key or full hash; the key is never echoed' '
	omsctl apikey revoke "$cust_key" >rev.out 2>&1 &&
	test_eq "$(cat rev.out)" "revoked ${cust_hash:0:12}" &&
	test_eq "$(stack_redis_cli exists "oms:apikey:$cust_hash")" 0 &&
	test_expect_code 1 omsctl apikey revoke "$cust_key" >rev.out 2>&1 &&
	! grep -qF "$cust_key" rev.out &&
	grep -q "no API key with id ${cust_hash:0:12}" rev.out &&
	omsctl apikey create --role=shipper --name=tmp >tmp.out 2>/dev/null &&
	tmp_hash=$(sha "$(head -n 1 tmp.out)") &&
	omsctl apikey revoke "$tmp_hash" &&
	test_eq "$(stack_redis_cli exists "oms:apikey:$tmp_hash")" 0 &&
	test_expect_code 1 omsctl apikey revoke 000000000000 2>err &&
	grep -q "no API key with id 000000000000" err &&
	test_eq "$(stack_redis_cli smembers oms:apikeys)" "$admin_hash"
'

test_expect_success 'a wrong Redis password is a runtime error (exit 1)' '
	test_expect_code 1 env OMS_REDIS_URL="$STACK_REDIS_URL" \
		OMS_REDIS_PASSWORD=wrong "$OMS_BUILDDIR/omsctl" apikey list \
		>out 2>err &&
	test_eq "$(cat out)" "" &&
	grep -q "Redis is unavailable" err &&
	grep -q WRONGPASS err &&
	! grep -q wrong err
'

test_expect_success 'stack_demo_keys writes working keys to a mode-600 file' '
	(stack_demo_keys) &&
	file=$STACK_DIR/demo-keys.env &&
	test_eq "$(stat -c %a "$file")" 600 &&
	test_eq "$(cut -d= -f1 "$file" | tr "\n" " ")" \
		"OMS_ADMIN_KEY OMS_CUSTOMER_KEY OMS_CUSTOMER_ID OMS_SHIPPER_KEY " &&
	( . "$file" &&
	  test_match "$OMS_ADMIN_KEY" "$key_re" &&
	  test_eq "$OMS_CUSTOMER_ID" cus_demo &&
	  test_eq "$(stack_redis_cli hget "oms:apikey:$(sha "$OMS_ADMIN_KEY")" role)" admin &&
	  test_eq "$(stack_redis_cli hget "oms:apikey:$(sha "$OMS_CUSTOMER_KEY")" customerId)" cus_demo &&
	  test_eq "$(stack_redis_cli hget "oms:apikey:$(sha "$OMS_SHIPPER_KEY")" role)" shipper ) &&
	stack_demo_keys &&
	test_match "$OMS_SHIPPER_KEY" "$key_re" &&
	test_eq "$(printenv OMS_CUSTOMER_ID)" cus_demo &&
	grep -qx "OMS_SHIPPER_KEY=$OMS_SHIPPER_KEY" "$file"
'

test_expect_success 'Redis down: exit 1 with a message, and no key printed' '
	stack_stop_redis &&
	test_expect_code 1 omsctl apikey list >out 2>err &&
	test_eq "$(cat out)" "" &&
	grep -q "apikey list: Redis is unavailable: connect" err &&
	test_expect_code 1 omsctl apikey create --role=admin --name=x >out 2>err &&
	test_eq "$(cat out)" "" &&
	grep -q "apikey create: Redis is unavailable" err &&
	test_expect_code 1 omsctl apikey revoke "${admin_hash:0:12}" >out 2>err &&
	grep -q "apikey revoke: Redis is unavailable" err &&
	no_sanitizer_report err
'

test_done
