// The namespace `finalize` subresource: PUT namespaces/<name>/finalize replaces spec.finalizers
// (the only way to change them); with none left a Terminating namespace is deleted.
import type { KubeObject } from "../../apimachinery/object.ts";
import { isPlainObject } from "../../apimachinery/object.ts";
import { errors } from "../../apimachinery/status.ts";
import type { SubresourceHandler } from "../http/resource-handler.ts";
import { readBody, decodeBody } from "../http/body.ts";
import { send } from "../http/respond.ts";
import type { RestStore } from "./rest-store.ts";

interface NamespaceShape extends KubeObject {
  spec?: { finalizers?: string[] };
}

/** PUT namespaces/<name>/finalize: writes the body's spec.finalizers, nothing else. */
export function finalizeHandler(namespaces: RestStore): SubresourceHandler {
  return async (info, req, res, ctx) => {
    if (info.verb !== "update") throw errors.methodNotAllowed("finalize only supports update");
    const body: unknown = decodeBody(await readBody(req), req.headers["content-type"], ctx.protobuf);
    const spec = isPlainObject(body) ? body.spec : undefined;
    if (spec !== undefined && !isPlainObject(spec)) throw errors.badRequest("spec must be an object");
    const finalizers: unknown = spec?.finalizers ?? [];
    if (!Array.isArray(finalizers) || finalizers.some((f) => typeof f !== "string")) throw errors.badRequest("spec.finalizers must be a list of strings");
    const written = await namespaces.guaranteedUpdate("", info.name, (current) => {
      const ns = current as NamespaceShape | null;
      if (!ns) throw errors.notFound(namespaces.ref, info.name);
      ns.spec = { ...ns.spec, finalizers: [...(finalizers as string[])] };
      return ns;
    }, "finalize");
    send(res, 200, written);
  };
}
