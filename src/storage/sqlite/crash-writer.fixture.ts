// Test fixture for the crash-safety test: writes to an embedded store in a tight loop with many
// concurrent writers and prints one line per acknowledged write, until it is killed.
import { openSqliteStore } from "./sqlite-store.ts";

const [path, round] = process.argv.slice(2);
const store = await openSqliteStore({ path: path! });
process.stdout.write(`open ${await store.currentRevision()}\n`);
let n = 0;
async function writer(id: number): Promise<never> {
  for (;;) {
    const i = n++;
    const key = `/crash/r${round}/w${id}/k${i}`;
    const kv = await store.create(key, `value-${i}`);
    const counter = await store.guaranteedUpdate(`/crash/counter/${id}`, (cur) => String(Number(cur?.value ?? 0) + 1));
    process.stdout.write(`ack ${key} ${kv.modRevision} value-${i}\nack ${counter!.key} ${counter!.modRevision} ${counter!.value}\n`);
  }
}
await Promise.all(Array.from({ length: 32 }, (_, id) => writer(id)));
