// Prometheus metrics of the scheduler (names as kube-scheduler's): attempts by result with their
// duration, the scheduling algorithm's latency, end-to-end pod scheduling latency from first
// queueing to bound, and pending pods by sub-queue.
import { Counter, Gauge, Histogram, Registry } from "prom-client";

const buckets = [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384];

export class SchedulerMetrics {
  readonly registry = new Registry();
  readonly attempts = new Counter({ name: "scheduler_schedule_attempts_total", help: "Number of attempts to schedule pods, by the result.", labelNames: ["result", "profile"] as const, registers: [this.registry] });
  readonly attemptDuration = new Histogram({ name: "scheduler_scheduling_attempt_duration_seconds", help: "Scheduling attempt latency in seconds (algorithm + binding).", labelNames: ["result", "profile"] as const, buckets, registers: [this.registry] });
  readonly algorithmDuration = new Histogram({ name: "scheduler_scheduling_algorithm_duration_seconds", help: "Scheduling algorithm latency in seconds.", buckets, registers: [this.registry] });
  readonly podSchedulingDuration = new Histogram({ name: "scheduler_pod_scheduling_sli_duration_seconds", help: "E2e latency for a pod being scheduled, from the time the pod enters the scheduling queue.", buckets, registers: [this.registry] });
  readonly pending = new Gauge({ name: "scheduler_pending_pods", help: "Number of pending pods, by the queue type.", labelNames: ["queue"] as const, registers: [this.registry] });
  private readonly profile: string;

  constructor(profile = "default-scheduler") {
    this.profile = profile;
  }

  attempt(result: "scheduled" | "unschedulable" | "error", ms: number): void {
    this.attempts.inc({ result, profile: this.profile });
    this.attemptDuration.observe({ result, profile: this.profile }, ms / 1000);
  }

  algorithm(ms: number): void {
    this.algorithmDuration.observe(ms / 1000);
  }

  e2e(ms: number): void {
    this.podSchedulingDuration.observe(ms / 1000);
  }

  observeQueue(l: { active: number; backoff: number; unschedulable: number; inFlight: number }): void {
    this.pending.set({ queue: "active" }, l.active);
    this.pending.set({ queue: "backoff" }, l.backoff);
    this.pending.set({ queue: "unschedulable" }, l.unschedulable);
    this.pending.set({ queue: "gated" }, 0);
  }
}
