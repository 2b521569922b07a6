import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pino, type Logger } from 'pino'
import { SqliteStorage } from '@coedit/sync-server/sqlite'
import { PostgresStorage } from '@coedit/sync-server/postgres'
import { RedisRelay } from '@coedit/sync-server/redis'
import {
  MemoryStorage,
  OPEN_ACCESS,
  RevocationList,
  SyncServer,
  TokenAccessPolicy,
  hostAllowed,
  isWebhookStore,
  type DocumentStorage,
  type RevocationStore,
} from '@coedit/sync-server'
import { ConfigError, redact, type ServerConfig } from './config.js'
import { createStaticHandler, webDirIsBuilt } from './static-files.js'
import { createAccessApi } from './access-api.js'
import { createDocumentsApi } from './documents-api.js'
import { reply } from './http-json.js'
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js'
import { readTls } from './tls.js'

export interface RunningServer {
  readonly http: Server | HttpsServer
  readonly sync: SyncServer
  readonly url: string
  readonly log: Logger
  /** Graceful stop: stop accepting, store, close sessions with 1012, close storage. */
  stop(): Promise<void>
  /** Re-reads the TLS certificate and key (SIGHUP); throws ConfigError and keeps the current pair when the new one is bad. */
  reloadTls(): void
}

/** The web app: this repository's build, else the copy bundled into the installed package (web/). */
export function bundledWebDir(): string | null {
  const here = dirname(fileURLToPath(import.meta.url))
  for (const candidate of [resolve(here, '../../web/dist'), resolve(here, '../web')]) if (existsSync(join(candidate, 'index.html'))) return candidate
  return null
}

/** The store the configuration names. `log` is a running server's: a one-shot command leaves SQLite's checkpoints where they are. */
export function storageFor(config: Pick<ServerConfig, 'storage' | 'databaseUrl' | 'dataDir' | 'fsync'>, log?: Logger): DocumentStorage & RevocationStore {
  if (config.storage === 'memory') return new MemoryStorage()
  if (config.storage === 'postgres') return new PostgresStorage({ connectionString: config.databaseUrl! })
  const file = join(config.dataDir, 'coedit.db')
  if (!log) return new SqliteStorage({ file, fsync: config.fsync, backgroundCheckpoints: false })
  return new SqliteStorage({ file, fsync: config.fsync, onWarning: (message) => log.warn(message) })
}

