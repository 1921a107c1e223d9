// End to end with the real kubectl against a freshly started k8ts API server: each command's
// output is checked, not only its exit code.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { startTestApiServer, KUBECTL } from "../src/testing/apiserver.ts";
import type { TestApiServer } from "../src/testing/apiserver.ts";

const MULTI_DOC = `apiVersion: v1
kind: Namespace
metadata:
  name: team-a
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: team-a
  labels: {app: web, tier: front}
data:
  color: blue
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: other
  namespace: team-a
  labels: {app: db}
data:
  size: "3"
`;

describe("kubectl against k8ts", () => {
  let t: TestApiServer;
  let manifest: string;
  const ok = async (args: string[], input?: string) => {
    const r = await t.kubectl(args, { input });
    assert.equal(r.code, 0, `kubectl ${args.join(" ")} failed: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    t = await startTestApiServer();
    manifest = await t.file("multi.yaml", MULTI_DOC);
  });
  after(async () => {
    await t.close();
  });

  it("version reports the server as Kubernetes 1.32", async () => {
    const out = JSON.parse(await ok(["version", "-o", "json"]));
    assert.equal(out.serverVersion.major, "1");
    assert.equal(out.serverVersion.minor, "32");
  });

  it("gets the system namespaces", async () => {
    const out = await ok(["get", "namespaces"]);
    for (const ns of ["default", "kube-system", "kube-public", "kube-node-lease"]) assert.match(out, new RegExp(`^${ns}\\s+Active\\s+\\d+s`, "m"));
    assert.match(out, /^NAME\s+STATUS\s+AGE$/m);
  });

  it("applies a multi-document file, and the second time reports it unchanged", async () => {
    assert.equal(await ok(["apply", "-f", manifest]), "namespace/team-a created\nconfigmap/settings created\nconfigmap/other created\n");
    assert.equal(await ok(["apply", "-f", manifest]), "namespace/team-a unchanged\nconfigmap/settings unchanged\nconfigmap/other unchanged\n");
  });

  it("gets with output formats, selectors and across namespaces", async () => {
    assert.match(await ok(["get", "cm", "-n", "team-a"]), /^settings\s+1\s+\d+s$/m);
    assert.equal(await ok(["get", "cm", "-n", "team-a", "-o", "name"]), "configmap/other\nconfigmap/settings\n");
    assert.equal(await ok(["get", "cm", "-n", "team-a", "-l", "app=web", "-o", "name"]), "configmap/settings\n");
    assert.equal(await ok(["get", "cm", "-n", "team-a", "-l", "app in (web,db),tier!=front", "-o", "name"]), "configmap/other\n");
    assert.equal(await ok(["get", "cm", "-n", "team-a", "--field-selector", "metadata.name=other", "-o", "name"]), "configmap/other\n");
    assert.equal(await ok(["get", "cm", "settings", "-n", "team-a", "-o", "jsonpath={.data.color}"]), "blue");
    const json = JSON.parse(await ok(["get", "cm", "settings", "-n", "team-a", "-o", "json"]));
    assert.equal(json.kind, "ConfigMap");
    assert.match(json.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(json.metadata.resourceVersion, /^\d+$/);
    assert.match(await ok(["get", "cm", "settings", "-n", "team-a", "-o", "yaml"]), /^ {2}color: blue$/m);
    const all = await ok(["get", "cm", "-A", "--show-labels"]);
    assert.match(all, /^team-a\s+settings\s+1\s+\S+\s+app=web,tier=front$/m);
    assert.match(await ok(["get", "cm", "-n", "team-a", "-o", "wide"]), /^NAME\s+DATA\s+AGE$/m);
  });

  it("labels, annotates and patches with all three patch types", async () => {
    assert.equal(await ok(["label", "cm", "settings", "-n", "team-a", "owner=me"]), "configmap/settings labeled\n");
    assert.equal(await ok(["annotate", "cm", "settings", "-n", "team-a", "note=hello"]), "configmap/settings annotated\n");
    await ok(["patch", "cm", "settings", "-n", "team-a", "-p", '{"data":{"size":"L"}}']);
    await ok(["patch", "cm", "settings", "-n", "team-a", "--type=merge", "-p", '{"data":{"color":null}}']);
    await ok(["patch", "cm", "settings", "-n", "team-a", "--type=json", "-p", '[{"op":"add","path":"/data/shape","value":"round"}]']);
    const cm = JSON.parse(await ok(["get", "cm", "settings", "-n", "team-a", "-o", "json"]));
    assert.deepEqual(cm.data, { size: "L", shape: "round" });
    assert.equal(cm.metadata.labels.owner, "me");
    assert.equal(cm.metadata.annotations.note, "hello");
    const bad = await t.kubectl(["patch", "cm", "settings", "-n", "team-a", "--type=json", "-p", '[{"op":"test","path":"/data/size","value":"XL"}]']);
    assert.notEqual(bad.code, 0);
  });

  it("edits through KUBE_EDITOR", async () => {
    const editor = await t.file("editor.sh", "#!/bin/sh\nsed -i 's/size: L/size: M/' \"$1\"\n");
    const r = await t.kubectl(["edit", "cm", "settings", "-n", "team-a"], { env: { KUBE_EDITOR: `sh ${editor}` } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "configmap/settings edited\n");
    assert.equal(await ok(["get", "cm", "settings", "-n", "team-a", "-o", "jsonpath={.data.size}"]), "M");
  });

  it("creates namespaces and configmaps (kubectl sends protobuf bodies)", async () => {
    assert.equal(await ok(["create", "namespace", "team-b"]), "namespace/team-b created\n");
    assert.equal(await ok(["create", "configmap", "plain", "-n", "team-b", "--from-literal=a=b", "--from-literal=c=d"]), "configmap/plain created\n");
    const cm = JSON.parse(await ok(["get", "cm", "plain", "-n", "team-b", "-o", "json"]));
    assert.deepEqual(cm.data, { a: "b", c: "d" });
    assert.equal(JSON.parse(await ok(["get", "ns", "team-b", "-o", "json"])).status.phase, "Active");
  });

  it("applies server-side and diffs against the live object", async () => {
    const doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: team-b\ndata:\n  mode: one\n";
    assert.equal(await ok(["apply", "--server-side", "-f", "-"], doc), "configmap/ssa serverside-applied\n");
    const live = JSON.parse(await ok(["get", "cm", "ssa", "-n", "team-b", "-o", "json", "--show-managed-fields"]));
    assert.equal(live.data.mode, "one");
    assert.ok(live.metadata.managedFields.some((m: { manager: string; operation: string }) => m.manager === "kubectl" && m.operation === "Apply"));
    const changed = doc.replace("mode: one", "mode: two");
    const diff = await t.kubectl(["diff", "-f", "-"], { input: changed });
    assert.equal(diff.code, 1, `kubectl diff exits 1 when there are differences: ${diff.stderr}`);
    assert.match(diff.stdout, /^-\s+mode: one$/m);
    assert.match(diff.stdout, /^\+\s+mode: two$/m);
    assert.equal(JSON.parse(await ok(["get", "cm", "ssa", "-n", "team-b", "-o", "json"])).data.mode, "one", "diff changes nothing");
    assert.equal(await ok(["apply", "--server-side", "-f", "-"], changed), "configmap/ssa serverside-applied\n");
    assert.equal(JSON.parse(await ok(["get", "cm", "ssa", "-n", "team-b", "-o", "json"])).data.mode, "two");
  });

  it("rejects unknown fields as kubectl's default strict validation expects", async () => {
    const r = await t.kubectl(["apply", "-f", "-"], { input: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: typo, namespace: team-b}\ndatta: {a: b}\n" });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /strict decoding error: unknown field "datta"/);
    const warn = await t.kubectl(["apply", "--validate=warn", "-f", "-"], { input: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: typo, namespace: team-b}\ndatta: {a: b}\n" });
    assert.equal(warn.code, 0, warn.stderr);
    assert.match(warn.stderr, /Warning: unknown field "datta"/);
  });

  it("creates secrets and deployments, and shows kubectl's columns for them", async () => {
    assert.equal(await ok(["create", "secret", "generic", "creds", "-n", "team-b", "--from-literal=user=admin"]), "secret/creds created\n");
    const secret = JSON.parse(await ok(["get", "secret", "creds", "-n", "team-b", "-o", "json"]));
    assert.equal(Buffer.from(secret.data.user, "base64").toString(), "admin");
    assert.equal(secret.type, "Opaque");
    assert.match(await ok(["get", "secrets", "-n", "team-b"]), /^creds\s+Opaque\s+1\s+\d+s$/m);
    assert.equal(await ok(["create", "deployment", "web", "-n", "team-b", "--image=busybox:1.36", "--replicas=3"]), "deployment.apps/web created\n");
    const deploy = JSON.parse(await ok(["get", "deploy", "web", "-n", "team-b", "-o", "json"]));
    assert.equal(deploy.spec.replicas, 3);
    assert.equal(deploy.spec.strategy.rollingUpdate.maxSurge, "25%");
    assert.equal(deploy.spec.template.spec.containers[0].image, "busybox:1.36");
    assert.equal(deploy.metadata.generation, 1);
    assert.match(await ok(["get", "deployments", "-n", "team-b"]), /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+0\/3\s+0\s+0\s+\d+s$/m);
    assert.match(await ok(["get", "deployments", "-n", "team-b", "-o", "wide"]), /^web\s+0\/3\s+0\s+0\s+\d+s\s+busybox\s+busybox:1.36\s+app=web$/m);
  });

  it("allocates ClusterIPs and node ports to Services, and has the kubernetes Service", async () => {
    assert.match(await ok(["get", "svc", "kubernetes", "-n", "default"]), /^kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP\s+\d+s$/m);
    await ok(["create", "service", "nodeport", "web", "-n", "team-b", "--tcp=80:8080"]);
    const svc = JSON.parse(await ok(["get", "svc", "web", "-n", "team-b", "-o", "json"]));
    assert.match(svc.spec.clusterIP, /^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    assert.ok(svc.spec.ports[0].nodePort >= 30000 && svc.spec.ports[0].nodePort <= 32767);
    assert.match(await ok(["get", "svc", "web", "-n", "team-b"]), new RegExp(`^web\\s+NodePort\\s+${svc.spec.clusterIP.replace(/\./g, "\\.")}\\s+<none>\\s+80:${svc.spec.ports[0].nodePort}/TCP`, "m"));
  });

  it("shows pods with NODE and IP in wide output", async () => {
    const pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p1, namespace: team-b}\nspec:\n  containers: [{name: c, image: busybox}]\n";
    assert.equal(await ok(["apply", "-f", "-"], pod), "pod/p1 created\n");
    assert.match(await ok(["get", "pods", "-n", "team-b", "-o", "wide"]), /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\np1\s+0\/1\s+Pending\s+0\s+\d+s\s+<none>\s+<none>\s+<none>\s+<none>$/m);
    const json = JSON.parse(await ok(["get", "pod", "p1", "-n", "team-b", "-o", "json"]));
    assert.equal(json.spec.restartPolicy, "Always");
    assert.equal(json.status.phase, "Pending");
    assert.equal(json.status.qosClass, "BestEffort");
  });

  it("explains pod.spec from the served OpenAPI", async () => {
    const out = await ok(["explain", "pod.spec"]);
    assert.match(out, /^KIND:\s+Pod$/m);
    assert.match(out, /containers\s+<\[\]Container> -required-/);
  });

  it("gets events, including those of an object in describe", async () => {
    const uid = await ok(["get", "pod", "p1", "-n", "team-b", "-o", "jsonpath={.metadata.uid}"]);
    const event = {
      apiVersion: "v1", kind: "Event", metadata: { name: "p1.1", namespace: "team-b" },
      involvedObject: { kind: "Pod", name: "p1", namespace: "team-b", apiVersion: "v1", uid },
      reason: "Scheduled", message: "Successfully assigned team-b/p1 to node-1", type: "Normal",
      firstTimestamp: new Date().toISOString().replace(/\.\d+Z/, "Z"), lastTimestamp: new Date().toISOString().replace(/\.\d+Z/, "Z"), count: 1,
      source: { component: "default-scheduler" },
    };
    await ok(["create", "-f", "-"], JSON.stringify(event));
    assert.match(await ok(["get", "events", "-n", "team-b"]), /Normal\s+Scheduled\s+pod\/p1\s+Successfully assigned team-b\/p1 to node-1/);
    assert.match(await ok(["describe", "pod", "p1", "-n", "team-b"]), /Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned team-b\/p1 to node-1/);
  });

  it("tells who the caller is and where the cluster is", async () => {
    assert.match(await ok(["auth", "whoami"]), /Username\s+system:admin/);
    assert.match(await ok(["cluster-info"]), /Kubernetes control plane is running at https:\/\/127\.0\.0\.1:\d+/);
  });

  it("describes an object", async () => {
    const out = await ok(["describe", "cm", "settings", "-n", "team-a"]);
    assert.match(out, /^Name:\s+settings$/m);
    assert.match(out, /^Namespace:\s+team-a$/m);
    assert.match(out, /^Labels:\s+app=web$/m);
  });

  it("lists API resources and versions", async () => {
    const resources = await ok(["api-resources"]);
    assert.match(resources, /^configmaps\s+cm\s+v1\s+true\s+ConfigMap$/m);
    assert.match(resources, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
    assert.match(await ok(["api-versions"]), /^v1$/m);
  });

  it("watches: get -w prints a change made by another client", async () => {
    const watcher = spawn(KUBECTL, ["--kubeconfig", t.kubeconfig, "get", "cm", "-n", "team-a", "-w", "--output-watch-events"], {
      env: { PATH: process.env.PATH ?? "", HOME: `${t.dir}/home`, KUBECACHEDIR: `${t.dir}/home/cache` },
    });
    let out = "";
    watcher.stdout.on("data", (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => /other/.test(out), 15_000, () => out);
      await ok(["label", "cm", "other", "-n", "team-a", "watched=yes"]);
      await waitFor(() => /MODIFIED\s+other/.test(out), 15_000, () => out);
    } finally {
      watcher.kill();
    }
  });

  it("deletes by name, by label and with --all", async () => {
    await ok(["create", "-f", "-", "-n", "team-a"], "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra1, labels: {batch: x}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra2, labels: {batch: x}}\n");
    assert.equal(await ok(["delete", "cm", "settings", "-n", "team-a"]), 'configmap "settings" deleted\n');
    assert.equal(await ok(["delete", "cm", "-n", "team-a", "-l", "batch=x"]), 'configmap "extra1" deleted\nconfigmap "extra2" deleted\n');
    assert.equal(await ok(["delete", "cm", "-n", "team-a", "--all"]), 'configmap "other" deleted\n');
    assert.match((await t.kubectl(["get", "cm", "-n", "team-a"])).stderr, /No resources found in team-a namespace/);
  });

  it("reports not found and invalid input as kubectl shows Kubernetes errors", async () => {
    const missing = await t.kubectl(["get", "cm", "nope", "-n", "team-a"]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /Error from server \(NotFound\): configmaps "nope" not found/);
    const invalid = await t.kubectl(["apply", "-f", "-"], { input: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name, namespace: team-a}\n" });
    assert.notEqual(invalid.code, 0);
    assert.match(invalid.stderr, /ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"/);
  });
});

async function waitFor(cond: () => boolean, timeoutMs: number, show: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out; output so far:\n${show()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
