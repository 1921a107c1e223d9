import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, open, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LogOptionsError, parseCriRecord, parseLogOptions, parseTimestampNs, readLogs, tailStart } from "./logs.ts";
import type { LogOptions } from "./logs.ts";
import { writeCri } from "./testkit.ts";
import { waitFor } from "../../testing/wait.ts";

const base: LogOptions = { follow: false, previous: false, timestamps: false };

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "k8ts-logs-test-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function read(path: string, opts: Partial<LogOptions> = {}): Promise<string> {
  const chunks: Buffer[] = [];
  await readLogs(path, { ...base, ...opts }, async (c) => void chunks.push(Buffer.from(c)));
  return Buffer.concat(chunks).toString();
}

test("parseCriRecord: timestamp, stream, tag, content; partial records lose their newline", () => {
  const full = parseCriRecord(Buffer.from("2016-10-06T00:17:09.669794202Z stdout F log content 1\n"))!;
  assert.equal(full.stream, "stdout");
  assert.equal(full.partial, false);
  assert.equal(full.content.toString(), "log content 1\n");
  assert.equal(full.ns, 1475713029669794202n);
  const partial = parseCriRecord(Buffer.from("2016-10-06T00:17:09.669794203Z stderr P part\n"))!;
  assert.equal(partial.partial, true);
  assert.equal(partial.content.toString(), "part");
  assert.equal(parseCriRecord(Buffer.from("garbage\n")), null);
  assert.equal(parseCriRecord(Buffer.from("2016-10-06T00:17:09Z stdin F x\n")), null);
  assert.equal(parseTimestampNs("2016-10-06T02:17:09.5+02:00"), 1475713029500000000n);
});

test("parseLogOptions: the kubelet's query, legacy tail, validation codes", () => {
  const now = new Date("2026-01-01T00:01:00Z");
  const o = parseLogOptions(new URLSearchParams("follow=true&tailLines=3&timestamps=1&limitBytes=10&sinceSeconds=30"), now);
  assert.deepEqual({ ...o, sinceNs: String(o.sinceNs) }, { follow: true, previous: false, timestamps: true, tailLines: 3, limitBytes: 10, sinceNs: "1767225630000000000", stream: undefined });
  assert.equal(parseLogOptions(new URLSearchParams("tail=5")).tailLines, 5);
  assert.equal(parseLogOptions(new URLSearchParams("tail=all&tailLines=2")).tailLines, undefined);
  assert.equal(parseLogOptions(new URLSearchParams("follow=false")).follow, false);
  assert.equal(parseLogOptions(new URLSearchParams("sinceTime=2026-01-01T00:00:30Z")).sinceNs, 1767225630000000000n);
  assert.equal(parseLogOptions(new URLSearchParams("stream=Stderr")).stream, "stderr");
  const code = (q: string) => {
    try {
      parseLogOptions(new URLSearchParams(q));
      return 0;
    } catch (err) {
      return (err as LogOptionsError).code;
    }
  };
  assert.equal(code("tailLines=x"), 400);
  assert.equal(code("tailLines=-1"), 422);
  assert.equal(code("limitBytes=0"), 422);
  assert.equal(code("sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z"), 422);
  assert.equal(code("stream=Nope"), 422);
});

