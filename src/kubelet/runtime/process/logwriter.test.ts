import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CriLogWriter, MAX_LOG_LINE, formatRfc3339Nano, parseCriLog, rotatedLogs } from "./logwriter.ts";

function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "k8ts-logwriter-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function clock(startNs = 1_700_000_000_123_456_789n) {
  let now = startNs;
  return () => (now += 1000n);
}

test("formats RFC3339 with nanoseconds in UTC", () => {
  assert.equal(formatRfc3339Nano(1_700_000_000_000_000_001n), "2023-11-14T22:13:20.000000001Z");
  assert.equal(formatRfc3339Nano(1_700_000_000_123_456_789n), "2023-11-14T22:13:20.123456789Z");
});

test("splits lines, holds partial lines, interleaves streams in write order", (t) => {
  const path = join(tmp(t), "c", "0.log");
  const w = new CriLogWriter(path, { nowNs: clock() });
  w.write("stdout", Buffer.from("one\ntw"));
  w.write("stderr", Buffer.from("err1\n"));
  w.write("stdout", Buffer.from("o\n\nthree"));
  w.write("stderr", Buffer.from("tail"));
  w.close();
  const recs = parseCriLog(readFileSync(path, "utf8"));
  assert.deepEqual(
    recs.map((r) => [r.stream, r.tag, r.content]),
    [
      ["stdout", "F", "one"],
      ["stderr", "F", "err1"],
      ["stdout", "F", "two"],
      ["stdout", "F", ""],
      ["stdout", "P", "three"],
      ["stderr", "P", "tail"],
    ],
  );
  // Timestamps increase in file order.
  const times = recs.map((r) => r.time);
  assert.deepEqual([...times].sort(), times);
  assert.match(times[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
});

test("lines longer than 16 KiB become P records followed by an F record", (t) => {
  const path = join(tmp(t), "0.log");
  const w = new CriLogWriter(path, { nowNs: clock() });
  const long = "x".repeat(MAX_LOG_LINE * 2 + 10);
  // Delivered in odd-sized chunks, as a pipe would.
  const buf = Buffer.from(`${long}\nshort\n`);
  for (let i = 0; i < buf.length; i += 7000) w.write("stdout", buf.subarray(i, i + 7000));
  w.close();
  const recs = parseCriLog(readFileSync(path, "utf8"));
  assert.deepEqual(recs.map((r) => [r.tag, r.content.length]), [["P", MAX_LOG_LINE], ["P", MAX_LOG_LINE], ["F", 10], ["F", 5]]);
  assert.equal(recs.slice(0, 3).map((r) => r.content).join(""), long);
});

test("appends to an existing file", (t) => {
  const path = join(tmp(t), "0.log");
  writeFileSync(path, "2023-11-14T22:13:20.000000001Z stdout F before\n");
  const w = new CriLogWriter(path, { nowNs: clock() });
  w.write("stdout", Buffer.from("after\n"));
  w.close();
  assert.deepEqual(parseCriLog(readFileSync(path, "utf8")).map((r) => r.content), ["before", "after"]);
});

test("rotates by size and keeps maxFiles-1 rotated files", (t) => {
  const path = join(tmp(t), "0.log");
  let now = 1_700_000_000_000_000_000n;
  const w = new CriLogWriter(path, { maxBytes: 200, maxFiles: 2, nowNs: () => (now += 2_000_000_000n) });
  for (let i = 0; i < 20; i++) w.write("stdout", Buffer.from(`line ${String(i).padStart(2, "0")} ${"y".repeat(40)}\n`));
  w.close();
  const rotated = rotatedLogs(path);
  assert.equal(rotated.length, 1);
  assert.match(rotated[0], /0\.log\.\d{8}-\d{6}$/);
  const cur = readFileSync(path, "utf8");
  assert.ok(cur.length <= 200, `current file ${cur.length} bytes`);
  const last = parseCriLog(cur).map((r) => r.content);
  assert.match(last.at(-1)!, /^line 19 /);
  const prev = parseCriLog(readFileSync(rotated[0], "utf8")).map((r) => r.content);
  // No line is lost between the rotated file and the live one.
  const n = (s: string) => Number(s.slice(5, 7));
  assert.equal(n(prev.at(-1)!) + 1, n(last[0]));
});

test("rotation within the same second does not overwrite; maxFiles 1 keeps no rotated file", (t) => {
  const dir = tmp(t);
  const path = join(dir, "a.log");
  const w = new CriLogWriter(path, { maxBytes: 100, maxFiles: 4, nowNs: clock() });
  for (let i = 0; i < 10; i++) w.write("stderr", Buffer.from(`${"z".repeat(60)}\n`));
  w.close();
  assert.equal(rotatedLogs(path).length, 3);
  const path2 = join(dir, "b.log");
  const w2 = new CriLogWriter(path2, { maxBytes: 100, maxFiles: 1, nowNs: clock() });
  for (let i = 0; i < 5; i++) w2.write("stdout", Buffer.from(`${"z".repeat(60)}\n`));
  w2.close();
  assert.equal(rotatedLogs(path2).length, 0);
  assert.ok(existsSync(path2));
});