/** Composes the HTTP server: /healthz and /metrics, WebSocket rooms, and the web app. */
export async function startServer(config: ServerConfig, log: Logger = pino({ level: config.logLevel })): Promise<RunningServer> {
  // Checked before anything opens a file or a port: a bad certificate stops the start.
  const tlsFiles = config.tlsCert && config.tlsKey ? { cert: config.tlsCert, key: config.tlsKey } : null
  const tls = tlsFiles ? readTls(tlsFiles) : null
  const storage = storageFor(config, log)
  // Revocations live beside the documents, so `coedit token revoke` and the other servers of a
  // cluster reach this one through the store.
  const revocations = config.secret === null ? null : new RevocationList(storage, { log })
  await revocations?.start()
  const access = config.secret === null ? OPEN_ACCESS : new TokenAccessPolicy(config.secret, { revocations })
  const cluster = config.redisUrl ? new RedisRelay({ url: config.redisUrl, log, maxQueuedMessages: config.relayQueueLimit }) : undefined
  if (cluster && config.storage !== 'postgres') {
    log.warn(
      'REDIS_URL without shared storage: each server keeps its own copy of what the others relay; use DATABASE_URL so any server can load every document',
    )
  }
  const sync = new SyncServer({
    access,
    cluster,
    allowedOrigins: config.allowedOrigins,
    maxConnectionsPerIp: config.maxConnectionsPerIp,
    maxNewConnectionsPerMinute: config.maxNewConnectionsPerMinute,
    trustProxy: config.trustProxy,
    maxMessagesPerSecond: config.maxMessagesPerSecond,
    maxBytesPerSecond: config.maxBytesPerSecond,
    maxThrottledMs: config.maxThrottledMs,
    maxPresenceBytes: config.maxPresenceBytes,
    history: config.history === 'on',
    versionIdleMs: config.versionIdleMs,
    versionMaxMs: config.versionMaxMs,
    historyRetentionMs: (config.historyRetentionSeconds ?? 0) * 1000,
    maxTotalBufferedBytes: config.maxTotalBufferedBytes,
    maxBufferedBytesPerAddress: config.maxBufferedBytesPerAddress,
    allowedHosts: hostsFor(config, access.mode),
    maxLoadedRooms: config.maxLoadedRooms,
    maxDocumentBytes: config.maxDocumentBytes,
    storage,
    logger: log,
    pathPrefix: config.pathPrefix,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
    maxMessageBytes: config.maxMessageBytes,
    maxBufferedBytes: config.maxBufferedBytes,
    roomUnloadDelayMs: config.roomUnloadDelayMs,
    compactAfterUpdates: config.compactAfterUpdates,
    compactAfterBytes: config.compactAfterBytes,
    relayWindowMs: config.relayWindowMs,
    commitWindowMs: config.commitWindowMs,
  })
  const webDir = config.webDir === 'none' ? null : (config.webDir ?? bundledWebDir())
  const serveWeb = webDir && webDirIsBuilt(webDir) ? createStaticHandler(webDir, { frameAncestors: config.frameAncestors }) : null
  if (webDir && !serveWeb) log.warn({ webDir }, 'web app directory has no index.html; serving the sync server only')

  const accessApi = createAccessApi({ access, linkTtlSeconds: config.linkTtlSeconds, log })
  const documentsApi = createDocumentsApi({ sync, publicUrl: config.publicUrl, log })
  const allowedHosts = hostsFor(config, access.mode)
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    if (!hostAllowed(request, allowedHosts)) {
      response.writeHead(403, { 'content-type': 'application/json; charset=utf-8' })
      response.end(
        JSON.stringify({ error: `host ${request.headers.host ?? ''} is not allowed: this server answers to ${allowedHosts.join(', ')} (--allowed-hosts)` }),
      )
      return
    }
    if (sync.handleHttp(request, response)) return
    if (accessApi(request, response)) return
    if (documentsApi.handle(request, response)) return
    // An unknown API path is an error a script can read, never the app's HTML.
    if ((request.url ?? '/').startsWith('/api/')) {
      reply(response, 404, { error: `no such API route: ${request.method} ${(request.url ?? '').split('?')[0]} (see /api/openapi.json)` })
      return
    }
    if (serveWeb) {
      serveWeb(request, response)
      return
    }
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
    response.end('Coedit sync server. Connect a y-websocket client to ws://<this host>/<room>. The web app is not built here (pnpm build).\n')
  }
  const http: Server | HttpsServer = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handle) : createServer(handle)
  // Node's default keeps an idle connection 5 s; API clients (and proxies) reusing one just as
  // it closes get "socket closed" errors. A minute outlasts their own idle timeouts.
  http.keepAliveTimeout = 65_000
  http.headersTimeout = 66_000
  sync.attach(http)

  await new Promise<void>((resolveListen, reject) => {
    http.once('error', reject)
    http.listen(config.port, config.host, () => {
      http.off('error', reject)
      resolveListen()
    })
  })
  const address = http.address()
  const port = typeof address === 'object' && address ? address.port : config.port
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host
  const url = `${tls ? 'https' : 'http'}://${hostForUrl}:${port}`
  log.info(
    {
      url,
      port,
      storage: config.storage,
      dataDir: config.storage === 'sqlite' ? config.dataDir : undefined,
      database: config.databaseUrl ? redact(config.databaseUrl) : undefined,
      redis: config.redisUrl ? redact(config.redisUrl) : undefined,
      server: cluster?.serverId,
      web: serveWeb ? webDir : null,
      tls: tlsFiles ? tlsFiles.cert : undefined,
    },
    `Coedit is listening on ${url}`,
  )
  log.info(
    { mode: access.mode },
    access.mode === 'token'
      ? 'token mode: every connection needs a signed token (coedit token --help)'
      : 'open mode: anyone who can reach this port can edit every document',
  )
  if (access.mode === 'open' && !isLoopback(config.host)) {
    log.warn(
      { host: config.host },
      `open mode on a non-loopback address: anyone who can reach ${url} can read and ` +
        `change every document. Set COEDIT_SECRET or --secret-file to require signed links.`,
    )
  }

  let webhooks: WebhookDispatcher | null = null
  if (config.webhookUrls.length > 0) {
    if (!isWebhookStore(storage)) throw new ConfigError('webhooks need a store that keeps their outbox (sqlite, postgres or memory)')
    webhooks = new WebhookDispatcher(
      storage,
      sync.documents,
      { urls: config.webhookUrls, secret: config.webhookSecret, delayMs: config.webhookDelayMs },
      log,
      sync.metrics.registry,
    )
    webhooks.start()
    log.info({ receivers: config.webhookUrls.map((u) => redact(u)), signed: config.webhookSecret !== null, delayMs: config.webhookDelayMs }, 'webhooks on')
    if (config.webhookSecret === null) log.warn('webhooks are unsigned: set COEDIT_WEBHOOK_SECRET so receivers can check X-Coedit-Signature')
    if (config.storage === 'memory') log.warn('webhooks with --storage memory: pending events are lost on restart')
  }

  let stopping: Promise<void> | null = null
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const closed = new Promise<void>((done) => http.close(() => done()))
      revocations?.close()
      await webhooks?.stop()
      await sync.close({ timeoutMs: Math.min(2_000, config.shutdownTimeoutMs / 2) })
      http.closeAllConnections()
      await closed
    })()
    return stopping
  }
  const reloadTls = (): void => {
    if (!tlsFiles || !('setSecureContext' in http)) throw new ConfigError('TLS is not on: start with --tls-cert and --tls-key to use SIGHUP reloads')
    const fresh = readTls(tlsFiles)
    // New handshakes use the new pair; connections already open keep theirs.
    http.setSecureContext({ cert: fresh.cert, key: fresh.key })
  }
  return { http, sync, url, log, stop, reloadTls }
}

/**
 * Host names the server answers to. Open mode on loopback is the one case where any page the
 * user visits could reach the server through DNS rebinding: there only loopback names (and the
 * public URL's) are accepted unless --allowed-hosts says otherwise.
 */
function hostsFor(config: ServerConfig, mode: 'open' | 'token'): readonly string[] {
  if (config.allowedHosts.length > 0) return config.allowedHosts
  if (mode !== 'open' || !isLoopback(config.host)) return []
  const hosts = ['loopback']
  if (config.publicUrl) hosts.push(new URL(config.publicUrl).hostname)
  return hosts
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host)
}