test("readLogs: joins partial lines, tail counts whole lines, since, limitBytes, timestamps, stream", () =>
  withDir(async (dir) => {
    const path = join(dir, "0.log");
    await writeCri(path, [
      ["stdout", "F", "one", "2026-01-01T00:00:01.100000000Z"],
      ["stderr", "F", "two", "2026-01-01T00:00:02Z"],
      ["stdout", "P", "thr", "2026-01-01T00:00:03.000000001Z"],
      ["stdout", "P", "e", "2026-01-01T00:00:03.000000002Z"],
      ["stdout", "F", "e!", "2026-01-01T00:00:03.000000003Z"],
      ["stdout", "F", "four", "2026-01-01T00:00:04Z"],
    ]);
    assert.equal(await read(path), "one\ntwo\nthree!\nfour\n");
    assert.equal(await read(path, { tailLines: 2 }), "three!\nfour\n");
    assert.equal(await read(path, { tailLines: 0 }), "");
    assert.equal(await read(path, { tailLines: 100 }), "one\ntwo\nthree!\nfour\n");
    assert.equal(await read(path, { sinceNs: parseTimestampNs("2026-01-01T00:00:02Z") }), "two\nthree!\nfour\n");
    assert.equal(await read(path, { limitBytes: 6 }), "one\ntw");
    assert.equal(await read(path, { stream: "stderr" }), "two\n");
    assert.equal(await read(path, { stream: "stdout", tailLines: 3 }), "one\nthree!\nfour\n");
    // Go's RFC3339Nano: trailing zeros dropped; only the first record of a joined line is stamped.
    assert.equal(await read(path, { timestamps: true, tailLines: 3 }),
      "2026-01-01T00:00:02Z two\n2026-01-01T00:00:03.000000001Z three!\n2026-01-01T00:00:04Z four\n");
    assert.equal(await read(join(dir, "missing.log")), "");
  }));

test("tailStart: lines spread over many 64 KiB blocks, and a trailing incomplete record", () =>
  withDir(async (dir) => {
    const path = join(dir, "big.log");
    const records: ["stdout", "F", string][] = [];
    for (let i = 0; i < 3000; i++) records.push(["stdout", "F", `line ${i} ${"x".repeat(100)}`]);
    await writeCri(path, records);
    await writeFile(path, "2026-01-01T00:00:00Z stdout F no newline yet", { flag: "a" });
    assert.equal(await read(path, { tailLines: 1 }), `line 2999 ${"x".repeat(100)}\nno newline yet`);
    const fh = await open(path, "r");
    try {
      const start = await tailStart(fh, 2500);
      const lines = (await read(path, { tailLines: 2500 })).split("\n");
      assert.equal(lines[0], `line 500 ${"x".repeat(100)}`);
      assert.ok(start > 64 * 1024);
    } finally {
      await fh.close();
    }
  }));

test("readLogs follow: new lines, a partial line completed later, rotation, then the container exits", () =>
  withDir(async (dir) => {
    const path = join(dir, "0.log");
    await writeCri(path, [["stdout", "F", "first"]]);
    let running = true;
    const abort = new AbortController();
    let out = "";
    const done = readLogs(path, { ...base, follow: true }, async (c) => void (out += c.toString()), {
      signal: abort.signal, pollIntervalMs: 50, isRunning: async () => running,
    });
    await waitFor("first", () => out === "first\n", 5000);
    await writeFile(path, "2026-01-01T00:00:01Z stdout F sec", { flag: "a" });
    await writeFile(path, "ond\n", { flag: "a" });
    await waitFor("second", () => out === "first\nsecond\n", 5000);
    // Rotation: the runtime renames the file and starts a new one at the same path.
    await writeCri(path, [["stdout", "F", "last of the old file"]]);
    await rename(path, `${path}.20260101-000002`);
    await writeCri(path, [["stderr", "F", "new file"]]);
    await waitFor("rotated", () => out.endsWith("last of the old file\nnew file\n"), 5000);
    await writeCri(path, [["stdout", "F", "written before exit"]]);
    running = false;
    await done;
    assert.equal(out, "first\nsecond\nlast of the old file\nnew file\nwritten before exit\n");
  }));

test("readLogs follow ends when aborted (the client went away)", () =>
  withDir(async (dir) => {
    const path = join(dir, "0.log");
    await writeCri(path, [["stdout", "F", "x"]]);
    const abort = new AbortController();
    const done = readLogs(path, { ...base, follow: true }, async () => undefined, { signal: abort.signal, pollIntervalMs: 10_000, isRunning: async () => true });
    setTimeout(() => abort.abort(), 50);
    await done;
  }));
