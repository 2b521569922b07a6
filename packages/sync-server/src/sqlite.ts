// @coedit/sync-server/sqlite: the embedded store. Needs the optional peer dependency better-sqlite3.
export { SqliteStorage } from './storage/sqlite-storage.js'
export type { SqliteStorageOptions } from './storage/sqlite-storage.js'
