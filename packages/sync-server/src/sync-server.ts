import { EventEmitter } from 'node:events'
import { CLOSE, DELETED_REASON, VIEW_ROOM_PREFIX, isViewRoom } from '@coedit/wire'
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import { pino, type Logger } from 'pino'
import { Room } from './room.js'
import { EVICTION_CAUSES, Session, type CloseCause } from './session.js'
import { ServerMetrics } from './metrics.js'
import { DEFAULT_PRESENCE_LIMITS } from './awareness-update.js'
import { UpgradeGate, pathOf, type Admission, type RefusalKind } from './upgrade-gate.js'
import { OPEN_ACCESS, type AccessPolicy } from './access/access-policy.js'
import { REVOKED_REASON, RevocationList, type Revocation } from './access/revocations.js'
import type { DocumentStorage } from './storage/document-storage.js'
import { MemoryStorage } from './storage/memory-storage.js'
import { CommitQueue } from './commit-queue.js'
import type { ClusterRelay } from './cluster/cluster-relay.js'
import { resolveOptions, type ResolvedSyncServerOptions, type SyncServerOptions } from './sync-server-options.js'
import { DocumentService, type DocumentHost } from './document-service.js'
import { DocumentHistory } from './document-history.js'
import { enforceSendBudget } from './send-budget.js'
import { chooseProtocol, writeRefusal } from './upgrade-answer.js'
import { errorMessage } from './error-message.js'

export { DEFAULT_SYNC_SERVER_OPTIONS } from './sync-server-options.js'
export type { ResolvedSyncServerOptions, SyncServerOptions } from './sync-server-options.js'

export interface SessionClosedEvent {
  readonly room: string
  readonly session: number
  readonly cause: CloseCause
  readonly code: number
  readonly reason: string
  readonly durationMs: number
}

export interface SyncServerEvents {
  sessionOpened: [{ room: string; session: number }]
  sessionClosed: [SessionClosedEvent]
  roomLoaded: [{ room: string }]
  roomUnloaded: [{ room: string }]
}

export interface CloseOptions {
  /** Close code sent to every session. Default 1012 (service restart): clients reconnect. */
  readonly code?: number
  readonly reason?: string
  /** How long to wait for close handshakes before dropping the remaining sockets. Default 2 000 ms. */
  readonly timeoutMs?: number
}

/**
 * The server's front door: owns the room registry and the config. Attach it to an
 * http.Server, or hand it sockets yourself with handleUpgrade/handleConnection.
 */
export class SyncServer extends EventEmitter<SyncServerEvents> {
  readonly metrics = new ServerMetrics()
  readonly options: ResolvedSyncServerOptions
  readonly storage: DocumentStorage
  readonly access: AccessPolicy
  readonly cluster: ClusterRelay | null
  private readonly log: Logger
  private readonly gate: UpgradeGate
  private readonly rooms = new Map<string, Room>()
  private readonly sessions = new Set<Session>()
  private readonly wss: WebSocketServer
  /** Documents for the HTTP API: read, edit through the room, create, list, delete. */
  readonly documents: DocumentService
  /** Versions, differences, restores and authorship. */
  readonly history: DocumentHistory
  private nextSessionId = 1
  private readonly commits: CommitQueue
  private closing: Promise<void> | null = null

