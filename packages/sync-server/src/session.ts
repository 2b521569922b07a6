import type { WebSocket } from 'ws'
import type { Logger } from 'pino'
import type { SessionAccess } from './access/access-policy.js'
import { RateLimiter } from './access/rate-limiter.js'

/** Why a session ended; `evictions` in /metrics counts the ones the server chose. */
export type CloseCause =
  | 'client' // the peer closed or the connection dropped
  | 'heartbeat' // missed its pong deadline
  | 'backpressure' // send buffer passed its cap
  | 'protocol' // malformed frame
  | 'too-large' // frame over maxMessageBytes
  | 'shutdown' // server stopping
  | 'load-failed' // its room could not load its document
  | 'storage-failed' // its room could not store an update
  | 'room-reset' // its room dropped in-memory state it could not trust
  | 'rate-limit' // sent more messages or bytes per second than allowed
  | 'document-too-large' // an update would have grown the document past its cap
  | 'token-expired' // its access token ran out

export const EVICTION_CAUSES: ReadonlySet<CloseCause> = new Set(['heartbeat', 'backpressure', 'protocol', 'too-large', 'rate-limit', 'document-too-large'])

export type SessionState =
  | { readonly kind: 'open' }
  | { readonly kind: 'closing'; readonly cause: CloseCause; readonly code: number; readonly reason: string }
  | { readonly kind: 'closed'; readonly cause: CloseCause; readonly code: number; readonly reason: string }

export interface SessionOptions {
  readonly heartbeatIntervalMs: number
  readonly heartbeatTimeoutMs: number
  readonly maxBufferedBytes: number
  /** Per-session caps, 0 = none. */
  readonly maxMessagesPerSecond: number
  readonly maxBytesPerSecond: number
}

/** setTimeout holds at most 2^31-1 ms; longer expiries are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1

export interface SessionEvents {
  onMessage(session: Session, data: Uint8Array): void
  onClosed(session: Session): void
}

/**
 * One socket in one room: the read loop, sends with a cap on unsent bytes, the heartbeat,
 * and the awareness client IDs this peer has published (removed from the room when it ends).
 */
export class Session {
  readonly awarenessClients = new Set<number>()
  readonly openedAt = Date.now()
  /** A view-only peer is told once that its edits are dropped. */
  toldViewOnly = false
  private stateValue: SessionState = { kind: 'open' }
  private pingTimer: NodeJS.Timeout | null = null
  private pongTimer: NodeJS.Timeout | null = null
  private expiryTimer: NodeJS.Timeout | null = null
  private readonly messageRate: RateLimiter | null
  private readonly byteRate: RateLimiter | null

  constructor(
    readonly id: number,
    readonly roomName: string,
    readonly access: SessionAccess,
    /** Client address, for the per-address connection cap. */
    readonly address: string,
    private readonly socket: WebSocket,
    private readonly options: SessionOptions,
    private readonly events: SessionEvents,
    private readonly log: Logger,
  ) {
    this.messageRate = options.maxMessagesPerSecond > 0 ? new RateLimiter(options.maxMessagesPerSecond) : null
    this.byteRate = options.maxBytesPerSecond > 0 ? new RateLimiter(options.maxBytesPerSecond) : null
    socket.on('message', (data, isBinary) => this.receive(data, isBinary))
    socket.on('pong', () => this.onPong())
    socket.on('error', (error) => this.onSocketError(error))
    socket.on('close', (code, reason) => this.onSocketClosed(code, reason.toString()))
    this.schedulePing()
    if (access.expiresAt !== null) this.scheduleExpiry(access.expiresAt)
  }

  get canEdit(): boolean {
    return this.access.right === 'edit'
  }

  get state(): SessionState {
    return this.stateValue
  }

  /** Bytes queued for this peer and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.socket.bufferedAmount
  }

  get isOpen(): boolean {
    return this.stateValue.kind === 'open'
  }

  /**
   * Still open, or closing for a shutdown: a peer may send edits until its close frame
   * arrives, and a restart must not drop them.
   */
  get acceptsMessages(): boolean {
    const state = this.stateValue
    return state.kind === 'open' || (state.kind === 'closing' && state.cause === 'shutdown')
  }

