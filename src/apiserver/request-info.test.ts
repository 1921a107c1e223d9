// Path parsing as kube-apiserver's RequestInfoFactory.
import { it } from "node:test";
import assert from "node:assert/strict";
import { parseRequestInfo } from "./request-info.ts";

const parse = (method: string, url: string) => {
  const u = new URL(url, "https://x");
  return parseRequestInfo(method, u.pathname, u.searchParams);
};

it("parses resource paths into group, version, namespace, resource, name, subresource and verb", () => {
  const cases: [string, string, object][] = [
    ["GET", "/api/v1/pods", { verb: "list", group: "", version: "v1", namespace: "", resource: "pods", name: "" }],
    ["GET", "/api/v1/namespaces/ns1/pods?watch=true", { verb: "watch", namespace: "ns1", resource: "pods" }],
    ["GET", "/api/v1/watch/namespaces/ns1/pods", { verb: "watch", namespace: "ns1", resource: "pods" }],
    ["GET", "/api/v1/namespaces/ns1/pods/p1/log", { verb: "get", namespace: "ns1", resource: "pods", name: "p1", subresource: "log" }],
    ["POST", "/api/v1/namespaces/ns1/pods/p1/binding", { verb: "create", subresource: "binding" }],
    ["POST", "/api/v1/namespaces/ns1/pods/p1/exec", { verb: "connect", subresource: "exec" }],
    ["GET", "/api/v1/namespaces/ns1", { verb: "get", namespace: "", resource: "namespaces", name: "ns1" }],
    ["PUT", "/api/v1/namespaces/ns1/status", { verb: "update", namespace: "", resource: "namespaces", name: "ns1", subresource: "status" }],
    ["PUT", "/api/v1/namespaces/ns1/finalize", { verb: "update", resource: "namespaces", name: "ns1", subresource: "finalize" }],
    ["DELETE", "/apis/apps/v1/namespaces/d/deployments", { verb: "deletecollection", group: "apps", resource: "deployments" }],
    ["PATCH", "/apis/apps/v1/namespaces/d/deployments/x/scale", { verb: "patch", group: "apps", name: "x", subresource: "scale" }],
    ["GET", "/apis/coordination.k8s.io/v1/leases", { verb: "list", group: "coordination.k8s.io" }],
  ];
  for (const [method, url, want] of cases) {
    const info = parse(method, url);
    assert.ok(info.isResourceRequest, url);
    for (const [k, v] of Object.entries(want)) assert.equal((info as unknown as Record<string, unknown>)[k], v, `${method} ${url}: ${k}`);
  }
});

it("treats discovery and health paths as non-resource requests", () => {
  for (const url of ["/api", "/api/v1", "/apis", "/apis/apps", "/apis/apps/v1", "/version", "/healthz", "/openapi/v2"]) {
    assert.equal(parse("GET", url).isResourceRequest, false, url);
  }
});