  constructor(options: SyncServerOptions = {}) {
    super()
    this.options = resolveOptions(options)
    this.storage = options.storage ?? new MemoryStorage()
    this.commits = new CommitQueue(this.storage, this.options.commitWindowMs, (seconds) => this.metrics.storageAppendSeconds.observe(seconds))
    this.log = options.logger ?? pino({ level: 'info' })
    this.access = options.access ?? OPEN_ACCESS
    this.cluster = options.cluster ?? null
    this.cluster?.bindMetrics?.(this.metrics)
    const { allowLoopbackOrigins } = this.options
    this.gate = new UpgradeGate(
      {
        ...this.options,
        access: this.access,
        allowLoopbackOrigins: allowLoopbackOrigins === 'open-mode-only' ? this.access.mode === 'open' : allowLoopbackOrigins,
      },
      { isClosing: () => this.closing !== null, roomCount: () => this.rooms.size, hasRoom: (name) => this.rooms.has(name) },
    )
    const host: DocumentHost = {
      storage: this.storage,
      log: this.log,
      roomFor: (name) => this.roomFor(name),
      loadedRoom: (name) => this.rooms.get(name),
      clustered: this.cluster !== null,
    }
    this.documents = new DocumentService(host)
    this.history = new DocumentHistory(host, this.documents, this.options.history)
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.options.maxMessageBytes, perMessageDeflate: false, handleProtocols: chooseProtocol })
    this.access.revocations?.on('revoked', this.onRevoked)
    if (this.options.maxTotalBufferedBytes > 0 || this.options.maxBufferedBytesPerAddress > 0) {
      this.budgetTimer = setInterval(() => this.enforceSendBudget(), 1_000)
      this.budgetTimer.unref()
    }
  }

  private budgetTimer: NodeJS.Timeout | null = null

  /** Drops the sessions holding the most unsent bytes while over a send budget; returns how many. */
  enforceSendBudget(): number {
    return enforceSendBudget(this.sessions, { perAddress: this.options.maxBufferedBytesPerAddress, total: this.options.maxTotalBufferedBytes }, this.log)
  }

  /** Closes every session whose token a new revocation names (made here, by the CLI or by another server). */
  private readonly onRevoked = (revocation: Revocation): void => {
    let closed = 0
    for (const session of this.sessions) {
      const { tokenId, issuedAt } = session.access
      if (!session.isOpen || !RevocationList.covers(revocation, { id: tokenId, issuedAt }, session.roomName)) continue
      session.close('revoked', CLOSE.policy, REVOKED_REASON)
      closed++
    }
    this.log.info(
      { revocation: revocation.kind === 'doc' ? { doc: revocation.doc, before: new Date(revocation.before).toISOString() } : { id: revocation.id }, closed },
      'revocation applied',
    )
  }

  get roomCount(): number {
    return this.rooms.size
  }

  get sessionCount(): number {
    return this.sessions.size
  }

  /** A loaded room's sessions and the client ids its presence tracks; null when not loaded. */
  roomInfo(name: string): { sessions: number; presenceClients: number; text: string } | null {
    const room = this.rooms.get(name)
    return room ? { sessions: room.sessions.size, presenceClients: room.presenceClients, text: room.document.doc.getText('text').toString() } : null
  }

  /** Takes over WebSocket upgrades on `pathPrefix` of an existing server. */
  attach(server: HttpServer): this {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      // Leave other paths to the embedder's own upgrade handlers, if it has any.
      if (!this.ownsPath(request) && server.listenerCount('upgrade') > 1) return
      this.handleUpgrade(request, socket, head)
    })
    return this
  }

  /**
   * Checks the path, the per-address limits, the origin, the token and the room cap (an
   * HTTP error with a reason when one fails), then completes the WebSocket handshake.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // The socket is ours until ws takes it (node's http server stops listening for its errors at an
    // upgrade): a client resetting it meanwhile, or while a refusal is written, must not crash the process.
    const ignore = (): void => {}
    socket.on('error', ignore)
    const admission = this.admit(request)
    if (admission instanceof Promise) void admission.then((result) => this.upgradeAdmitted(result, request, socket, head, ignore))
    else this.upgradeAdmitted(admission, request, socket, head, ignore)
  }

  private upgradeAdmitted(admission: Admission, request: IncomingMessage, socket: Duplex, head: Buffer, ignoreErrors: () => void): void {
    if (!admission.ok) {
      this.refuseUpgrade(socket, admission.status, admission.reason, admission.kind)
      return
    }
    if (socket.destroyed) {
      this.gate.release(admission.address)
      return
    }
    // ws listens for the socket's errors from here on.
    socket.off('error', ignoreErrors)
    // ws answers a malformed handshake itself without calling back: the slot must still be freed.
    let opened = false
    socket.once('close', () => {
      if (!opened) this.gate.release(admission.address)
    })
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      opened = true
      this.openSession(ws, admission)
    })
  }

  /** For embedders running their own WebSocketServer: runs the same checks, closing with 1008/1013 instead of an HTTP error. */
  handleConnection(socket: WebSocket, request: IncomingMessage): void {
    void Promise.resolve(this.admit(request)).then((admission) => {
      if (admission.ok) this.openSession(socket, admission)
      else if (admission.kind === 'deleted') socket.close(CLOSE.deleted, DELETED_REASON)
      else {
        this.metrics.upgradesRefused.inc({ status: String(admission.status), reason: admission.kind })
        socket.close(admission.status === 503 ? (admission.kind === 'shutting-down' ? CLOSE.restart : CLOSE.tryAgainLater) : CLOSE.policy, admission.reason)
      }
    })
  }

  /** The address (IPv6: its /64) limits are kept per, honouring --trust-proxy: for the embedder's own limits. */
  addressOf(request: IncomingMessage): string {
    return this.gate.addressOf(request)
  }

  /**
   * The gate's checks, then: a view link opens its document read-only (404 for an unknown one),
   * and a deleted document stays gone (410), so an old copy cannot bring it back.
   */
  private admit(request: IncomingMessage): Admission | Promise<Admission> {
    const admission = this.gate.admit(request)
    return admission instanceof Promise ? admission.then((result) => this.afterGate(result)) : this.afterGate(admission)
  }

  private afterGate(admission: Admission): Admission | Promise<Admission> {
    if (!admission.ok || !isViewRoom(admission.room)) return this.refuseIfDeleted(admission)
    const viewId = admission.room.slice(VIEW_ROOM_PREFIX.length)
    return this.documents
      .documentOfView(viewId)
      .catch(() => null)
      .then((document) => {
        if (document) return this.refuseIfDeleted({ ...admission, room: document, access: { ...admission.access, right: 'view' } })
        this.gate.release(admission.address)
        return { ok: false, status: 404, kind: 'bad-path', reason: 'no document has this view link' }
      })
  }

  /** Synchronous when the store is (SQLite): no promise per upgrade in the common case. */
  private refuseIfDeleted(admission: Admission): Admission | Promise<Admission> {
    if (!admission.ok) return admission
    const decide = (gone: boolean): Admission => {
      if (!gone) return admission
      this.gate.release(admission.address)
      return { ok: false, status: 410, kind: 'deleted', reason: DELETED_REASON }
    }
    const deleted = this.documents.isDeleted(admission.room)
    return deleted instanceof Promise ? deleted.then(decide, () => admission) : decide(deleted)
  }

  /** Serves GET /healthz and GET /metrics; returns false for any other request. */
  handleHttp(request: IncomingMessage, response: ServerResponse): boolean {
    const path = pathOf(request)
    if (path === '/healthz') {
      void this.health().then((problem) => {
        response.writeHead(problem ? 503 : 200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
        response.end(problem ? `unhealthy: ${problem}\n` : 'ok\n')
      })
      return true
    }
    if (path === '/metrics') {
      void this.metrics.text().then((text) => {
        response.writeHead(200, { 'content-type': this.metrics.registry.contentType, 'cache-control': 'no-store' })
        response.end(text)
      })
      return true
    }
    return false
  }

  /** Returns null when storage answers, else what went wrong. */
  async health(): Promise<string | null> {
    try {
      await this.storage.check()
      this.cluster?.check()
      return null
    } catch (error) {
      return errorMessage(error)
    }
  }

  /**
   * Stops accepting, stores what is pending, closes every session (1012 by default so
   * clients reconnect to the next instance) and closes storage. Idempotent.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.closing ??= this.shutdown(options)
    return this.closing
  }

  private async shutdown({ code = 1012, reason = 'server restarting', timeoutMs = 2_000 }: CloseOptions): Promise<void> {
    this.log.info({ rooms: this.rooms.size, sessions: this.sessions.size }, 'shutting down')
    const rooms = [...this.rooms.values()]
    for (const room of rooms) room.beginShutdown(code, reason)
    this.access.revocations?.off('revoked', this.onRevoked)
    if (this.budgetTimer) clearInterval(this.budgetTimer)
    await this.waitForSessionsToClose(timeoutMs)
    for (const session of this.sessions) session.terminate('shutdown', code, reason)
    await Promise.all(rooms.map((room) => room.finishShutdown()))
    this.wss.close()
    await this.cluster?.close()
    await this.storage.close()
    this.gate.close()
    this.log.info('shut down')
  }

  private waitForSessionsToClose(timeoutMs: number): Promise<void> {
    if (this.sessions.size === 0) return Promise.resolve()
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer)
        this.off('sessionClosed', onClosed)
        resolve()
      }
      const onClosed = (): void => {
        if (this.sessions.size === 0) finish()
      }
      const timer = setTimeout(finish, timeoutMs)
      this.on('sessionClosed', onClosed)
    })
  }

  private openSession(socket: WebSocket, { room: roomName, access, address }: Admission & { ok: true }): void {
    const session = new Session(
      this.nextSessionId++,
      roomName,
      access,
      address,
      socket,
      this.options,
      {
        onMessage: (s, data) => {
          this.metrics.messagesIn.inc()
          this.metrics.bytesIn.inc(data.byteLength)
          this.rooms.get(s.roomName)?.receive(s, data)
        },
        onClosed: (s) => this.onSessionClosed(s),
        onThrottled: () => this.metrics.throttled.inc(),
      },
      this.log,
    )
    this.sessions.add(session)
    this.metrics.sessions.inc()
    this.log.info({ room: roomName, session: session.id, right: access.right, user: access.user ?? undefined, address }, 'session opened')
    this.emit('sessionOpened', { room: roomName, session: session.id })
    this.roomFor(roomName).join(session)
  }

  private roomFor(name: string): Room {
    let room = this.rooms.get(name)
    if (!room) {
      room = new Room(name, {
        storage: this.storage,
        metrics: this.metrics,
        log: this.log,
        unloadDelayMs: this.options.roomUnloadDelayMs,
        compactAfterUpdates: this.options.compactAfterUpdates,
        compactAfterBytes: this.options.compactAfterBytes,
        maxQueuedMessages: this.options.maxQueuedMessages,
        relayWindowMs: this.options.relayWindowMs,
        commits: this.commits,
        maxDocumentBytes: this.options.maxDocumentBytes,
        presenceLimits: { ...DEFAULT_PRESENCE_LIMITS, maxStateBytes: this.options.maxPresenceBytes },
        history: this.options.history
          ? {
              versionIdleMs: this.options.versionIdleMs,
              versionMaxMs: this.options.versionMaxMs,
              retentionMs: this.options.historyRetentionMs || null,
            }
          : null,
        cluster: this.cluster,
        onUnloaded: (unloaded) => {
          if (this.rooms.get(unloaded.name) === unloaded) this.rooms.delete(unloaded.name)
          this.log.debug({ room: unloaded.name }, 'room unloaded')
          this.emit('roomUnloaded', { room: unloaded.name })
        },
      })
      // A load that failed synchronously has already removed itself; keep it out of the map.
      if (!room.isFailed) {
        this.rooms.set(name, room)
        this.emit('roomLoaded', { room: name })
      }
    }
    return room
  }

  private onSessionClosed(session: Session): void {
    if (!this.sessions.delete(session)) return
    this.gate.release(session.address)
    this.metrics.sessions.dec()
    const state = session.state
    if (state.kind !== 'closed') return
    const eviction = EVICTION_CAUSES.has(state.cause)
    this.metrics.recordClosed(state.cause, eviction)
    const event: SessionClosedEvent = {
      room: session.roomName,
      session: session.id,
      cause: state.cause,
      code: state.code,
      reason: state.reason,
      durationMs: Date.now() - session.openedAt,
    }
    this.log[eviction ? 'warn' : 'info'](event, 'session closed')
    this.rooms.get(session.roomName)?.leave(session)
    this.emit('sessionClosed', event)
  }

  private ownsPath(request: IncomingMessage): boolean {
    const prefix = this.options.pathPrefix.endsWith('/') ? this.options.pathPrefix : `${this.options.pathPrefix}/`
    return pathOf(request).startsWith(prefix)
  }

  private refuseUpgrade(socket: Duplex, status: number, reason: string, kind: RefusalKind): void {
    this.metrics.upgradesRefused.inc({ status: String(status), reason: kind })
    this.log.info({ status, reason }, 'upgrade refused')
    writeRefusal(socket, status, reason)
  }
}

export function createSyncServer(options: SyncServerOptions = {}): SyncServer {
  return new SyncServer(options)
}
