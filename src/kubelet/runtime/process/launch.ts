// Builds the argv that starts a container process (or an exec) in the container's context: enter
// the pod's network namespace (nsenter), a private mount + UTS namespace (unshare), then a tiny
// /bin/sh wrapper joins the cgroups, applies bind mounts and the hostname, changes to the working
// directory and execs the command — so the pid spawned is the container's process, and every
// child it forks is already inside the cgroup.
import type { Mount } from "../types.ts";
import { lookPath } from "./proc.ts";

const SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

/** Host tools the runtime uses; undefined when not installed (the feature is then off). */
export interface HostTools {
  sh: string;
  nsenter?: string;
  unshare?: string;
  mount?: string;
  mkdir?: string;
  script?: string;
  stty?: string;
  env?: string;
}

export function findHostTools(): HostTools {
  const find = (c: string) => lookPath(c, `${SYSTEM_PATH}:${process.env.PATH ?? ""}`);
  return {
    sh: find("sh") ?? "/bin/sh",
    nsenter: find("nsenter"),
    unshare: find("unshare"),
    mount: find("mount"),
    mkdir: find("mkdir"),
    script: find("script"),
    stty: find("stty"),
    env: find("env"),
  };
}

/** POSIX shell single-quoting. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_\-./=:,+@%]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The wrapper: `sh -c WRAPPER k8ts-init <n> <procs files…> <m> <src dst ro|rw…> <hostname> <workdir> <command…>`.
 * A failed step prints `k8ts: …` to stderr (the container log) and exits 128.
 */
function wrapperScript(tools: HostTools): string {
  const mount = shellQuote(tools.mount ?? "mount");
  const mkdir = shellQuote(tools.mkdir ?? "mkdir");
  return [
    `die() { echo "k8ts: $*" >&2; exit 128; }`,
    `n=$1; shift`,
    `while [ "$n" -gt 0 ]; do echo $$ > "$1" || die "cannot join cgroup $1"; shift; n=$((n - 1)); done`,
    `n=$1; shift`,
    `while [ "$n" -gt 0 ]; do`,
    `  ${mount} --bind "$1" "$2" || die "cannot mount $1 at $2"`,
    `  if [ "$3" = ro ]; then ${mount} -o remount,bind,ro "$2" || die "cannot make $2 read-only"; fi`,
    `  shift 3; n=$((n - 1))`,
    `done`,
    `if [ -n "$1" ]; then echo "$1" > /proc/sys/kernel/hostname || die "cannot set hostname"; fi; shift`,
    `if [ ! -d "$1" ]; then ${mkdir} -p "$1" || die "cannot create working directory $1"; fi`,
    `cd "$1" || die "cannot change to working directory $1"; shift`,
    `exec "$@"`,
  ].join("\n");
}

export interface LaunchSpec {
  argv: string[];
  workingDir: string;
  /** cgroup.procs files to join (empty without cgroups). */
  procsFiles: string[];
  /** Bind mounts (applied only with `newMountNs`). */
  mounts: Mount[];
  /** Set in the new UTS namespace (only with `newMountNs`). */
  hostname?: string;
  /** Join this network namespace file (`/run/netns/<name>`). */
  netnsPath?: string;
  /** Start in new mount + UTS namespaces (needs root and unshare). */
  newMountNs?: boolean;
  /** Enter the namespaces (net, mount, uts) of this running process instead (exec). */
  enterPid?: number;
}

/** The full argv to spawn for `spec`. */
export function launchArgv(tools: HostTools, spec: LaunchSpec): string[] {
  const prefix: string[] = [];
  if (spec.enterPid !== undefined) {
    if (!tools.nsenter) throw new Error("nsenter is not installed (util-linux)");
    prefix.push(tools.nsenter, "-t", String(spec.enterPid), "--net", "--mount", "--uts", "--");
  } else {
    if (spec.netnsPath) {
      if (!tools.nsenter) throw new Error("nsenter is not installed (util-linux)");
      prefix.push(tools.nsenter, `--net=${spec.netnsPath}`, "--");
    }
    if (spec.newMountNs) {
      if (!tools.unshare) throw new Error("unshare is not installed (util-linux)");
      prefix.push(tools.unshare, "--mount", "--uts", "--propagation", "private", "--");
    }
  }
  const mounts = spec.newMountNs ? spec.mounts.filter((m) => m.hostPath !== m.containerPath) : [];
  return [
    ...prefix,
    tools.sh,
    "-c",
    wrapperScript(tools),
    "k8ts-init",
    String(spec.procsFiles.length),
    ...spec.procsFiles,
    String(mounts.length),
    ...mounts.flatMap((m) => [m.hostPath, m.containerPath, m.readOnly ? "ro" : "rw"]),
    spec.newMountNs ? (spec.hostname ?? "") : "",
    spec.workingDir,
    ...spec.argv,
  ];
}

/**
 * Wraps an argv to run on a new pseudo-terminal (util-linux `script`), for `exec -t`: the
 * terminal's line discipline echoes and edits, stdout and stderr merge, the exit code is kept.
 */
export function ttyArgv(tools: HostTools, argv: string[], unsetShell: boolean): string[] {
  if (!tools.script) throw new Error("a tty needs util-linux's script (bsdutils), which is not installed");
  const inner = [...(unsetShell && tools.env ? [tools.env, "-u", "SHELL"] : []), ...argv].map(shellQuote).join(" ");
  return [tools.script, "-qfec", inner, "/dev/null"];
}
