// scripts/lint-k8s.mjs — run by scripts/lint-k8s (which copies it beside
// the npm packages it imports). Arguments: the kustomize base directory,
// then optionally a file with `kubectl kustomize` output. Checks every
// object against the Kubernetes schemas (kubernetes-models), then what oms
// needs of it. Prints each problem as "FILE: KIND/NAME: reason"; exits 1 if
// there is any.
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { Deployment } from "kubernetes-models/apps/v1";
import { Service, ConfigMap, Secret } from "kubernetes-models/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { ScaledObject, TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1";

const [dir, rendered] = process.argv.slice(2);
const problems = [];
const say = (where, obj, msg) =>
  problems.push(`${where}: ${obj?.kind ?? "?"}/${obj?.metadata?.name ?? "?"}: ${msg}`);

const models = {
  "apps/v1 Deployment": Deployment,
  "v1 Service": Service,
  "v1 ConfigMap": ConfigMap,
  "v1 Secret": Secret,
  "policy/v1 PodDisruptionBudget": PodDisruptionBudget,
  "autoscaling/v2 HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "keda.sh/v1alpha1 ScaledObject": ScaledObject,
  "keda.sh/v1alpha1 TriggerAuthentication": TriggerAuthentication,
};

const isInt = (v) => Number.isInteger(v);
const isStr = (v) => typeof v === "string";

// The operators' resources: no schema package; the fields oms relies on.
const custom = {
  "rabbitmq.com/v1beta1 RabbitmqCluster": (o, w) => {
    const s = o.spec ?? {};
    if (!isInt(s.replicas) || s.replicas < 3 || s.replicas % 2 === 0)
      say(w, o, "spec.replicas must be an odd integer >= 3 (a quorum queue needs a majority)");
    const conf = s.rabbitmq?.additionalConfig;
    if (!isStr(conf)) say(w, o, "spec.rabbitmq.additionalConfig must be a string");
    else if (!/^cluster_partition_handling\s*=\s*pause_minority$/m.test(conf))
      say(w, o, "additionalConfig must set cluster_partition_handling = pause_minority");
  },
  "databases.spotahome.com/v1 RedisFailover": (o, w) => {
    const s = o.spec ?? {};
    if (!isInt(s.sentinel?.replicas) || s.sentinel.replicas < 3)
      say(w, o, "spec.sentinel.replicas must be an integer >= 3");
    if (!isInt(s.redis?.replicas) || s.redis.replicas < 3)
      say(w, o, "spec.redis.replicas must be an integer >= 3 (a master and 2 replicas: WAIT 1 survives a failover)");
    for (const part of ["sentinel", "redis"]) {
      const c = s[part]?.customConfig;
      if (c !== undefined && !(Array.isArray(c) && c.every(isStr)))
        say(w, o, `spec.${part}.customConfig must be a list of strings`);
    }
    if (!(s.redis?.customConfig ?? []).includes("repl-diskless-sync-delay 0"))
      say(w, o, "spec.redis.customConfig must have repl-diskless-sync-delay 0");
  },
};

