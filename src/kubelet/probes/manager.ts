// The probe manager (pkg/kubelet/prober/prober_manager.go + prober.go): a worker per container
// probe, result stores keyed by container ID, the probe runner with its events, and the
// ready/started flags of container statuses.
import type { Container, Pod, PodStatus, Probe } from "kubernetes-types/core/v1.js";
import type { Clock } from "../../client/index.ts";
import { realClock } from "../../client/index.ts";
import type { Logger } from "../../util/log.ts";
import { silentLogger } from "../../util/log.ts";
import { containerRef, parseContainerID } from "../container/index.ts";
import type { EventSink } from "../container/index.ts";
import type { Runtime } from "../runtime/types.ts";
import { execProbe, httpProbe, probeHost, resolvePort, tcpProbe } from "./handlers.ts";
import type { ProbeOutcome } from "./handlers.ts";
import { PROBE_NAMES } from "./types.ts";
import type { ProbeKind, ProbeResult } from "./types.ts";
import { ProbeWorker } from "./worker.ts";
import type { WorkerHost } from "./worker.ts";

export interface ProbeManagerOptions {
  runtime: Runtime;
  /** The statuses the kubelet last computed (StatusManager): container IDs, start times, pod IP. */
  statusProvider: { getPodStatus(uid: string): PodStatus | undefined };
  recorder?: EventSink;
  clock?: Clock;
  log?: Logger;
  /** Called when a container's result changes (readiness/startup change status; liveness/startup failures restart). */
  onChange?: (uid: string, kind: ProbeKind, containerID: string, result: ProbeResult) => void;
  /** User-Agent of HTTP probes; default "kube-probe/1.32". */
  userAgent?: string;
  /** Attempts for a probe that errors (not one that fails); default 3. */
  maxRetries?: number;
}

const KINDS: ProbeKind[] = ["readiness", "liveness", "startup"];
const probeOf = (c: Container, kind: ProbeKind): Probe | undefined => (kind === "liveness" ? c.livenessProbe : kind === "readiness" ? c.readinessProbe : c.startupProbe);

/** Probes containers; results are read by the pod worker (liveness/startup) and status generation. */
export class ProbeManager {
  private readonly opts: ProbeManagerOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly workers = new Map<string, ProbeWorker>();
  private readonly results: Record<ProbeKind, Map<string, ProbeResult>> = { liveness: new Map(), readiness: new Map(), startup: new Map() };
  private readonly host: WorkerHost;

  constructor(opts: ProbeManagerOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? silentLogger;
    this.host = {
      clock: this.clock,
      podStatus: (uid) => this.opts.statusProvider.getPodStatus(uid),
      setResult: (kind, id, result, pod) => this.setResult(kind, id, result, pod),
      removeResult: (kind, id) => void this.results[kind].delete(id),
      probe: (kind, pod, status, container, id) => this.probe(kind, pod, status, container, id),
      workerDone: (w) => {
        const key = workerKey(w.uid, w.container.name, w.kind);
        if (this.workers.get(key) === w) this.workers.delete(key);
      },
      logError: (err, w) => this.log.warn({ err, pod: w.uid, container: w.container.name, probe: w.kind }, "probe worker failed"),
    };
  }

  /** Starts workers for the pod's container probes (idempotent; refreshes the pod they see). */
  addPod(pod: Pod): void {
    const uid = pod.metadata?.uid ?? "";
    for (const c of pod.spec?.containers ?? []) {
      for (const kind of KINDS) {
        if (!probeOf(c, kind)) continue;
        const key = workerKey(uid, c.name, kind);
        const existing = this.workers.get(key);
        if (existing) {
          existing.pod = pod;
          continue;
        }
        const w = new ProbeWorker(this.host, kind, pod, c);
        this.workers.set(key, w);
        w.start();
      }
    }
  }

  /** Stops liveness and startup probing (the pod is terminating; readiness keeps reporting). */
  stopLivenessAndStartup(uid: string): void {
    for (const w of [...this.workers.values()]) if (w.uid === uid && w.kind !== "readiness") w.stop();
  }

  removePod(uid: string): void {
    for (const w of [...this.workers.values()]) if (w.uid === uid) w.stop();
  }

  /** Stops workers of pods not in `keep`. */
  cleanupPods(keep: ReadonlySet<string>): void {
    for (const w of [...this.workers.values()]) if (!keep.has(w.uid)) w.stop();
  }

