// Service ClusterIP and NodePort claims kept in the store (one key per claimed IP or port, under
// /registry/ranges/), so that allocation is atomic across API servers sharing a store.
import type { Store } from "../../storage/index.ts";
import { ExistsError, NotFoundError } from "../../storage/index.ts";
import type { RangeStore } from "./kinds/service-alloc.ts";
import { ServiceAllocation, ServiceIPAllocator, NodePortAllocator } from "./kinds/service-alloc.ts";

export class StoreRangeStore implements RangeStore {
  private readonly store: Store;
  private readonly prefix: string;

  constructor(store: Store, prefix: string) {
    this.store = store;
    this.prefix = prefix;
  }

  async tryReserve(key: string): Promise<boolean> {
    try {
      await this.store.create(this.prefix + key, "");
      return true;
    } catch (err) {
      if (err instanceof ExistsError) return false;
      throw err;
    }
  }

  async release(key: string): Promise<void> {
    try {
      await this.store.delete(this.prefix + key);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    let next: string | undefined;
    do {
      const page = await this.store.range(this.prefix, { limit: 1000, continue: next });
      for (const kv of page.kvs) out.push(kv.key.slice(this.prefix.length));
      next = page.continue;
    } while (next);
    return out;
  }
}

export interface ServiceRangeOptions {
  serviceCIDR?: string;
  nodePortRange?: [number, number];
}

export function storeServiceAllocation(store: Store, opts: ServiceRangeOptions = {}): ServiceAllocation {
  return new ServiceAllocation(
    new ServiceIPAllocator(new StoreRangeStore(store, "/registry/ranges/serviceips/"), { cidr: opts.serviceCIDR }),
    new NodePortAllocator(new StoreRangeStore(store, "/registry/ranges/servicenodeports/"), { min: opts.nodePortRange?.[0], max: opts.nodePortRange?.[1] }),
  );
}
