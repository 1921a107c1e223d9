// Prometheus metrics of the API server (prom-client): requests by verb/resource/code with latency
// histograms, in-flight requests, registered watchers, store operation latency.
import { Registry as PromRegistry, Counter, Histogram, Gauge, collectDefaultMetrics } from "prom-client";

export class ApiServerMetrics {
  readonly registry = new PromRegistry();
  readonly requests = new Counter({
    name: "apiserver_request_total",
    help: "Counter of apiserver requests broken out for each verb, group, resource, subresource and HTTP response code.",
    labelNames: ["verb", "group", "resource", "subresource", "code"] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: "apiserver_request_duration_seconds",
    help: "Response latency distribution in seconds for each verb, group, resource and subresource.",
    labelNames: ["verb", "group", "resource", "subresource"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly inflight = new Gauge({
    name: "apiserver_current_inflight_requests",
    help: "Number of requests currently being served (watches excluded).",
    labelNames: ["request_kind"] as const,
    registers: [this.registry],
  });
  readonly watchers = new Gauge({
    name: "apiserver_registered_watchers",
    help: "Number of currently registered watchers for a given resource.",
    labelNames: ["group", "resource"] as const,
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: "apiserver_flowcontrol_rejected_requests_total",
    help: "Requests rejected with 429 because too many were in flight.",
    registers: [this.registry],
  });
  readonly storeLatency = new Histogram({
    name: "apiserver_storage_request_duration_seconds",
    help: "Latency of store operations by operation and resource.",
    labelNames: ["operation", "resource"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  /** Registries of components running in the same process (`k8ts server`), served with ours. */
  private readonly included: PromRegistry[] = [];

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  include(registry: PromRegistry): void {
    if (!this.included.includes(registry)) this.included.push(registry);
  }

  /** The exposition text of this registry and every included one. */
  async text(): Promise<string> {
    const parts = await Promise.all([this.registry, ...this.included].map((r) => r.metrics()));
    return parts.join("\n");
  }
}
