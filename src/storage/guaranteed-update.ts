// The read-modify-write loop every caller uses instead of open-coding compare-and-swap
// (Kubernetes' storage.Interface GuaranteedUpdate): retry with a fresh read on conflict.
import { DELETE } from "./interface.ts";
import type { KeyValue, PutOptions, Store, TryUpdate } from "./interface.ts";
import { ConflictError, ExistsError, NotFoundError } from "./errors.ts";

const MAX_ATTEMPTS = 1000;

export async function guaranteedUpdate(store: Store, key: string, tryUpdate: TryUpdate, opts?: PutOptions): Promise<KeyValue | null> {
  let current = await store.get(key);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const next = await tryUpdate(current);
    try {
      if (next === undefined) return current;
      if (next === DELETE) {
        if (!current) return null;
        await store.delete(key, current.modRevision);
        return null;
      }
      if (!current) return await store.create(key, next, opts);
      return await store.update(key, next, current.modRevision, opts);
    } catch (err) {
      if (err instanceof ConflictError || err instanceof ExistsError) {
        current = err.current ?? (await store.get(key));
        continue;
      }
      if (err instanceof NotFoundError) {
        current = null;
        continue;
      }
      throw err;
    }
  }
  throw new Error(`guaranteedUpdate of ${key}: gave up after ${MAX_ATTEMPTS} conflicts`);
}
