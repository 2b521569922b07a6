// @coedit/sync-server/redis: the cross-server relay. Needs the optional peer dependency ioredis.
export { RedisRelay } from './cluster/redis-relay.js'
export type { RedisRelayOptions } from './cluster/redis-relay.js'
