// Pod subresources served by the pod's kubelet, as kube-apiserver's pod REST: `log` (streamed),
// `exec`, `attach`, `portforward` (upgrades, proxied byte for byte) and `nodes/<n>/proxy/…`.
// The pod must be bound; the container is checked or defaulted with Kubernetes' messages; the
// kubelet is found from node.status.addresses and daemonEndpoints.kubeletEndpoint.Port.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Container, NodeAddress } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../apimachinery/object.ts";
import { StatusError, errors, fieldErrors } from "../../apimachinery/status.ts";
import type { StatusReason } from "../../apimachinery/status.ts";
import type { StatusCause } from "kubernetes-types/meta/v1.js";
import type { ResourceRequest } from "../request-info.ts";
import { requestURL } from "../request-info.ts";
import type { SubresourceHandler } from "../http/resource-handler.ts";
import { readBody } from "../http/body.ts";
import { kubeletRequest, plainForwardHeaders, unknownStatus } from "../http/stream-proxy.ts";
import type { KubeletTLS, KubeletTarget } from "../http/stream-proxy.ts";
import type { RestStore } from "./rest-store.ts";

export interface KubeletProxyOptions {
  pods: RestStore;
  nodes: RestStore;
  tls: KubeletTLS;
  /** Node address types tried in order (kube-apiserver's --kubelet-preferred-address-types). */
  preferredAddressTypes?: string[];
}

export const DEFAULT_ADDRESS_TYPES = ["InternalIP", "Hostname", "InternalDNS", "ExternalIP", "ExternalDNS"];
export const DEFAULT_KUBELET_PORT = 10250;
export const DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container";

interface PodShape extends KubeObject {
  spec?: { nodeName?: string; containers?: Container[]; initContainers?: Container[]; ephemeralContainers?: { name: string }[] };
}

