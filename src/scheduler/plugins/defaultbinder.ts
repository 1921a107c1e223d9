// DefaultBinder: writes the decision as a `pods/binding` subresource create, as the Kubernetes
// scheduler does (the API server sets spec.nodeName and the PodScheduled condition).
import type { Pod } from "kubernetes-types/core/v1.js";
import { resourcePath, resources } from "../../client/index.ts";
import type { CycleState } from "../framework/cycle-state.ts";
import { SUCCESS, errorStatus } from "../framework/status.ts";
import type { Status } from "../framework/status.ts";
import type { BindPlugin, Handle, PluginFactory } from "../framework/types.ts";

export const DEFAULT_BINDER = "DefaultBinder";

export class DefaultBinder implements BindPlugin {
  readonly name = DEFAULT_BINDER;
  private readonly handle: Handle;

  constructor(handle: Handle) {
    this.handle = handle;
  }

  async bind(_state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    const { name, namespace, uid } = pod.metadata ?? {};
    const binding = { apiVersion: "v1", kind: "Binding", metadata: { name, namespace, uid }, target: { apiVersion: "v1", kind: "Node", name: nodeName } };
    try {
      await this.handle.client.request("POST", resourcePath(resources.pods, namespace, name, "binding"), binding);
      return SUCCESS;
    } catch (err) {
      return errorStatus(err);
    }
  }
}

export const newDefaultBinder: PluginFactory = (_args, handle) => new DefaultBinder(handle);