function checkPod(o, w) {
  const pod = o.spec?.template?.spec ?? {};
  if (pod.securityContext?.runAsNonRoot !== true)
    say(w, o, "the pod must set securityContext.runAsNonRoot: true");
  const mounts = new Map();
  for (const c of pod.containers ?? []) {
    const sc = c.securityContext ?? {};
    if (sc.readOnlyRootFilesystem !== true)
      say(w, o, `container ${c.name}: readOnlyRootFilesystem must be true`);
    if (sc.allowPrivilegeEscalation !== false)
      say(w, o, `container ${c.name}: allowPrivilegeEscalation must be false`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL"))
      say(w, o, `container ${c.name}: capabilities.drop must include ALL`);
    if (!c.resources?.requests?.cpu)
      say(w, o, `container ${c.name}: a CPU request (the HPA scales on it)`);
    for (const m of c.volumeMounts ?? []) mounts.set(`${c.name} ${m.mountPath}`, m.name);
    const secretDirs = (c.volumeMounts ?? [])
      .filter((m) => (pod.volumes ?? []).some((v) => v.name === m.name && v.secret))
      .map((m) => m.mountPath + "/");
    for (const e of c.env ?? [])
      if (/^OMS_.*_FILE$/.test(e.name) && !secretDirs.some((d) => String(e.value).startsWith(d)))
        say(w, o, `container ${c.name}: ${e.name} is not under a mounted Secret`);
  }
  return { pod, mounts };
}

function checkApi(o, w) {
  const { pod, mounts } = checkPod(o, w);
  const names = (pod.containers ?? []).map((c) => c.name);
  for (const n of ["nginx", "oms-fcgi"])
    if (!names.includes(n)) say(w, o, `no container ${n}`);
  const sock = (pod.volumes ?? []).find((v) => v.emptyDir && mounts.get("nginx /run/oms") === v.name &&
    mounts.get("oms-fcgi /run/oms") === v.name);
  if (!sock) say(w, o, "nginx and oms-fcgi must share an emptyDir at /run/oms (the FastCGI socket)");
  const nginx = (pod.containers ?? []).find((c) => c.name === "nginx") ?? {};
  if (nginx.readinessProbe?.httpGet?.path !== "/readyz") say(w, o, "nginx: readinessProbe on /readyz");
  if (nginx.livenessProbe?.httpGet?.path !== "/healthz") say(w, o, "nginx: livenessProbe on /healthz");
}

function check(o, w) {
  if (o === null || typeof o !== "object") return say(w, o, "not an object");
  const key = `${o.apiVersion} ${o.kind}`;
  if (o.kind === "HorizontalPodAutoscaler" && o.apiVersion !== "autoscaling/v2")
    return say(w, o, "HPAs must be autoscaling/v2");
  const Model = models[key];
  if (Model) {
    try {
      new Model(o).validate();
    } catch (e) {
      return say(w, o, `schema: ${e.message}`);
    }
  } else if (custom[key]) {
    if (!isStr(o.metadata?.name)) say(w, o, "metadata.name must be a string");
    custom[key](o, w);
  } else return say(w, o, `unknown kind ${key}`);
  if (o.kind === "Deployment") (o.metadata.name === "oms-api" ? checkApi : checkPod)(o, w);
  if (o.kind === "ConfigMap" && o.metadata?.name?.startsWith("oms-env"))
    for (const k of Object.keys(o.data ?? {}))
      if (/PASSWORD|TOKEN|SECRET/.test(k) && !k.endsWith("_FILE"))
        say(w, o, `${k}: secrets belong in Secrets, not the ConfigMap`);
}

function checkFile(path, label = path) {
  let docs;
  try {
    docs = parseAllDocuments(readFileSync(path, "utf8"));
  } catch (e) {
    return problems.push(`${label}: ${e.message}`);
  }
  for (const d of docs) {
    if (d.errors.length) {
      problems.push(`${label}: YAML: ${d.errors[0].message}`);
      continue;
    }
    const o = d.toJS();
    if (o !== null) check(o, label);
  }
}

const kpath = join(dir, "kustomization.yaml");
const k = parseAllDocuments(readFileSync(kpath, "utf8"))[0].toJS();
if (!Array.isArray(k.resources) || k.resources.length === 0)
  problems.push(`${kpath}: no resources`);
for (const r of k.resources ?? []) {
  const p = join(dir, r);
  if (!existsSync(p)) problems.push(`${kpath}: ${r} does not exist`);
  else checkFile(p);
}
for (const g of k.configMapGenerator ?? [])
  for (const f of [...(g.envs ?? []), ...(g.files ?? [])]) {
    const p = join(dir, f.replace(/^[^=]*=/, ""));
    if (!existsSync(p)) problems.push(`${kpath}: configMapGenerator ${g.name}: ${f} does not exist`);
  }
// The env file as the ConfigMap will hold it.
const envs = (k.configMapGenerator ?? []).find((g) => g.name === "oms-env")?.envs ?? [];
for (const f of envs) {
  const data = {};
  for (const line of readFileSync(join(dir, f), "utf8").split("\n")) {
    if (/^\s*(#|$)/.test(line)) continue;
    const m = /^(OMS_[A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) problems.push(`${join(dir, f)}: not OMS_NAME=value: ${line}`);
    else data[m[1]] = m[2];
  }
  check({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "oms-env" }, data }, join(dir, f));
}
const example = join(dir, "keda-scaledobject.yaml");
if (existsSync(example)) checkFile(example);
if (rendered) checkFile(rendered, `kubectl kustomize ${dir}`);

if (problems.length) {
  for (const p of problems) console.error(p);
  console.error(`lint-k8s: ${problems.length} problem(s)`);
  process.exit(1);
}
