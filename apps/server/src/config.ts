import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { DEFAULT_SYNC_SERVER_OPTIONS, MIN_SECRET_BYTES } from '@coedit/sync-server'
import { formatDuration, parseDuration } from './duration.js'

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
  readonly allowedHosts: readonly string[]
  readonly frameAncestors: readonly string[]
  readonly maxPresenceBytes: number
  readonly maxTotalBufferedBytes: number
  /** PEM files: when both are set the server speaks HTTPS and WSS on its port. */
  readonly tlsCert: string | null
  readonly tlsKey: string | null
}

type Kind = 'string' | 'int' | 'bool' | 'enum' | 'list' | 'duration'

interface Setting {
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
  tlsCert: null,
  tlsKey: null,
  allowedHosts: [],
  frameAncestors: ["'self'"],
  maxPresenceBytes: DEFAULT_SYNC_SERVER_OPTIONS.maxPresenceBytes,
  maxTotalBufferedBytes: DEFAULT_SYNC_SERVER_OPTIONS.maxTotalBufferedBytes,
})

/** A setting that cannot be used; the message names the flag, the variable and what is allowed. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

export type ParsedCommand = { readonly kind: 'help' } | { readonly kind: 'version' } | { readonly kind: 'serve'; readonly config: ServerConfig }

/** Flags win over environment variables, which win over defaults. */
export function parseCommandLine(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedCommand {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' }, version: { type: 'boolean' } }
  for (const setting of SETTINGS) options[setting.flag] = { type: setting.kind === 'bool' ? 'boolean' : 'string' }
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\nRun 'coedit --help' for the list of flags.`)
  }
  if (values.help) return { kind: 'help' }
  if (values.version) return { kind: 'version' }

  const config: Record<string, unknown> = { ...DEFAULT_CONFIG }
  for (const setting of SETTINGS) {
    const fromFlag = values[setting.flag]
    const fromEnv = env[setting.env]
    if (fromFlag !== undefined) config[setting.key] = convert(setting, fromFlag, `--${setting.flag}`)
    else if (fromEnv !== undefined && fromEnv !== '') config[setting.key] = convert(setting, fromEnv, setting.env)
  }
  // A database URL means "share documents": unless storage was chosen explicitly, use it.
  const storageChosen = values.storage !== undefined || (env.COEDIT_STORAGE ?? '') !== ''
  if (config.databaseUrl && !storageChosen) config.storage = 'postgres'
  const result = config as unknown as ServerConfig
  if (result.storage === 'postgres' && !result.databaseUrl) throw new ConfigError('--storage postgres needs --database-url / DATABASE_URL')
  if (result.databaseUrl !== null && !/^postgres(ql)?:\/\//.test(result.databaseUrl))
    throw new ConfigError(`--database-url / DATABASE_URL must start with postgres://, got '${redact(result.databaseUrl)}'`)
  if (result.redisUrl !== null && !/^rediss?:\/\//.test(result.redisUrl))
    throw new ConfigError(`--redis-url / REDIS_URL must start with redis:// or rediss://, got '${redact(result.redisUrl)}'`)
  if (!result.pathPrefix.startsWith('/')) throw new ConfigError(`--path-prefix / COEDIT_PATH_PREFIX must start with '/', got '${result.pathPrefix}'`)
  if ((result.tlsCert === null) !== (result.tlsKey === null))
    throw new ConfigError('--tls-cert and --tls-key (COEDIT_TLS_CERT, COEDIT_TLS_KEY) go together: set both, or neither')
  if (result.publicUrl !== null && !isHttpUrl(result.publicUrl))
    throw new ConfigError(`--public-url / COEDIT_PUBLIC_URL must be an http(s) URL, got '${result.publicUrl}'`)
  return {
    kind: 'serve',
    config: {
      ...result,
      secret: readSecret(result.secretFile, env.COEDIT_SECRET),
      dataDir: resolve(result.dataDir),
      tlsCert: result.tlsCert === null ? null : resolve(result.tlsCert),
      tlsKey: result.tlsKey === null ? null : resolve(result.tlsKey),
      webDir: result.webDir === null || result.webDir === 'none' ? result.webDir : resolve(result.webDir),
    },
  }
}

/** The signing secret: the file named by --secret-file wins over COEDIT_SECRET; none means open mode. */
export function readSecret(file: string | null, fromEnv: string | undefined): string | null {
  let secret: string
  let source: string
  if (file !== null) {
    try {
      // A trailing newline is what editors and `echo` add, not part of the secret.
      secret = readFileSync(file, 'utf8').replace(/\r?\n$/, '')
    } catch (error) {
      throw new ConfigError(`--secret-file / COEDIT_SECRET_FILE: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
    }
    source = `the secret file ${file}`
  } else if (fromEnv !== undefined && fromEnv !== '') {
    secret = fromEnv
    source = 'COEDIT_SECRET'
  } else {
    return null
  }
  const bytes = Buffer.byteLength(secret)
  if (bytes < MIN_SECRET_BYTES) {
    throw new ConfigError(`${source} holds ${bytes} bytes; a signing secret needs at least ${MIN_SECRET_BYTES} (try: openssl rand -base64 48)`)
  }
  return secret
}

function convert(setting: Setting, raw: string | boolean, source: string): unknown {
  switch (setting.kind) {
    case 'bool':
      if (typeof raw === 'boolean') return raw
      if (/^(1|true|yes|on)$/i.test(raw)) return true
      if (/^(0|false|no|off)$/i.test(raw)) return false
      throw new ConfigError(`${source} must be true or false, got '${raw}'`)
    case 'int': {
      const text = String(raw).trim()
      if (!/^\d+$/.test(text)) throw new ConfigError(`${source} must be a whole number, got '${raw}'`)
      const value = Number(text)
      if (setting.min !== undefined && value < setting.min) throw new ConfigError(`${source} must be at least ${setting.min}, got ${value}`)
      if (setting.max !== undefined && value > setting.max) throw new ConfigError(`${source} must be at most ${setting.max}, got ${value}`)
      return value
    }
    case 'enum':
      if (!setting.choices?.includes(String(raw))) throw new ConfigError(`${source} must be one of ${setting.choices?.join(', ')}, got '${raw}'`)
      return raw
    case 'string':
      if (String(raw).trim() === '') throw new ConfigError(`${source} must not be empty`)
      return raw
    case 'list':
      return String(raw)
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
    case 'duration': {
      const seconds = parseDuration(String(raw))
      if (seconds === null) throw new ConfigError(`${source} must be a duration like 30m, 12h or 7d, got '${raw}'`)
      return seconds
    }
  }
}

export function helpText(): string {
  const lines = [
    'Usage: coedit [flags]',
    '',
    'Real-time collaborative text editor: y-websocket compatible sync server and web app on one port.',
    '',
    'Flags (environment variable in brackets; flags win):',
  ]
  for (const setting of SETTINGS) {
    lines.push(`  --${setting.flag}${VALUE_HINT[setting.kind](setting)}`)
    lines.push(`      ${setting.help} [${setting.env}] (default: ${describeDefault(setting)})`)
  }
  lines.push('  --help       Show this help', '  --version    Print the version', '')
  lines.push('Environment only: COEDIT_SECRET  the signing secret itself (token mode); kept off the command line, where `ps` shows it.')
  lines.push('')
  lines.push('Commands:')
  lines.push('  coedit token --doc <id> --right edit|view [--ttl 7d] [--name <name>]   Print a signed link (see coedit token --help)')
  lines.push(
    '  coedit token revoke --id <id> | --doc <id>                            Revoke a link, or every link to a document (see coedit token revoke --help)',
  )
  lines.push('')
  lines.push('Endpoints: ws://<host>:<port><prefix><room> (y-websocket), GET /healthz, GET /metrics (Prometheus).')
  lines.push('SIGTERM/SIGINT: stop accepting, store everything, close sessions with 1012, exit 0.')
  lines.push('SIGHUP: re-read the TLS certificate and key (renewal without a restart); a bad pair is logged and the current one kept.')
  return lines.join('\n')
}

const VALUE_HINT: Record<Kind, (setting: Setting) => string> = {
  bool: () => '',
  enum: (setting) => ` <${setting.choices?.join('|')}>`,
  int: () => ' <n>',
  string: () => ' <value>',
  list: () => ' <a,b,...>',
  duration: () => ' <30m|12h|7d>',
}

function describeDefault(setting: Setting): string {
  const fallback = DEFAULT_CONFIG[setting.key]
  if (setting.key === 'webDir') return 'apps/web/dist when built'
  if (setting.key === 'publicUrl') return 'http://<host>:<port>'
  if (setting.key === 'allowedHosts') return 'automatic'
  if (fallback === null) return 'none'
  if (Array.isArray(fallback)) return fallback.length === 0 ? 'none' : fallback.join(',')
  if (setting.kind === 'duration') return formatDuration(fallback as number)
  return String(fallback)
}

/** A URL for messages and logs, without its password. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@')
}

export function isHttpUrl(text: string): boolean {
  return /^https?:\/\/[^/]+/.test(text)
}
