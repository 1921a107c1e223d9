// Pod subresources served by code: `binding` (the scheduler assigns a node) and `eviction` (a
// delete that respects PodDisruptionBudgets, as `kubectl drain` uses).
import type { ServerResponse } from "node:http";
import type { KubeObject } from "../../apimachinery/object.ts";
import { errors } from "../../apimachinery/status.ts";
import { labelSelectorAsSelector, matchesLabels } from "../../apimachinery/labels.ts";
import type { LabelSelector, DeleteOptions } from "kubernetes-types/meta/v1.js";
import type { SubresourceHandler } from "../http/resource-handler.ts";
import { readBody, decodeBody } from "../http/body.ts";
import { send } from "../http/respond.ts";
import type { RestStore } from "./rest-store.ts";
import { timestamp } from "./object-meta.ts";

interface PodShape extends KubeObject {
  spec?: { nodeName?: string };
  status?: { conditions?: { type: string; status: string; lastTransitionTime?: string | null; lastProbeTime?: string | null }[] };
}

interface PdbShape extends KubeObject {
  spec?: { selector?: LabelSelector };
  status?: { disruptionsAllowed?: number; observedGeneration?: number; desiredHealthy?: number; currentHealthy?: number };
}

function success(res: ServerResponse, code = 201): void {
  send(res, code, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code });
}

/** POST pods/<name>/binding: sets spec.nodeName once, and the PodScheduled condition. */
export function bindingHandler(pods: RestStore): SubresourceHandler {
  return async (info, req, res, ctx) => {
    if (info.verb !== "create") throw errors.methodNotAllowed("binding only supports create");
    const binding = decodeBody(await readBody(req), req.headers["content-type"], ctx.protobuf) as { metadata?: { name?: string }; target?: { kind?: string; name?: string } };
    const node = binding.target?.name;
    if (!node) throw errors.invalid("Binding", "", info.name, [{ reason: "FieldValueRequired", field: "target.name", message: "Required value" }]);
    if (binding.target?.kind && binding.target.kind !== "Node") {
      throw errors.invalid("Binding", "", info.name, [{ reason: "FieldValueNotSupported", field: "target.kind", message: `Unsupported value: "${binding.target.kind}": supported values: "Node"` }]);
    }
    if (binding.metadata?.name && binding.metadata.name !== info.name) throw errors.badRequest(`the name of the binding (${binding.metadata.name}) does not match the pod (${info.name})`);
    await pods.guaranteedUpdate(info.namespace, info.name, (current) => {
      const pod = current as PodShape | null;
      if (!pod) throw errors.notFound(pods.ref, info.name);
      if (pod.metadata?.deletionTimestamp) throw errors.conflict(pods.ref, info.name, `pod ${info.name} is being deleted, cannot be assigned to a host`);
      if (pod.spec?.nodeName) throw errors.conflict(pods.ref, info.name, `pod ${info.name} is already assigned to node "${pod.spec.nodeName}"`);
      pod.spec = { ...pod.spec, nodeName: node };
      const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== "PodScheduled");
      conditions.push({ type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: timestamp(new Date()) });
      pod.status = { ...pod.status, conditions };
      return pod;
    }, "binding");
    success(res);
  };
}

/**
 * POST pods/<name>/eviction: deletes the pod unless a PodDisruptionBudget that selects it allows
 * no disruption now (429, as Kubernetes answers so that `kubectl drain` retries).
 */
export function evictionHandler(pods: RestStore, pdbs: () => Promise<KubeObject[]>): SubresourceHandler {
  return async (info, req, res, ctx) => {
    if (info.verb !== "create") throw errors.methodNotAllowed("eviction only supports create");
    const body = await readBody(req);
    const eviction = body.length ? (decodeBody(body, req.headers["content-type"], ctx.protobuf) as { deleteOptions?: DeleteOptions }) : {};
    const pod = (await pods.get(info.namespace, info.name)) as PodShape;
    const terminal = ["Succeeded", "Failed"].includes((pod.status as { phase?: string } | undefined)?.phase ?? "");
    if (!terminal && !pod.metadata?.deletionTimestamp) {
      const matching = (await pdbs()).filter((p) => p.metadata?.namespace === info.namespace && matchesLabels(labelSelectorAsSelector((p as PdbShape).spec?.selector), pod.metadata?.labels));
      if (matching.length > 1) throw errors.internal("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
      const pdb = matching[0] as PdbShape | undefined;
      if (pdb) {
        if ((pdb.status?.observedGeneration ?? 0) < (pdb.metadata?.generation ?? 0)) {
          throw errors.tooManyRequests(`Cannot evict pod as it would violate the pod's disruption budget. The disruption budget ${pdb.metadata?.name} is still being processed by the server.`, 10);
        }
        if ((pdb.status?.disruptionsAllowed ?? 0) < 1) {
          const err = errors.tooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 10);
          err.status.details!.causes = [{ reason: "DisruptionBudget", message: `The disruption budget ${pdb.metadata?.name} needs ${pdb.status?.desiredHealthy ?? 0} healthy pods and has ${pdb.status?.currentHealthy ?? 0} currently` }];
          throw err;
        }
      }
    }
    await pods.delete(info.namespace, info.name, eviction.deleteOptions ?? {});
    success(res);
  };
}
