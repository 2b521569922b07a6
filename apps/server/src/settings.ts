// The server's configuration: its shape, every setting with its flag, variable and help line, and the defaults.
import { DEFAULT_SYNC_SERVER_OPTIONS, MIN_SECRET_BYTES } from '@coedit/sync-server'

export type StorageKind = 'sqlite' | 'memory' | 'postgres'
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface ServerConfig {
  readonly host: string
  readonly port: number
  readonly storage: StorageKind
  readonly dataDir: string
  readonly fsync: boolean
  readonly webDir: string | null
  readonly logLevel: LogLevel
  readonly pathPrefix: string
  readonly heartbeatIntervalMs: number
  readonly heartbeatTimeoutMs: number
  readonly maxMessageBytes: number
  readonly maxBufferedBytes: number
  readonly roomUnloadDelayMs: number
  readonly compactAfterUpdates: number
  readonly compactAfterBytes: number
  readonly relayWindowMs: number
  readonly commitWindowMs: number
  readonly shutdownTimeoutMs: number
  /** Token mode when set (COEDIT_SECRET or the file's content); open mode when null. */
  readonly secret: string | null
  readonly secretFile: string | null
  readonly publicUrl: string | null
  readonly linkTtlSeconds: number
  readonly allowedOrigins: readonly string[]
  readonly maxConnectionsPerIp: number
  readonly maxNewConnectionsPerMinute: number
  readonly trustProxy: boolean
  readonly maxMessagesPerSecond: number
  readonly maxBytesPerSecond: number
  readonly maxThrottledMs: number
  readonly maxLoadedRooms: number
  readonly maxDocumentBytes: number
  readonly databaseUrl: string | null
  readonly redisUrl: string | null
  readonly relayQueueLimit: number
  readonly allowedHosts: readonly string[]
  readonly frameAncestors: readonly string[]
  readonly maxPresenceBytes: number
  readonly maxTotalBufferedBytes: number
  readonly maxBufferedBytesPerAddress: number
  readonly webhookUrls: readonly string[]
  readonly webhookSecret: string | null
  readonly webhookDelayMs: number
  readonly history: 'on' | 'off'
  readonly versionIdleMs: number
  readonly versionMaxMs: number
  /** Automatic versions older than this are thinned; null keeps everything. */
  readonly historyRetentionSeconds: number | null
  /** PEM files: when both are set the server speaks HTTPS and WSS on its port. */
  readonly tlsCert: string | null
  readonly tlsKey: string | null
}

export type Kind = 'string' | 'int' | 'bool' | 'enum' | 'list' | 'duration'

export interface Setting {
  readonly key: keyof ServerConfig
  readonly flag: string
  readonly env: string
  readonly kind: Kind
  readonly help: string
  readonly choices?: readonly string[]
  readonly min?: number
  readonly max?: number
}

