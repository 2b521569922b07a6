// @coedit/sync-server/postgres: documents shared by a cluster. Needs the optional peer dependency pg.
export { PostgresStorage } from './storage/postgres-storage.js'
export type { PostgresStorageOptions } from './storage/postgres-storage.js'
