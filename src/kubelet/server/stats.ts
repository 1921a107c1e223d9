// Stats views of the summary: `/stats/summary?only_cpu_and_memory=true` (what metrics-server
// asked for before 0.6) and `/metrics/resource` (the Prometheus text metrics-server scrapes now),
// both as the kubelet renders them.
import type { CPUStats, ContainerStatsSummary, MemoryStats, StatsSummary } from "./types.ts";

/** The summary reduced to CPU and memory (the kubelet's only_cpu_and_memory). */
export function cpuAndMemoryOnly(summary: StatsSummary): StatsSummary {
  const container = (c: ContainerStatsSummary): ContainerStatsSummary => ({ name: c.name, startTime: c.startTime, cpu: c.cpu, memory: c.memory });
  return {
    node: {
      nodeName: summary.node.nodeName, startTime: summary.node.startTime, cpu: summary.node.cpu, memory: summary.node.memory,
      ...(summary.node.systemContainers ? { systemContainers: summary.node.systemContainers.map(container) } : {}),
    },
    pods: summary.pods.map((p) => ({ podRef: p.podRef, startTime: p.startTime, cpu: p.cpu, memory: p.memory, containers: p.containers.map(container) })),
  };
}

const HELP: [string, string, string][] = [
  ["container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed by the container in core-seconds"],
  ["container_memory_working_set_bytes", "gauge", "Current working set of the container in bytes"],
  ["container_start_time_seconds", "gauge", "Start time of the container since unix epoch in seconds"],
  ["node_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed by the node in core-seconds"],
  ["node_memory_working_set_bytes", "gauge", "Current working set of the node in bytes"],
  ["pod_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed by the pod in core-seconds"],
  ["pod_memory_working_set_bytes", "gauge", "Current working set of the pod in bytes"],
  ["resource_scrape_error", "gauge", "1 if there was an error while getting container metrics, 0 otherwise"],
];

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

const ms = (time: string | undefined) => (time ? Date.parse(time) : Date.now());
const cpuSeconds = (cpu: CPUStats | undefined) => (cpu?.usageCoreNanoSeconds !== undefined ? cpu.usageCoreNanoSeconds / 1e9 : undefined);
const workingSet = (mem: MemoryStats | undefined) => mem?.workingSetBytes;

/** The kubelet's /metrics/resource exposition (values with millisecond timestamps). */
export function resourceMetrics(summary: StatsSummary | undefined): string {
  const samples = new Map<string, string[]>(HELP.map(([name]) => [name, []]));
  const add = (name: string, l: Record<string, string>, value: number | undefined, time?: string) => {
    if (value === undefined || Number.isNaN(value)) return;
    samples.get(name)!.push(`${name}${labels(l)} ${value} ${ms(time)}`);
  };
  if (summary) {
    add("node_cpu_usage_seconds_total", {}, cpuSeconds(summary.node.cpu), summary.node.cpu?.time);
    add("node_memory_working_set_bytes", {}, workingSet(summary.node.memory), summary.node.memory?.time);
    for (const pod of summary.pods) {
      const pl = { namespace: pod.podRef.namespace, pod: pod.podRef.name };
      add("pod_cpu_usage_seconds_total", pl, cpuSeconds(pod.cpu), pod.cpu?.time);
      add("pod_memory_working_set_bytes", pl, workingSet(pod.memory), pod.memory?.time);
      for (const c of pod.containers) {
        const cl = { container: c.name, ...pl };
        add("container_cpu_usage_seconds_total", cl, cpuSeconds(c.cpu), c.cpu?.time);
        add("container_memory_working_set_bytes", cl, workingSet(c.memory), c.memory?.time);
        add("container_start_time_seconds", cl, Date.parse(c.startTime) / 1000, c.startTime);
      }
    }
  }
  samples.get("resource_scrape_error")!.push(`resource_scrape_error ${summary ? 0 : 1}`);
  const out: string[] = [];
  for (const [name, type, help] of HELP) {
    const lines = samples.get(name)!;
    if (lines.length === 0) continue;
    out.push(`# HELP ${name} [STABLE] ${help}`, `# TYPE ${name} ${type}`, ...lines);
  }
  return `${out.join("\n")}\n`;
}