/** Every setting, its flag, its environment variable and its help line: the single source for --help and the README. */
export const SETTINGS: readonly Setting[] = [
  { key: 'host', flag: 'host', env: 'HOST', kind: 'string', help: 'Address to listen on' },
  { key: 'port', flag: 'port', env: 'PORT', kind: 'int', min: 0, max: 65535, help: 'TCP port (0 picks a free one)' },
  {
    key: 'storage',
    flag: 'storage',
    env: 'COEDIT_STORAGE',
    kind: 'enum',
    choices: ['sqlite', 'memory', 'postgres'],
    help: 'Where documents live: sqlite (a file in the data dir), memory (lost on exit), postgres (--database-url; the default when it is set)',
  },
  {
    key: 'databaseUrl',
    flag: 'database-url',
    env: 'DATABASE_URL',
    kind: 'string',
    help: 'PostgreSQL shared by several servers (postgres://user:pass@host:port/db); setting it selects --storage postgres',
  },
  {
    key: 'redisUrl',
    flag: 'redis-url',
    env: 'REDIS_URL',
    kind: 'string',
    help: 'Redis relaying updates and presence between servers of one cluster (redis://host:port)',
  },
  {
    key: 'relayQueueLimit',
    flag: 'relay-queue-limit',
    env: 'COEDIT_RELAY_QUEUE_LIMIT',
    kind: 'int',
    min: 1,
    help: 'Messages for the other servers held while Redis is away; past it they are dropped (counted) and the others reload those documents from storage',
  },
  {
    key: 'tlsCert',
    flag: 'tls-cert',
    env: 'COEDIT_TLS_CERT',
    kind: 'string',
    help: 'PEM certificate (chain) file: serve HTTPS and WSS on the same port (with --tls-key); re-read on SIGHUP',
  },
  { key: 'tlsKey', flag: 'tls-key', env: 'COEDIT_TLS_KEY', kind: 'string', help: 'PEM private key file for --tls-cert; re-read on SIGHUP' },
  { key: 'dataDir', flag: 'data-dir', env: 'DATA_DIR', kind: 'string', help: 'Directory of the SQLite database (coedit.db)' },
  { key: 'fsync', flag: 'fsync', env: 'COEDIT_FSYNC', kind: 'bool', help: 'fsync every append (survives power loss; default survives process crashes)' },
  {
    key: 'webDir',
    flag: 'web-dir',
    env: 'COEDIT_WEB_DIR',
    kind: 'string',
    help: "Built web app to serve; default: apps/web/dist when it exists, 'none' to serve no app",
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    env: 'LOG_LEVEL',
    kind: 'enum',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    help: 'Log level (JSON lines on stdout)',
  },
  { key: 'pathPrefix', flag: 'path-prefix', env: 'COEDIT_PATH_PREFIX', kind: 'string', help: 'URL path under which rooms live (ws://host/<prefix>/<room>)' },
  {
    key: 'heartbeatIntervalMs',
    flag: 'heartbeat-interval-ms',
    env: 'COEDIT_HEARTBEAT_INTERVAL_MS',
    kind: 'int',
    min: 100,
    help: 'Ping every session this often',
  },
  {
    key: 'heartbeatTimeoutMs',
    flag: 'heartbeat-timeout-ms',
    env: 'COEDIT_HEARTBEAT_TIMEOUT_MS',
    kind: 'int',
    min: 100,
    help: 'Drop a session whose pong is this late',
  },
  {
    key: 'maxMessageBytes',
    flag: 'max-message-bytes',
    env: 'COEDIT_MAX_MESSAGE_BYTES',
    kind: 'int',
    min: 1024,
    help: 'Largest frame accepted (larger: close 1009)',
  },
  {
    key: 'maxBufferedBytes',
    flag: 'max-buffered-bytes',
    env: 'COEDIT_MAX_BUFFERED_BYTES',
    kind: 'int',
    min: 1024,
    help: 'Unsent bytes per session before it is dropped as a slow consumer',
  },
  {
    key: 'roomUnloadDelayMs',
    flag: 'room-unload-delay-ms',
    env: 'COEDIT_ROOM_UNLOAD_DELAY_MS',
    kind: 'int',
    min: 0,
    help: 'Keep an empty room in memory this long',
  },
  {
    key: 'compactAfterUpdates',
    flag: 'compact-after-updates',
    env: 'COEDIT_COMPACT_AFTER_UPDATES',
    kind: 'int',
    min: 1,
    help: 'Snapshot a document after this many logged updates',
  },
  {
    key: 'compactAfterBytes',
    flag: 'compact-after-bytes',
    env: 'COEDIT_COMPACT_AFTER_BYTES',
    kind: 'int',
    min: 1,
    help: 'Snapshot a document after this many logged bytes',
  },
  {
    key: 'relayWindowMs',
    flag: 'relay-window-ms',
    env: 'COEDIT_RELAY_WINDOW_MS',
    kind: 'int',
    min: 0,
    help: 'Under load, updates within this window share one frame (a lone edit goes at once)',
  },
  {
    key: 'commitWindowMs',
    flag: 'commit-window-ms',
    env: 'COEDIT_COMMIT_WINDOW_MS',
    kind: 'int',
    min: 0,
    help: 'Rooms busy at once share one SQLite commit at most this often (0: one commit per event-loop turn; a lone edit never waits)',
  },
  {
    key: 'shutdownTimeoutMs',
    flag: 'shutdown-timeout-ms',
    env: 'COEDIT_SHUTDOWN_TIMEOUT_MS',
    kind: 'int',
    min: 100,
    help: 'On SIGTERM/SIGINT, exit within this bound',
  },
  {
    key: 'secretFile',
    flag: 'secret-file',
    env: 'COEDIT_SECRET_FILE',
    kind: 'string',
    help: `Token mode: file holding the signing secret (>= ${MIN_SECRET_BYTES} bytes; or set COEDIT_SECRET). Unset: open mode`,
  },
  {
    key: 'publicUrl',
    flag: 'public-url',
    env: 'COEDIT_PUBLIC_URL',
    kind: 'string',
    help: 'URL people reach this server at, for links printed by `coedit token`; default http://<host>:<port>',
  },
  {
    key: 'linkTtlSeconds',
    flag: 'link-ttl',
    env: 'COEDIT_LINK_TTL',
    kind: 'duration',
    help: "Lifetime of links minted in the editor's share menu (never past the minter's own token), e.g. 12h, 7d",
  },
  {
    key: 'allowedOrigins',
    flag: 'allowed-origins',
    env: 'COEDIT_ALLOWED_ORIGINS',
    kind: 'list',
    help: "Comma-separated browser origins allowed besides this server's own ('*' = any); open mode also allows loopback pages",
  },
  {
    key: 'allowedHosts',
    flag: 'allowed-hosts',
    env: 'COEDIT_ALLOWED_HOSTS',
    kind: 'list',
    help:
      "Host names requests must be addressed to, others get 403 (stops DNS rebinding); 'loopback' = localhost/127.x/[::1]. " +
      "Default: open mode on a loopback address accepts loopback names (and --public-url's) only; otherwise any",
  },
  {
    key: 'frameAncestors',
    flag: 'frame-ancestors',
    env: 'COEDIT_FRAME_ANCESTORS',
    kind: 'list',
    help: 'Pages that may embed the editor in a frame (CSP frame-ancestors sources, e.g. https://intranet.example.com)',
  },
  {
    key: 'maxConnectionsPerIp',
    flag: 'max-connections-per-ip',
    env: 'COEDIT_MAX_CONNECTIONS_PER_IP',
    kind: 'int',
    min: 0,
    help:
      'Open connections per client address, IPv6 per /64 (0 = no limit, the default: offices ' +
      'behind one address and bots with many documents); over it: HTTP 429. For public servers',
  },
  {
    key: 'maxNewConnectionsPerMinute',
    flag: 'max-new-connections-per-minute',
    env: 'COEDIT_MAX_NEW_CONNECTIONS_PER_MINUTE',
    kind: 'int',
    min: 0,
    help:
      "New connections per client address per minute; a minute's worth may come at once " +
      '(a restart), refused attempts do not count (0 = no limit); over it: HTTP 429',
  },
  {
    key: 'trustProxy',
    flag: 'trust-proxy',
    env: 'COEDIT_TRUST_PROXY',
    kind: 'bool',
    help: 'Take client addresses from X-Forwarded-For (only behind a proxy that sets it)',
  },
  {
    key: 'maxMessagesPerSecond',
    flag: 'max-messages-per-second',
    env: 'COEDIT_MAX_MESSAGES_PER_SECOND',
    kind: 'int',
    min: 0,
    help: 'Messages per second per connection, burst of one second (0 = no limit); over it the connection is slowed (not read until the budget refills)',
  },
  {
    key: 'maxBytesPerSecond',
    flag: 'max-bytes-per-second',
    env: 'COEDIT_MAX_BYTES_PER_SECOND',
    kind: 'int',
    min: 0,
    help: 'Bytes per second per connection, burst of one second (0 = no limit); over it the connection is slowed',
  },
  {
    key: 'maxThrottledMs',
    flag: 'max-throttled-ms',
    env: 'COEDIT_MAX_THROTTLED_MS',
    kind: 'int',
    min: 0,
    help: 'Close a connection kept over its rates this long without a break (0 = never); close 1008',
  },
  {
    key: 'maxLoadedRooms',
    flag: 'max-loaded-rooms',
    env: 'COEDIT_MAX_LOADED_ROOMS',
    kind: 'int',
    min: 0,
    help: 'Documents in memory at once (0 = no limit); connections to further ones: HTTP 503',
  },
  {
    key: 'maxPresenceBytes',
    flag: 'max-presence-bytes',
    env: 'COEDIT_MAX_PRESENCE_BYTES',
    kind: 'int',
    min: 256,
    help: 'Largest presence state (name, colour, caret) one client may publish; over it: close 1008',
  },
  {
    key: 'maxTotalBufferedBytes',
    flag: 'max-total-buffered-bytes',
    env: 'COEDIT_MAX_TOTAL_BUFFERED_BYTES',
    kind: 'int',
    min: 0,
    help: 'Unsent bytes across all connections; past it the connections holding the most are dropped (0 = no limit)',
  },
  {
    key: 'maxBufferedBytesPerAddress',
    flag: 'max-buffered-bytes-per-address',
    env: 'COEDIT_MAX_BUFFERED_BYTES_PER_ADDRESS',
    kind: 'int',
    min: 0,
    help: 'Unsent bytes across the connections of one client address; past it its connections holding the most are dropped (0 = no limit; for public servers)',
  },
  {
    key: 'webhookUrls',
    flag: 'webhook-url',
    env: 'COEDIT_WEBHOOK_URLS',
    kind: 'list',
    help: 'Receivers of document.changed and document.deleted events (repeat the flag, or separate with commas); delivered durably, retried for hours',
  },
  {
    key: 'webhookSecret',
    flag: 'webhook-secret',
    env: 'COEDIT_WEBHOOK_SECRET',
    kind: 'string',
    help: 'Signs each webhook body: X-Coedit-Signature: sha256=<hex HMAC-SHA256> (prefer the variable: flags show in ps)',
  },
  {
    key: 'webhookDelayMs',
    flag: 'webhook-delay-ms',
    env: 'COEDIT_WEBHOOK_DELAY_MS',
    kind: 'int',
    min: 0,
    help: 'document.changed waits this long after the last edit (never more than 10 s while edits keep coming)',
  },
  {
    key: 'history',
    flag: 'history',
    env: 'COEDIT_HISTORY',
    kind: 'enum',
    choices: ['on', 'off'],
    help: 'Keep who wrote what and versions of every document (History in the editor, /api/docs/<id>/versions and /authorship)',
  },
  {
    key: 'versionIdleMs',
    flag: 'version-idle-ms',
    env: 'COEDIT_VERSION_IDLE_MS',
    kind: 'int',
    min: 1,
    help: 'A version is cut once editing of a document pauses this long',
  },
  {
    key: 'versionMaxMs',
    flag: 'version-max-ms',
    env: 'COEDIT_VERSION_MAX_MS',
    kind: 'int',
    min: 1,
    help: 'During continuous editing a version is cut at least this often',
  },
  {
    key: 'historyRetentionSeconds',
    flag: 'history-retention',
    env: 'COEDIT_HISTORY_RETENTION',
    kind: 'duration',
    help: 'Automatic versions older than this are thinned to the last of each day (named and restored ones stay), e.g. 90d',
  },
  {
    key: 'maxDocumentBytes',
    flag: 'max-document-bytes',
    env: 'COEDIT_MAX_DOCUMENT_BYTES',
    kind: 'int',
    min: 0,
    help: 'Encoded size a document may grow to (0 = no limit); an update past it: close 1008, document unchanged',
  },
]

