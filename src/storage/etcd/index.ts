// The etcd backend of the store (see etcd-store.ts).
export { EtcdStore, openEtcdStore } from "./etcd-store.ts";
export type { EtcdStoreOptions } from "./etcd-store.ts";
