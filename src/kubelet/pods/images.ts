// Making sure a container's image is there before it is created (pkg/kubelet/images
// EnsureImageExists): pull policy, the events Kubernetes records, and pull back-off.
import type { Container, Pod } from "kubernetes-types/core/v1.js";
import type { Clock } from "../../client/index.ts";
import { containerRef } from "../container/index.ts";
import type { EventSink } from "../container/index.ts";
import type { Runtime } from "../runtime/types.ts";
import { ImageError } from "../runtime/types.ts";
import { Backoff, goDuration } from "./backoff.ts";

export type ImageResult = { ok: true; imageRef: string } | { ok: false; reason: string; message: string };

/** The default pull policy: Always for `:latest` or untagged images, IfNotPresent otherwise. */
export function pullPolicyOf(container: Container): string {
  if (container.imagePullPolicy) return container.imagePullPolicy;
  const image = container.image ?? "";
  if (image.includes("@")) return "IfNotPresent";
  const lastSlash = image.lastIndexOf("/");
  const colon = image.indexOf(":", lastSlash + 1);
  const tag = colon < 0 ? "" : image.slice(colon + 1);
  return !tag || tag === "latest" ? "Always" : "IfNotPresent";
}

export interface ImageManagerOptions {
  runtime: Runtime;
  clock: Clock;
  recorder?: EventSink;
  backoff?: { initialMs: number; maxMs: number };
}

export class ImageManager {
  private readonly opts: ImageManagerOptions;
  private readonly backoff: Backoff;

  constructor(opts: ImageManagerOptions) {
    this.opts = opts;
    this.backoff = new Backoff({ initialMs: 10_000, maxMs: 300_000, ...opts.backoff, clock: opts.clock });
  }

  /**
   * Pulls the image per the container's policy. The runtime decides whether an image is present;
   * with policy Always the kubelet reports a pull (Pulling/Pulled), otherwise "already present".
   * Failures back off per pod and image: ErrImagePull, then ImagePullBackOff until it expires.
   */
  async ensureImageExists(pod: Pod, container: Container): Promise<ImageResult> {
    const image = container.image ?? "";
    const ref = containerRef(pod, container.name);
    const event = (type: "Normal" | "Warning", reason: string, message: string) => this.opts.recorder?.event(ref, type, reason, message);
    const policy = pullPolicyOf(container);
    const key = `${pod.metadata?.uid ?? ""}_${image}`;
    const now = this.opts.clock.now();
    if (policy !== "Never" && this.backoff.isInBackOffSinceUpdate(key, now)) {
      const message = `Back-off pulling image ${JSON.stringify(image)}`;
      event("Normal", "BackOff", message);
      return { ok: false, reason: "ImagePullBackOff", message };
    }
    if (policy === "Always") event("Normal", "Pulling", `Pulling image ${JSON.stringify(image)}`);
    const started = now;
    try {
      const { imageRef } = await this.opts.runtime.pullImage(image, policy);
      if (policy === "Always") {
        const took = goDuration(this.opts.clock.now() - started);
        event("Normal", "Pulled", `Successfully pulled image ${JSON.stringify(image)} in ${took} (${took} including waiting)`);
      } else {
        event("Normal", "Pulled", `Container image ${JSON.stringify(image)} already present on machine`);
      }
      return { ok: true, imageRef };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if ((err instanceof ImageError && err.reason === "ErrImageNeverPull") || policy === "Never") {
        const msg = `Container image ${JSON.stringify(image)} is not present with pull policy of Never`;
        event("Warning", "ErrImageNeverPull", msg);
        return { ok: false, reason: "ErrImageNeverPull", message: msg };
      }
      if (err instanceof ImageError && err.reason === "InvalidImageName") {
        event("Warning", "InspectFailed", message);
        return { ok: false, reason: "InvalidImageName", message };
      }
      event("Warning", "Failed", `Failed to pull image ${JSON.stringify(image)}: ${message}`);
      this.backoff.next(key, this.opts.clock.now());
      return { ok: false, reason: "ErrImagePull", message };
    }
  }

  /** Milliseconds until the pull back-off of this pod's image ends (0 if none). */
  backoffRemaining(pod: Pod, container: Container): number {
    return this.backoff.remainingSinceUpdate(`${pod.metadata?.uid ?? ""}_${container.image ?? ""}`);
  }

  forgetPod(uid: string): void {
    this.backoff.resetPrefix(`${uid}_`);
  }
}
