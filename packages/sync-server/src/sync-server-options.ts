import type { Logger } from 'pino'
import type { AccessPolicy } from './access/access-policy.js'
import type { DocumentStorage } from './storage/document-storage.js'
import type { ClusterRelay } from './cluster/cluster-relay.js'

export interface SyncServerOptions {
  /** Where documents are kept. Default: in memory (lost on exit); the CLI uses SQLite. */
  readonly storage?: DocumentStorage
  /** Structured logger. Default: pino at level info on stdout. */
  readonly logger?: Logger
  /** URL path under which rooms live: `${pathPrefix}/<room>`. Default '/'. */
  readonly pathPrefix?: string
  readonly maxRoomNameLength?: number
  /** How often each session is pinged. Default 10 000 ms. */
  readonly heartbeatIntervalMs?: number
  /** How long a ping may go unanswered before the session is dropped. Default 4 000 ms. */
  readonly heartbeatTimeoutMs?: number
  /** Largest frame accepted; larger ones close the session with 1009. Default 32 MiB. */
  readonly maxMessageBytes?: number
  /** Unsent bytes a session may hold before it is dropped as a slow consumer. Default 16 MiB. */
  readonly maxBufferedBytes?: number
  /** How long an empty room stays in memory before it is unloaded. Default 2 000 ms. */
  readonly roomUnloadDelayMs?: number
  /** Compact a document's log into a snapshot after this many updates... Default 1 000. */
  readonly compactAfterUpdates?: number
  /** ...or this many bytes of updates. Default 4 MiB. */
  readonly compactAfterBytes?: number
  /** Frames a session may send while its room loads. Default 1 000. */
  readonly maxQueuedMessages?: number
  /**
   * Under load (concurrent writers), updates relayed within this window share one frame per
   * recipient; a lone edit is relayed at once. 0 relays every tick. Default 10 ms.
   */
  readonly relayWindowMs?: number
  /**
   * Group commit: the updates of every room that arrive in one turn of the event loop are
   * stored in one transaction where the store can (SQLite). With a window, a commit also waits
   * for the rest of it after a previous one that held other rooms (a lone edit, and one room's
   * edits back to back, never wait), trading up to that much latency for fewer commits.
   * Default 0: measured with 500 busy rooms, 2 ms saved no CPU and added 3 ms to the lag p99.
   */
  readonly commitWindowMs?: number
  /** Who may open which document. Default: open (everyone edits everything); see TokenAccessPolicy. */
  readonly access?: AccessPolicy
  /** Browser origins allowed besides the server's own; '*' allows any. Default none. */
  readonly allowedOrigins?: readonly string[]
  /** Allow pages on localhost/127.0.0.0/8/[::1]. Default: only when access is open. */
  readonly allowLoopbackOrigins?: boolean | 'open-mode-only'
  /**
   * Host names upgrades must be addressed to ('loopback' = localhost, 127.0.0.0/8, [::1]);
   * others get 403, which stops DNS rebinding. Default: any (the CLI limits a loopback server
   * in open mode to loopback names).
   */
  readonly allowedHosts?: readonly string[]
  /**
   * Open sessions per client address (IPv6: per /64); 0 = no limit. Default 0: one office behind
   * one address, or a bot with hundreds of documents, must not be refused. Set it for public
   * deployments where each person has an address of their own.
   */
  readonly maxConnectionsPerIp?: number
  /**
   * New sessions per client address per minute, as a bucket that holds a minute's worth (so
   * everyone behind one address reconnecting after a restart gets in at once); refused
   * attempts do not count. 0 = no limit. Default 3 000.
   */
  readonly maxNewConnectionsPerMinute?: number
  /** Take the client address from X-Forwarded-For (only behind a proxy that sets it). Default false. */
  readonly trustProxy?: boolean
  /**
   * Messages one session may send per second (burst of one second). Over it the session is
   * slowed, not closed: its socket is not read until the budget refills. 0 = no limit. Default 300.
   */
  readonly maxMessagesPerSecond?: number
  /** Bytes one session may send per second (burst of one second); over it: slowed likewise. 0 = no limit. Default 32 MiB. */
  readonly maxBytesPerSecond?: number
  /** A session kept over its rates this long without a break is closed with 1008; 0 = never. Default 60 000 ms. */
  readonly maxThrottledMs?: number
  /** Documents in memory at once; upgrades for further ones get 503. 0 = no limit. Default 5 000. */
  readonly maxLoadedRooms?: number
  /** Encoded size a document may grow to; an update past it is refused with 1008. 0 = no limit. Default 32 MiB. */
  readonly maxDocumentBytes?: number
  /** Share rooms with other servers (RedisRelay); pair it with shared storage (PostgresStorage). */
  readonly cluster?: ClusterRelay
  /** Largest presence state (JSON) one client may publish; over it: close 1008. Default 8 192 bytes. */
  readonly maxPresenceBytes?: number
  /**
   * Unsent bytes across all sessions. Checked every second; past it the sessions holding the
   * most unsent bytes are dropped until the total is back under. 0 = no limit. Default 1 GiB.
   */
  readonly maxTotalBufferedBytes?: number
  /**
   * Unsent bytes across the sessions of one client address (IPv6: /64), checked likewise. 0 = no
   * limit, the default: joiners of one big document share one answer in memory, and an office
   * behind one address must not be dropped. Set it on public servers.
   */
  readonly maxBufferedBytesPerAddress?: number
  /**
   * Keep history (who wrote what, versions) when the store supports it (SQLite, PostgreSQL,
   * memory). Default true.
   */
  readonly history?: boolean
  /** A version is cut once a document's editing pauses this long. Default 30 000 ms. */
  readonly versionIdleMs?: number
  /** ...and at least this often during continuous editing. Default 600 000 ms (10 min). */
  readonly versionMaxMs?: number
  /** Automatic versions older than this are thinned to the last of each day; named ones stay. 0 = keep everything (default). */
  readonly historyRetentionMs?: number
}

