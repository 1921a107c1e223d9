// One probe of one container (pkg/kubelet/prober/worker.go): probes every periodSeconds on the
// injected clock, applies initialDelaySeconds, the success/failure thresholds and startup gating,
// and records the result under the container's ID.
import type { Container, Pod, PodStatus, Probe } from "kubernetes-types/core/v1.js";
import type { Clock } from "../../client/index.ts";
import type { ProbeKind, ProbeResult } from "./types.ts";

/** What a worker needs from its manager. */
export interface WorkerHost {
  readonly clock: Clock;
  podStatus(uid: string): PodStatus | undefined;
  setResult(kind: ProbeKind, containerID: string, result: ProbeResult, pod: Pod): void;
  removeResult(kind: ProbeKind, containerID: string): void;
  /** Runs the probe once; throws when it could not run (the result is then thrown away). */
  probe(kind: ProbeKind, pod: Pod, status: PodStatus, container: Container, containerID: string): Promise<ProbeResult>;
  workerDone(w: ProbeWorker): void;
  logError(err: unknown, w: ProbeWorker): void;
}

const INITIAL: Record<ProbeKind, ProbeResult> = { readiness: "failure", liveness: "success", startup: "unknown" };

export class ProbeWorker {
  readonly kind: ProbeKind;
  readonly container: Container;
  pod: Pod;
  private readonly host: WorkerHost;
  private readonly spec: Probe;
  private containerID = "";
  private lastResult: ProbeResult | undefined;
  private resultRun = 0;
  private onHold = false;
  private running = false;
  private stopped = false;
  private cancelTick: () => void = () => undefined;

  constructor(host: WorkerHost, kind: ProbeKind, pod: Pod, container: Container) {
    this.host = host;
    this.kind = kind;
    this.pod = pod;
    this.container = container;
    const spec = kind === "liveness" ? container.livenessProbe : kind === "readiness" ? container.readinessProbe : container.startupProbe;
    this.spec = spec ?? {};
  }

  get uid(): string {
    return this.pod.metadata?.uid ?? "";
  }

  /** Probes now, then every periodSeconds. */
  start(): void {
    this.run();
    this.scheduleTick();
  }

  /** Probes now unless a probe is running (readiness of a new container is checked promptly). */
  trigger(): void {
    this.run();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelTick();
    if (this.containerID) this.host.removeResult(this.kind, this.containerID);
    this.host.workerDone(this);
  }

  private scheduleTick(): void {
    const period = Math.max(1, this.spec.periodSeconds ?? 10) * 1000;
    this.cancelTick = this.host.clock.setTimer(period, () => {
      if (this.stopped) return;
      this.run();
      this.scheduleTick();
    });
  }

  private run(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.doProbe()
      .catch((err: unknown) => {
        this.host.logError(err, this);
        return true;
      })
      .then((keepGoing) => {
        this.running = false;
        if (!keepGoing) this.stop();
      });
  }

  /** One round; false = this worker is done for good. */
  private async doProbe(): Promise<boolean> {
    // Let a status being set in the same turn (the pod worker triggers readiness from status generation) land first.
    await Promise.resolve();
    const status = this.host.podStatus(this.uid);
    if (!status) return true;
    if (status.phase === "Failed" || status.phase === "Succeeded") return false;
    const name = this.container.name;
    let c = status.containerStatuses?.find((s) => s.name === name);
    if (!c?.containerID) c = status.initContainerStatuses?.find((s) => s.name === name);
    if (!c?.containerID) return true;
    if (this.containerID !== c.containerID) {
      if (this.containerID) this.host.removeResult(this.kind, this.containerID);
      this.containerID = c.containerID;
      this.host.setResult(this.kind, this.containerID, INITIAL[this.kind], this.pod);
      this.onHold = false;
    }
    if (this.onHold) return true;
    if (!c.state?.running) {
      this.host.setResult(this.kind, this.containerID, "failure", this.pod);
      return !c.state?.terminated || (this.pod.spec?.restartPolicy ?? "Always") !== "Never";
    }
    if (this.pod.metadata?.deletionTimestamp && (this.kind === "liveness" || this.kind === "startup")) {
      this.host.setResult(this.kind, this.containerID, "success", this.pod);
      return false;
    }
    const startedAt = Date.parse(c.state.running.startedAt ?? "");
    const sinceStart = Math.floor((this.host.clock.now() - startedAt) / 1000);
    if (!Number.isNaN(startedAt) && sinceStart < (this.spec.initialDelaySeconds ?? 0)) return true;
    if (c.started) {
      if (this.kind === "startup") return true;
    } else if (this.kind !== "startup") return true;

    const id = this.containerID;
    const result = await this.host.probe(this.kind, this.pod, status, this.container, id);
    if (this.stopped || id !== this.containerID) return !this.stopped;
    if (result === this.lastResult) this.resultRun++;
    else {
      this.lastResult = result;
      this.resultRun = 1;
    }
    if ((result === "failure" && this.resultRun < (this.spec.failureThreshold ?? 3)) || (result === "success" && this.resultRun < (this.spec.successThreshold ?? 1))) {
      return true;
    }
    this.host.setResult(this.kind, this.containerID, result, this.pod);
    if ((this.kind === "liveness" || this.kind === "startup") && result === "failure") {
      this.onHold = true;
      this.resultRun = 0;
    }
    return true;
  }
}