  /** Sends one frame; closes the session instead when the peer has stopped reading. */
  send(message: Uint8Array): boolean {
    if (this.stateValue.kind !== 'open') return false
    if (this.socket.bufferedAmount + message.byteLength > this.options.maxBufferedBytes) {
      // A close frame would queue behind the backlog the peer is not reading, so drop the
      // connection now: the memory it pins is the problem.
      this.terminate('backpressure', 1008, `send buffer over ${this.options.maxBufferedBytes} bytes`)
      return false
    }
    this.socket.send(message, { binary: true })
    return true
  }

  /** Starts the closing handshake; the room forgets the session when the socket has closed. */
  close(cause: CloseCause, code: number, reason: string): void {
    if (this.stateValue.kind !== 'open') return
    this.stateValue = { kind: 'closing', cause, code, reason }
    this.stopTimers()
    this.socket.close(code, reason)
  }

  /** Drops the connection without a close handshake (dead or stuck peers). */
  terminate(cause: CloseCause, code: number, reason: string): void {
    if (this.stateValue.kind === 'closed') return
    if (this.stateValue.kind === 'open') this.stateValue = { kind: 'closing', cause, code, reason }
    this.stopTimers()
    this.socket.terminate()
  }

  private receive(data: unknown, isBinary: boolean): void {
    if (!this.acceptsMessages) return
    if (!isBinary) {
      this.close('protocol', 1003, 'text frames are not part of the protocol')
      return
    }
    const frame = data as Uint8Array
    const now = this.messageRate || this.byteRate ? performance.now() : 0
    if (this.messageRate && !this.messageRate.take(1, now)) {
      this.close('rate-limit', 1008, `more than ${this.messageRate.perSecond} messages per second`)
      return
    }
    if (this.byteRate && !this.byteRate.take(frame.byteLength, now)) {
      this.close('rate-limit', 1008, `more than ${this.byteRate.perSecond} bytes per second`)
      return
    }
    this.events.onMessage(this, frame)
  }

  private scheduleExpiry(expiresAt: number): void {
    const wait = expiresAt - Date.now()
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = null
      if (Date.now() < expiresAt) this.scheduleExpiry(expiresAt)
      else this.close('token-expired', 1008, 'access token expired')
    }, Math.max(0, Math.min(wait, MAX_TIMER_MS)))
    this.expiryTimer.unref()
  }

  private schedulePing(): void {
    this.pingTimer = setTimeout(() => this.ping(), this.options.heartbeatIntervalMs)
    this.pingTimer.unref()
  }

  private ping(): void {
    this.pingTimer = null
    if (this.stateValue.kind !== 'open') return
    this.pongTimer = setTimeout(() => {
      this.terminate('heartbeat', 1006, `no pong within ${this.options.heartbeatTimeoutMs} ms`)
    }, this.options.heartbeatTimeoutMs)
    this.pongTimer.unref()
    this.socket.ping()
  }

  private onPong(): void {
    if (this.pongTimer === null || this.stateValue.kind !== 'open') return
    clearTimeout(this.pongTimer)
    this.pongTimer = null
    this.schedulePing()
  }

  private stopTimers(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer)
    this.expiryTimer = null
    if (this.pingTimer) clearTimeout(this.pingTimer)
    if (this.pongTimer) clearTimeout(this.pongTimer)
    this.pingTimer = null
    this.pongTimer = null
  }

  private onSocketError(error: Error & { code?: string }): void {
    // ws has already sent the matching close code (1009 for an oversize frame, 1002/1007 for
    // framing errors); record why, the 'close' event follows.
    if (this.stateValue.kind !== 'open') return
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.stateValue = { kind: 'closing', cause: 'too-large', code: 1009, reason: error.message }
    } else {
      this.stateValue = { kind: 'closing', cause: 'protocol', code: 1002, reason: error.message }
    }
    this.log.warn({ session: this.id, room: this.roomName, err: error.message }, 'websocket error')
  }

  private onSocketClosed(code: number, reason: string): void {
    this.stopTimers()
    const previous = this.stateValue
    if (previous.kind === 'closed') return
    this.stateValue =
      previous.kind === 'closing'
        ? { kind: 'closed', cause: previous.cause, code: previous.code, reason: previous.reason }
        : { kind: 'closed', cause: 'client', code, reason }
    this.events.onClosed(this)
  }
}