export type ResolvedSyncServerOptions = Required<Omit<SyncServerOptions, 'storage' | 'logger' | 'access' | 'cluster'>>

export const DEFAULT_SYNC_SERVER_OPTIONS: ResolvedSyncServerOptions = Object.freeze({
  pathPrefix: '/',
  maxRoomNameLength: 128,
  heartbeatIntervalMs: 10_000,
  heartbeatTimeoutMs: 4_000,
  maxMessageBytes: 32 * 1024 * 1024,
  maxBufferedBytes: 16 * 1024 * 1024,
  roomUnloadDelayMs: 2_000,
  compactAfterUpdates: 1_000,
  compactAfterBytes: 4 * 1024 * 1024,
  maxQueuedMessages: 1_000,
  relayWindowMs: 10,
  commitWindowMs: 0,
  allowedOrigins: [],
  allowLoopbackOrigins: 'open-mode-only',
  allowedHosts: [],
  maxConnectionsPerIp: 0,
  maxNewConnectionsPerMinute: 3_000,
  trustProxy: false,
  maxMessagesPerSecond: 300,
  maxBytesPerSecond: 32 * 1024 * 1024,
  maxThrottledMs: 60_000,
  maxLoadedRooms: 5_000,
  maxDocumentBytes: 32 * 1024 * 1024,
  maxPresenceBytes: 8_192,
  maxTotalBufferedBytes: 1024 * 1024 * 1024,
  maxBufferedBytesPerAddress: 0,
  history: true,
  versionIdleMs: 30_000,
  versionMaxMs: 600_000,
  historyRetentionMs: 0,
})

/** Options as given, with the defaults filled in and every value checked. */
export function resolveOptions(options: SyncServerOptions): ResolvedSyncServerOptions {
  const resolved = { ...DEFAULT_SYNC_SERVER_OPTIONS, ...definedOnly(options) }
  validateOptions(resolved)
  return resolved
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>
}

function validateOptions(options: ResolvedSyncServerOptions): void {
  const positive: Array<keyof ResolvedSyncServerOptions> = [
    'maxRoomNameLength',
    'heartbeatIntervalMs',
    'heartbeatTimeoutMs',
    'maxMessageBytes',
    'maxBufferedBytes',
    'compactAfterUpdates',
    'compactAfterBytes',
    'maxQueuedMessages',
    'maxPresenceBytes',
    'versionIdleMs',
    'versionMaxMs',
  ]
  const zeroMeansNone: Array<keyof ResolvedSyncServerOptions> = [
    'maxConnectionsPerIp',
    'maxNewConnectionsPerMinute',
    'maxMessagesPerSecond',
    'maxBytesPerSecond',
    'maxLoadedRooms',
    'maxDocumentBytes',
    'maxThrottledMs',
    'maxTotalBufferedBytes',
    'maxBufferedBytesPerAddress',
    'historyRetentionMs',
  ]
  for (const key of zeroMeansNone) {
    const value = options[key]
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new RangeError(`${key} must be >= 0 (0 = no limit), got ${String(value)}`)
  }
  for (const key of positive) {
    const value = options[key]
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new RangeError(`${key} must be a positive number, got ${String(value)}`)
  }
  if (!Number.isFinite(options.relayWindowMs) || options.relayWindowMs < 0) throw new RangeError(`relayWindowMs must be >= 0, got ${options.relayWindowMs}`)
  if (!Number.isFinite(options.commitWindowMs) || options.commitWindowMs < 0) throw new RangeError(`commitWindowMs must be >= 0, got ${options.commitWindowMs}`)
  if (!Number.isFinite(options.roomUnloadDelayMs) || options.roomUnloadDelayMs < 0)
    throw new RangeError(`roomUnloadDelayMs must be >= 0, got ${options.roomUnloadDelayMs}`)
  if (!options.pathPrefix.startsWith('/')) throw new RangeError(`pathPrefix must start with '/', got '${options.pathPrefix}'`)
}