export const DEFAULT_CONFIG: ServerConfig = Object.freeze({
  host: '127.0.0.1',
  port: 1234,
  storage: 'sqlite',
  dataDir: './data',
  fsync: false,
  webDir: null,
  logLevel: 'info',
  pathPrefix: DEFAULT_SYNC_SERVER_OPTIONS.pathPrefix,
  heartbeatIntervalMs: DEFAULT_SYNC_SERVER_OPTIONS.heartbeatIntervalMs,
  heartbeatTimeoutMs: DEFAULT_SYNC_SERVER_OPTIONS.heartbeatTimeoutMs,
  maxMessageBytes: DEFAULT_SYNC_SERVER_OPTIONS.maxMessageBytes,
  maxBufferedBytes: DEFAULT_SYNC_SERVER_OPTIONS.maxBufferedBytes,
  roomUnloadDelayMs: DEFAULT_SYNC_SERVER_OPTIONS.roomUnloadDelayMs,
  compactAfterUpdates: DEFAULT_SYNC_SERVER_OPTIONS.compactAfterUpdates,
  compactAfterBytes: DEFAULT_SYNC_SERVER_OPTIONS.compactAfterBytes,
  relayWindowMs: DEFAULT_SYNC_SERVER_OPTIONS.relayWindowMs,
  commitWindowMs: DEFAULT_SYNC_SERVER_OPTIONS.commitWindowMs,
  shutdownTimeoutMs: 10_000,
  secret: null,
  secretFile: null,
  publicUrl: null,
  linkTtlSeconds: 7 * 86_400,
  allowedOrigins: DEFAULT_SYNC_SERVER_OPTIONS.allowedOrigins,
  maxConnectionsPerIp: DEFAULT_SYNC_SERVER_OPTIONS.maxConnectionsPerIp,
  maxNewConnectionsPerMinute: DEFAULT_SYNC_SERVER_OPTIONS.maxNewConnectionsPerMinute,
  trustProxy: DEFAULT_SYNC_SERVER_OPTIONS.trustProxy,
  maxMessagesPerSecond: DEFAULT_SYNC_SERVER_OPTIONS.maxMessagesPerSecond,
  maxBytesPerSecond: DEFAULT_SYNC_SERVER_OPTIONS.maxBytesPerSecond,
  maxThrottledMs: DEFAULT_SYNC_SERVER_OPTIONS.maxThrottledMs,
  maxLoadedRooms: DEFAULT_SYNC_SERVER_OPTIONS.maxLoadedRooms,
  maxDocumentBytes: DEFAULT_SYNC_SERVER_OPTIONS.maxDocumentBytes,
  databaseUrl: null,
  redisUrl: null,
  relayQueueLimit: 10_000,
  tlsCert: null,
  tlsKey: null,
  allowedHosts: [],
  frameAncestors: ["'self'"],
  maxPresenceBytes: DEFAULT_SYNC_SERVER_OPTIONS.maxPresenceBytes,
  maxTotalBufferedBytes: DEFAULT_SYNC_SERVER_OPTIONS.maxTotalBufferedBytes,
  maxBufferedBytesPerAddress: DEFAULT_SYNC_SERVER_OPTIONS.maxBufferedBytesPerAddress,
  webhookUrls: [],
  webhookSecret: null,
  webhookDelayMs: 2_000,
  history: 'on',
  versionIdleMs: DEFAULT_SYNC_SERVER_OPTIONS.versionIdleMs,
  versionMaxMs: DEFAULT_SYNC_SERVER_OPTIONS.versionMaxMs,
  historyRetentionSeconds: null,
})

/** A setting that cannot be used; the message names the flag, the variable and what is allowed. */