interface NodeShape extends KubeObject {
  status?: { addresses?: NodeAddress[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
}

/** A Status error without a reason (not an API error): kubectl prints "Error from server: …". */
function unknownError(code: number, message: string): StatusError {
  const err = new StatusError(code, "InternalError", message);
  Object.assign(err.status, unknownStatus(code, message));
  delete err.status.reason;
  return err;
}

/** The kubelet's host and port for `nodeName` (kube's GetConnectionInfo). */
export async function kubeletEndpoint(opts: KubeletProxyOptions, nodeName: string): Promise<{ host: string; port: number }> {
  const node = (await opts.nodes.get("", nodeName)) as NodeShape;
  const addresses = node.status?.addresses ?? [];
  let host: string | undefined;
  for (const type of opts.preferredAddressTypes ?? DEFAULT_ADDRESS_TYPES) {
    host = addresses.find((a) => a.type === type && a.address)?.address;
    if (host) break;
  }
  if (!host) {
    const known = addresses.map((a) => `{${a.type} ${a.address}}`).join(" ");
    throw unknownError(500, `no preferred addresses found; known addresses: [${known}]`);
  }
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  return { host, port: port && port > 0 ? port : DEFAULT_KUBELET_PORT };
}

/** Every container name of the pod, init containers first (podutil.VisitContainers order). */
function containerNames(pod: PodShape): string[] {
  const s = pod.spec ?? {};
  return [...(s.initContainers ?? []), ...(s.containers ?? []), ...(s.ephemeralContainers ?? [])].map((c) => c.name);
}

/**
 * The container a request is for: the one named (which must exist), else the pod's only
 * container, else the one the default-container annotation names; else 400 as Kubernetes says it.
 */
export function chooseContainer(pod: PodShape, requested: string | null, name: string): string {
  const all = containerNames(pod);
  if (requested) {
    if (!all.includes(requested)) throw errors.badRequest(`container ${requested} is not valid for pod ${name}`);
    return requested;
  }
  const containers = pod.spec?.containers ?? [];
  if (containers.length === 1) return containers[0]!.name;
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (annotated && all.includes(annotated)) return annotated;
  if (containers.length === 0) throw errors.badRequest(`a container name must be specified for pod ${name}`);
  throw errors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${all.join(" ")}]`);
}

/** Go's bool from a query value: "", "0" and "false" are false, anything else true. */
function flag(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  return v !== null && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

function int(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

/** The kubelet query for a pod log request, validated as ValidatePodLogOptions. */
function logParams(query: URLSearchParams, name: string): URLSearchParams {
  const causes: StatusCause[] = [];
  const tail = int(query, "tailLines");
  const limit = int(query, "limitBytes");
  const sinceSeconds = int(query, "sinceSeconds");
  const sinceTime = query.get("sinceTime");
  let sinceMs: number | undefined;
  if (sinceTime) {
    sinceMs = Date.parse(sinceTime);
    if (!/^\d{4}-\d\d-\d\dT/.test(sinceTime) || Number.isNaN(sinceMs)) throw errors.badRequest(`parsing time ${JSON.stringify(sinceTime)} as "2006-01-02T15:04:05Z07:00": cannot parse`);
  }
  if (tail !== undefined && tail < 0) causes.push(fieldErrors.invalid("tailLines", tail, "must be greater than or equal to 0"));
  if (limit !== undefined && limit < 1) causes.push(fieldErrors.invalid("limitBytes", limit, "must be greater than 0"));
  if (sinceSeconds !== undefined && sinceSeconds < 1) causes.push(fieldErrors.invalid("sinceSeconds", sinceSeconds, "must be greater than 0"));
  if (sinceSeconds !== undefined && sinceMs !== undefined) causes.push({ reason: "FieldValueForbidden", field: "", message: "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified" });
  const stream = query.get("stream");
  if (stream !== null && !["Stdout", "Stderr", "All"].includes(stream)) causes.push(fieldErrors.notSupported("stream", stream, ["All", "Stderr", "Stdout"]));
  if (causes.length > 0) throw errors.invalid("PodLogOptions", "", name, causes);
  const params = new URLSearchParams();
  for (const f of ["follow", "previous", "timestamps"]) if (flag(query, f)) params.set(f, "true");
  if (sinceSeconds !== undefined) params.set("sinceSeconds", String(sinceSeconds));
  if (sinceMs !== undefined) params.set("sinceTime", new Date(Math.floor(sinceMs / 1000) * 1000).toISOString().replace(".000Z", "Z"));
  if (tail !== undefined) params.set("tailLines", String(tail));
  if (limit !== undefined) params.set("limitBytes", String(limit));
  if (stream !== null && stream !== "All") params.set("stream", stream);
  return params;
}

/** exec/attach query for the kubelet: booleans as "1", commands repeated (kube's streamParams). */
function streamParams(query: URLSearchParams, withCommand: boolean): URLSearchParams {
  const params = new URLSearchParams();
  for (const f of ["stdin", "stdout", "stderr", "tty"]) if (flag(query, f)) params.set(f, "1");
  if (withCommand) for (const c of query.getAll("command")) params.append("command", c);
  return params;
}

const path = (...segs: string[]) => `/${segs.map(encodeURIComponent).join("/")}`;
const withQuery = (p: string, q: URLSearchParams) => (q.size > 0 ? `${p}?${q}` : p);

async function boundPod(opts: KubeletProxyOptions, info: ResourceRequest): Promise<PodShape> {
  return (await opts.pods.get(info.namespace, info.name)) as PodShape;
}

/**
 * Where an exec/attach/portforward (pods) or proxy (nodes) request goes on the kubelet; null when
 * the request is none of these. Throws the API errors kube-apiserver answers with.
 */
export async function connectTarget(opts: KubeletProxyOptions, info: ResourceRequest, req: IncomingMessage): Promise<KubeletTarget | null> {
  const query = requestURL(req.url ?? "/").searchParams;
  if (info.group === "" && info.resource === "nodes" && info.subresource === "proxy") return nodeProxyTarget(opts, info, req);
  if (info.group !== "" || info.resource !== "pods" || !["exec", "attach", "portforward"].includes(info.subresource)) return null;
  const pod = await boundPod(opts, info);
  const ns = pod.metadata?.namespace ?? info.namespace;
  if (info.subresource === "portforward") {
    if (!pod.spec?.nodeName) throw errors.badRequest(`pod ${info.name} does not have a host assigned`);
    const { host, port } = await kubeletEndpoint(opts, pod.spec.nodeName);
    const params = new URLSearchParams();
    const ports = query.getAll("ports").flatMap((p) => p.split(",")).filter((p) => p !== "");
    for (const p of ports) if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) throw errors.badRequest(`invalid port: ${p}`);
    if (ports.length > 0) params.set("port", ports.join(","));
    return { host, port, path: withQuery(path("portForward", ns, info.name), params) };
  }
  const container = chooseContainer(pod, query.get("container"), info.name);
  if (!pod.spec?.nodeName) throw errors.badRequest(`pod ${info.name} does not have a host assigned`);
  const { host, port } = await kubeletEndpoint(opts, pod.spec.nodeName);
  const params = streamParams(query, info.subresource === "exec");
  return { host, port, path: withQuery(path(info.subresource, ns, info.name, container), params) };
}

async function nodeProxyTarget(opts: KubeletProxyOptions, info: ResourceRequest, req: IncomingMessage): Promise<KubeletTarget> {
  const [nodeName, portOverride] = info.name.split(":");
  const endpoint = await kubeletEndpoint(opts, nodeName!);
  const raw = requestURL(req.url ?? "/");
  const m = /\/proxy(\/.*)?$/.exec(raw.pathname.slice(raw.pathname.indexOf(`/nodes/`)));
  const rest = m?.[1] ?? "/";
  const port = portOverride && /^\d+$/.test(portOverride) ? Number(portOverride) : endpoint.port;
  return { host: endpoint.host, port, path: withQuery(rest, raw.searchParams) };
}

/** Non-upgrade exec/attach/portforward: validated like the real thing, then 400 (an upgrade is required). */
export function podConnectHandler(opts: KubeletProxyOptions): SubresourceHandler {
  return async (info, req) => {
    if (info.verb !== "connect") throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
    await connectTarget(opts, info, req);
    throw errors.badRequest("Upgrade request required");
  };
}

/** A kubelet error answer as the API error kube-apiserver makes of it (GenericHttpResponseChecker). */
async function kubeletError(upstream: IncomingMessage, resource: string, name: string): Promise<StatusError> {
  const body = (await readBody(upstream, 64 * 1024).catch(() => Buffer.alloc(0))).toString();
  const code = upstream.statusCode ?? 500;
  if (code === 500) return errors.internal(body);
  if (code === 400) return errors.badRequest(body);
  // apimachinery's NewGenericServerResponse: a reason and message per code, then "( <resource> <name>)".
  const known: Record<number, [StatusReason, string]> = {
    401: ["Unauthorized", "the server has asked for the client to provide credentials"],
    403: ["Forbidden", body],
    404: ["NotFound", "the server could not find the requested resource"],
    422: ["Invalid", "the server rejected our request due to an error in our request"],
  };
  const [reason, message] = known[code] ?? ["InternalError", `the server responded with the status code ${code} but did not return more information`];
  const err = new StatusError(code, reason, `${message} ( ${resource} ${name})`, { name, kind: resource });
  if (!known[code]) delete err.status.reason;
  return err;
}

/** GET pods/<name>/log: streams the container's log from its kubelet (empty when the pod is unbound). */
export function podLogHandler(opts: KubeletProxyOptions): SubresourceHandler {
  return async (info, req, res) => {
    if (info.verb !== "get") throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
    const query = requestURL(req.url ?? "/").searchParams;
    const params = logParams(query, info.name);
    const pod = await boundPod(opts, info);
    const container = chooseContainer(pod, query.get("container"), info.name);
    if (!pod.spec?.nodeName) return void writeLogHead(res).end();
    const { host, port } = await kubeletEndpoint(opts, pod.spec.nodeName);
    const target = { host, port, path: withQuery(path("containerLogs", pod.metadata?.namespace ?? info.namespace, info.name, container), params) };
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    let upstream: IncomingMessage;
    try {
      upstream = await kubeletRequest(target, opts.tls, { signal: abort.signal });
    } catch (err) {
      throw unknownError(500, `Get "https://${host}:${port}${target.path}": ${(err as Error).message}`);
    }
    if ((upstream.statusCode ?? 500) < 200 || (upstream.statusCode ?? 500) > 206) throw await kubeletError(upstream, "pods/log", info.name);
    writeLogHead(res);
    upstream.pipe(res);
    await new Promise<void>((resolve) => {
      upstream.on("end", resolve);
      upstream.on("error", () => resolve());
      upstream.on("close", resolve);
    });
  };
}

function writeLogHead(res: ServerResponse): ServerResponse {
  res.writeHead(200, { "Content-Type": "text/plain", "Cache-Control": "no-cache, private" });
  res.flushHeaders();
  return res;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer"]);

/** nodes/<name>/proxy/<path>: any method, passed through to the kubelet with its answer as it is. */
export function nodeProxyHandler(opts: KubeletProxyOptions): SubresourceHandler {
  return async (info, req, res) => {
    const target = await nodeProxyTarget(opts, info, req);
    const body = ["GET", "HEAD", "DELETE"].includes(req.method ?? "GET") ? undefined : await readBody(req);
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    let upstream: IncomingMessage;
    try {
      upstream = await kubeletRequest(target, opts.tls, { method: req.method, headers: plainForwardHeaders(req), body, signal: abort.signal });
    } catch (err) {
      throw unknownError(503, `error trying to reach service: ${(err as Error).message}`);
    }
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(upstream.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    res.writeHead(upstream.statusCode ?? 502, headers);
    upstream.pipe(res);
    await new Promise<void>((resolve) => {
      upstream.on("end", resolve);
      upstream.on("error", () => resolve());
      upstream.on("close", resolve);
    });
  };
}
