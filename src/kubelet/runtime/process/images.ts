// How the process runtime "runs an image": it has no root filesystems, so an image name maps to
// host binaries — busybox → the host's busybox (its applets), node → this Node binary, host /
// k8ts.local/host* → commands from the host PATH. Anything else cannot run here.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, symlinkSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ImageError } from "../types.ts";
import type { Mount } from "../types.ts";
import { lookPath } from "./proc.ts";

export type ImageKind = "busybox" | "node" | "host";

export interface ResolvedImage {
  kind: ImageKind;
  /** What the image resolved to: the busybox or node binary, or "host". */
  imageRef: string;
  /** The image's environment (PATH…), overridden by the container's env. */
  env: Record<string, string>;
}

/** A container whose command cannot start (Kubernetes: ContainerCannotRun, exit code 128). */
export class CannotRunError extends Error {
  readonly reason = "ContainerCannotRun";
  constructor(message: string) {
    super(message);
    this.name = "CannotRunError";
  }
}

const STD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const SUPPORTED =
  "the process runtime runs host processes and can only run busybox[:tag] (the host's busybox), " +
  "node[:tag] (this Node binary) and host or k8ts.local/host* (commands from the host PATH)";

/** `docker.io/library/busybox:1.36@sha256:…` → `busybox`; throws InvalidImageName. */
export function imageRepository(image: string): string {
  if (!image || /\s/.test(image)) throw new ImageError("InvalidImageName", `invalid image name ${JSON.stringify(image)}`);
  let name = image.split("@")[0];
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  if (colon > slash) name = name.slice(0, colon);
  if (!name || !/^[a-z0-9]([a-z0-9._\-/:]*[a-z0-9])?$/.test(name)) {
    throw new ImageError("InvalidImageName", `invalid image name ${JSON.stringify(image)}: repository must be lowercase`);
  }
  for (const prefix of ["docker.io/", "index.docker.io/", "registry-1.docker.io/"]) {
    if (name.startsWith(prefix)) name = name.slice(prefix.length);
  }
  if (name.startsWith("library/")) name = name.slice("library/".length);
  return name;
}

export interface ImageResolverOptions {
  /** Where the busybox applet directory is kept (`<dir>/busybox/bin`). */
  dir: string;
  /** The busybox binary; default: looked up in /bin, /usr/bin, then PATH. */
  busyboxPath?: string;
  /** The Node binary for node images (default process.execPath). */
  nodePath?: string;
  /** PATH for host images (default the kubelet's PATH). */
  hostPath?: string;
}

export class ImageResolver {
  private readonly opts: ImageResolverOptions;
  private applets: Set<string> | undefined;
  private busybox: string | undefined;

  constructor(opts: ImageResolverOptions) {
    this.opts = opts;
  }

  /** Resolves an image; throws ImageError (ErrImagePull) for what the host cannot run. */
  resolve(image: string): ResolvedImage {
    const repo = imageRepository(image);
    if (repo === "busybox") {
      const bin = this.busyboxBinary(image);
      return { kind: "busybox", imageRef: bin, env: { PATH: `${this.appletDir(bin)}:${STD_PATH}` } };
    }
    if (repo === "node") {
      const node = this.opts.nodePath ?? process.execPath;
      return { kind: "node", imageRef: node, env: { PATH: `${dirname(node)}:${STD_PATH}`, NODE_VERSION: process.versions.node } };
    }
    if (repo === "host" || repo.startsWith("k8ts.local/host")) {
      return { kind: "host", imageRef: "host", env: { PATH: this.opts.hostPath ?? process.env.PATH ?? STD_PATH } };
    }
    throw new ImageError("ErrImagePull", `image ${JSON.stringify(image)} cannot be pulled: ${SUPPORTED}`);
  }

  /**
   * The argv a container runs, with Docker's entrypoint/cmd rules (command replaces the image's
   * entrypoint, args its cmd). Checks the executable exists; throws CannotRunError otherwise.
   */
  argv(img: ResolvedImage, command: string[], args: string[], path: string, mounts: Mount[]): string[] {
    let argv: string[];
    if (img.kind === "busybox") {
      argv = command.length ? [...command, ...args] : args.length ? args : ["sh"];
      const applet = basename(argv[0]);
      const standardDir = !argv[0].includes("/") || STD_PATH.split(":").includes(dirname(argv[0]));
      if (standardDir && this.appletSet(img.imageRef).has(applet)) return [img.imageRef, applet, ...argv.slice(1)];
      if (!argv[0].includes("/")) throw notFound(argv[0], "the busybox image provides only busybox applets");
    } else if (img.kind === "node") {
      if (command.length) argv = [...command, ...args];
      else if (args.length === 0) argv = ["node"];
      // docker-entrypoint.sh: runs `node …` unless the first arg is a command.
      else argv = args[0].startsWith("-") || !lookPath(args[0], path) ? ["node", ...args] : args;
      if (["node", "nodejs"].includes(basename(argv[0]))) return [img.imageRef, ...argv.slice(1)];
    } else {
      argv = [...command, ...args];
      if (argv.length === 0) throw new CannotRunError("no command specified: the host image has no default command");
    }
    if (!lookPath(hostPathOf(argv[0], mounts), path)) throw notFound(argv[0]);
    return argv;
  }

  private busyboxBinary(image: string): string {
    if (this.busybox) return this.busybox;
    const found = this.opts.busyboxPath ?? lookPath("busybox", `/bin:/usr/bin:${process.env.PATH ?? ""}`);
    if (!found || !existsSync(found)) {
      throw new ImageError("ErrImagePull", `image ${JSON.stringify(image)}: the process runtime runs it with the host's busybox binary, which is not installed (apt-get install busybox)`);
    }
    this.busybox = found;
    return found;
  }

  private appletSet(bin: string): Set<string> {
    if (!this.applets) {
      const out = execFileSync(bin, ["--list"], { encoding: "utf8" });
      this.applets = new Set(out.split("\n").filter(Boolean));
    }
    return this.applets;
  }

  /** A directory of applet symlinks, first in busybox containers' PATH (as in the image). */
  private appletDir(bin: string): string {
    const dir = join(this.opts.dir, "busybox", "bin");
    const applets = this.appletSet(bin);
    if (existsSync(dir) && readdirSync(dir).length === applets.size) return dir;
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    for (const a of applets) symlinkSync(bin, join(tmp, a));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return dir;
  }
}

/** A container path inside a mount maps to its host path (for checking that it exists). */
export function hostPathOf(p: string, mounts: Mount[]): string {
  for (const m of mounts) {
    const cp = m.containerPath.replace(/\/+$/, "");
    if (p === cp || p.startsWith(`${cp}/`)) return m.hostPath + p.slice(cp.length);
  }
  return p;
}

function notFound(cmd: string, why?: string): CannotRunError {
  return new CannotRunError(`exec: ${JSON.stringify(cmd)}: executable file not found in $PATH${why ? ` (${why})` : ""}`);
}