  stop(): void {
    for (const w of [...this.workers.values()]) w.stop();
  }

  /** The result for a container ID (`<runtime>://<id>`), if a worker has one. */
  result(kind: ProbeKind, containerID: string): ProbeResult | undefined {
    return this.results[kind].get(containerID);
  }

  /**
   * Sets `started` and `ready` on the container statuses: started once the startup probe
   * succeeded (or there is none) while running; ready once started and the readiness probe
   * succeeded (or there is none). Init containers are ready once they exited 0.
   */
  updatePodStatus(pod: Pod, status: PodStatus): void {
    const uid = pod.metadata?.uid ?? "";
    for (const c of status.containerStatuses ?? []) {
      let started: boolean;
      if (!c.state?.running) started = false;
      else {
        const r = c.containerID ? this.results.startup.get(c.containerID) : undefined;
        started = r !== undefined ? r === "success" : !this.workers.has(workerKey(uid, c.name, "startup"));
      }
      c.started = started;
      if (!started) {
        c.ready = false;
        continue;
      }
      const r = c.containerID ? this.results.readiness.get(c.containerID) : undefined;
      if (r === "success") c.ready = true;
      else {
        const w = this.workers.get(workerKey(uid, c.name, "readiness"));
        c.ready = !w;
        w?.trigger();
      }
    }
    for (const c of status.initContainerStatuses ?? []) {
      c.started = !!c.state?.running;
      c.ready = c.state?.terminated?.exitCode === 0;
    }
  }

  private setResult(kind: ProbeKind, id: string, result: ProbeResult, pod: Pod): void {
    const prev = this.results[kind].get(id);
    this.results[kind].set(id, result);
    if (prev !== result) this.opts.onChange?.(pod.metadata?.uid ?? "", kind, id, result);
  }

  /** prober.probe: runs with retries on errors, records Unhealthy/ProbeWarning events. */
  private async probe(kind: ProbeKind, pod: Pod, status: PodStatus, container: Container, containerID: string): Promise<ProbeResult> {
    const spec = probeOf(container, kind);
    if (!spec) return "success";
    const ref = containerRef(pod, container.name);
    const name = PROBE_NAMES[kind];
    let outcome: ProbeOutcome | undefined;
    let lastErr: unknown;
    for (let i = 0; i < (this.opts.maxRetries ?? 3) && !outcome; i++) {
      try {
        outcome = await this.runProbe(spec, status, container, containerID);
      } catch (err) {
        lastErr = err;
      }
    }
    if (!outcome) {
      const msg = lastErr instanceof Error ? lastErr.message : String(lastErr);
      this.opts.recorder?.event(ref, "Warning", "Unhealthy", `${name} probe errored and resulted in unknown state: ${msg}`);
      throw lastErr instanceof Error ? lastErr : new Error(msg);
    }
    if (outcome.result === "warning") {
      this.opts.recorder?.event(ref, "Warning", "ProbeWarning", `${name} probe warning: ${outcome.output}`);
      return "success";
    }
    if (outcome.result === "failure") {
      this.opts.recorder?.event(ref, "Warning", "Unhealthy", `${name} probe failed: ${outcome.output}`);
      return "failure";
    }
    return "success";
  }

  private runProbe(spec: Probe, status: PodStatus, container: Container, containerID: string): Promise<ProbeOutcome> {
    const timeout = Math.max(1, spec.timeoutSeconds ?? 1);
    if (spec.exec) return execProbe(this.opts.runtime, parseContainerID(containerID), spec.exec, timeout, this.clock);
    if (spec.httpGet) {
      const port = resolvePort(spec.httpGet.port, container);
      return httpProbe(spec.httpGet, probeHost(spec.httpGet, status.podIP), port, timeout, this.clock, this.opts.userAgent ?? "kube-probe/1.32");
    }
    if (spec.tcpSocket) return tcpProbe(probeHost(spec.tcpSocket, status.podIP), resolvePort(spec.tcpSocket.port, container), timeout, this.clock);
    if (spec.grpc) return Promise.reject(new Error("gRPC probes are not supported by this kubelet"));
    return Promise.reject(new Error("missing probe handler"));
  }
}

const workerKey = (uid: string, container: string, kind: ProbeKind) => `${uid}/${container}/${kind}`;
