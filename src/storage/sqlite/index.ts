// The embedded SQLite backend of the store.
export { openSqliteStore, SqliteStore } from "./sqlite-store.ts";
export type { SqliteStoreOptions, SqliteStoreStats } from "./sqlite-store.ts";
