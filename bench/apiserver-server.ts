// The API server under benchmark, in a process of its own (so the load generator does not share
// its event loop): over the embedded store or a single-member etcd on loopback. Prints one line
// `READY {"url","token","ca"}` when it serves, and shuts everything down on SIGTERM or when its
// stdin closes (the parent went away). Usage: node bench/apiserver-server.ts sqlite|etcd
import { startTestApiServer } from "../src/testing/apiserver.ts";
import type { TestApiServer } from "../src/testing/apiserver.ts";
import { startEtcd } from "../src/testing/etcd-cluster.ts";
import type { EtcdCluster } from "../src/testing/etcd-cluster.ts";
import { openEtcdStore } from "../src/storage/etcd/index.ts";
import type { Store } from "../src/storage/index.ts";

const backend = process.argv[2];
if (backend !== "sqlite" && backend !== "etcd") throw new Error("usage: apiserver-server.ts sqlite|etcd");

let cluster: EtcdCluster | undefined;
let store: Store | undefined;
if (backend === "etcd") {
  cluster = await startEtcd();
  store = await openEtcdStore({ endpoints: cluster.endpoints });
}
const server: TestApiServer = await startTestApiServer(store ? { store } : {});
process.stdout.write(`READY ${JSON.stringify({ url: server.server.url, token: server.server.adminToken, ca: server.server.caPem, etcd: cluster?.endpoints })}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.close();
  await store?.close();
  await cluster?.stop();
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.stdin.on("end", () => void stop());
process.stdin.resume();
