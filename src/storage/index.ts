// The store package: the Store contract, its errors, and `openStore`, which picks the backend
// (embedded SQLite in a data dir, or an etcd cluster) and keeps history bounded by compaction.
import { join } from "node:path";
import { mkdir } from "node:fs/promises";
import type { Store } from "./interface.ts";
import { Compactor } from "./compactor.ts";
import type { CompactorOptions } from "./compactor.ts";
import { openSqliteStore } from "./sqlite/index.ts";

export * from "./interface.ts";
export * from "./errors.ts";
export { Compactor } from "./compactor.ts";
export type { CompactorOptions } from "./compactor.ts";
export { guaranteedUpdate } from "./guaranteed-update.ts";

export type StoreConfig =
  | { backend: "sqlite"; dataDir: string; compaction?: CompactorOptions | false }
  | { backend: "etcd"; endpoints: string[]; tls?: { ca: string; cert?: string; key?: string }; keyPrefix?: string; compaction?: CompactorOptions | false };

export interface OpenedStore {
  store: Store;
  compactor: Compactor | null;
  /** Stops the compactor and closes the store. */
  close(): Promise<void>;
}

/** Opens the configured backend and starts its compactor (unless `compaction` is false). */
export async function openStore(config: StoreConfig): Promise<OpenedStore> {
  let store: Store;
  if (config.backend === "sqlite") {
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
    store = await openSqliteStore({ path: join(config.dataDir, "state.db") });
  } else {
    // Loaded on demand: the etcd client (gRPC) costs a few hundred ms to load.
    const { openEtcdStore } = await import("./etcd/index.ts");
    store = await openEtcdStore({ endpoints: config.endpoints, tls: config.tls, keyPrefix: config.keyPrefix });
  }
  const compactor = config.compaction === false ? null : new Compactor(store, config.compaction).start();
  return {
    store,
    compactor,
    close: async () => {
      compactor?.stop();
      await store.close();
    },
  };
}
