#!/usr/bin/env bash
test_description='deploy/k8s: the kustomize base passes scripts/lint-k8s offline; a wrong field type, a writable root filesystem, a missing probe and a password in the ConfigMap each fail it'
. "${OMS_SRCDIR:-$(dirname "$0")/..}/t/test-lib.sh"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	test_skip_all 'no node and npm (scripts/install-deps)'
fi

lint() {
	"$OMS_SRCDIR/scripts/lint-k8s" "$@" >lint.out 2>&1
}

# broken NAME SED FILE: a copy of the base with SED applied to FILE.
broken() {
	rm -rf "$1" && cp -r "$OMS_SRCDIR/deploy/k8s" "$1" && sed -i "$2" "$1/$3"
}

test_expect_success 'the shipped base is clean' '
	lint "$OMS_SRCDIR/deploy/k8s" &&
	grep -q "ok (kubernetes-models" lint.out
'

test_expect_success 'a wrong field type fails (replicas: "2")' '
	broken bad-type "0,/replicas: 2/s//replicas: \"2\"/" api.yaml &&
	! lint bad-type &&
	grep -q "Deployment/oms-api: schema: data/spec/replicas must be integer" lint.out
'

test_expect_success 'a wrong type in an HPA metric fails' '
	broken bad-hpa "s/averageUtilization: 70/averageUtilization: high/" worker.yaml &&
	! lint bad-hpa &&
	grep -q "HorizontalPodAutoscaler/oms-worker: schema:.*averageUtilization must be integer" lint.out
'

test_expect_success 'a writable root filesystem fails' '
	broken rw "s/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/" worker.yaml &&
	! lint rw &&
	grep -q "container oms-worker: readOnlyRootFilesystem must be true" lint.out
'

test_expect_success 'a readiness probe off /readyz fails' '
	broken probe "s|path: /readyz|path: /healthz|" api.yaml &&
	! lint probe &&
	grep -q "readinessProbe on /readyz" lint.out
'

test_expect_success 'a password in the ConfigMap fails' '
	broken pw "\$a OMS_REDIS_PASSWORD=hunter2" oms.env &&
	! lint pw &&
	grep -q "OMS_REDIS_PASSWORD: secrets belong in Secrets" lint.out
'

test_expect_success 'an even RabbitMQ cluster fails' '
	broken even "s/replicas: 3/replicas: 4/" rabbitmq.yaml &&
	! lint even &&
	grep -q "RabbitmqCluster/oms-rabbitmq: spec.replicas must be an odd integer" lint.out
'

test_expect_success 'an nginx site out of step with the template fails' '
	broken site "s/fastcgi_read_timeout 30s/fastcgi_read_timeout 99s/" nginx/oms-site.conf &&
	! lint site &&
	grep -q "differs from the template" lint.out
'

test_done
