// DefaultTolerationSeconds admission (plugin/pkg/admission/defaulttolerationseconds): pods get
// not-ready/unreachable NoExecute tolerations for 300 s unless one already covers them.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Toleration } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../../apimachinery/object.ts";
import { pods } from "./pod.ts";
import { create, update } from "./testkit.ts";

const NOT_READY = { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 };
const UNREACHABLE = { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 };

const pod = (tolerations?: Toleration[]): KubeObject => ({
  apiVersion: "v1", kind: "Pod", metadata: { name: "p" },
  spec: { containers: [{ name: "c", image: "i" }], ...(tolerations ? { tolerations } : {}) },
});
const tolerationsOf = (o: KubeObject) => (o.spec as { tolerations?: Toleration[] }).tolerations;

test("a pod without them gets both 300 s tolerations, after its own", async () => {
  assert.deepEqual(tolerationsOf((await create(pods, pod())).object), [NOT_READY, UNREACHABLE]);
  const own = { key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" };
  assert.deepEqual(tolerationsOf((await create(pods, pod([own]))).object), [own, NOT_READY, UNREACHABLE]);
});

test("tolerations already covering a taint are kept and not duplicated", async () => {
  const short = { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 2 };
  assert.deepEqual(tolerationsOf((await create(pods, pod([short]))).object), [short, NOT_READY]);
  // An empty effect covers NoExecute; an empty key with Exists covers every taint.
  const anyEffect = { key: "node.kubernetes.io/not-ready", operator: "Exists" };
  assert.deepEqual(tolerationsOf((await create(pods, pod([anyEffect]))).object), [anyEffect, UNREACHABLE]);
  const everything = { operator: "Exists" };
  assert.deepEqual(tolerationsOf((await create(pods, pod([everything]))).object), [everything]);
  // A NoSchedule toleration for the same key does not cover the NoExecute taint.
  const noSchedule = { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoSchedule" };
  assert.deepEqual(tolerationsOf((await create(pods, pod([noSchedule]))).object), [noSchedule, NOT_READY, UNREACHABLE]);
});

test("an update keeps them once, as on create", async () => {
  const created = (await create(pods, pod())).object;
  const { object, causes } = await update(pods, structuredClone(created), created);
  assert.deepEqual(causes, []);
  assert.deepEqual(tolerationsOf(object), [NOT_READY, UNREACHABLE]);
});
