import type { WebSocket } from 'ws'
import { CLOSE, TOKEN_EXPIRED_REASON } from '@coedit/wire'
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
  | 'deleted' // its document was deleted
  | 'revoked' // its access token (or every token for its document) was revoked
  | 'presence-refused' // a presence state over its bounds, or more client ids than a session may hold
  | 'update-refused' // an update that builds on content the document does not have

export const EVICTION_CAUSES: ReadonlySet<CloseCause> = new Set([
  'heartbeat',
  'backpressure',
  'protocol',
  'too-large',
  'rate-limit',
  'document-too-large',
  'presence-refused',
  'update-refused',
])

export type SessionState =
  | { readonly kind: 'open' }
  | { readonly kind: 'closing'; readonly cause: CloseCause; readonly code: number; readonly reason: string }
  | { readonly kind: 'closed'; readonly cause: CloseCause; readonly code: number; readonly reason: string }

export interface SessionOptions {
  readonly heartbeatIntervalMs: number
  readonly heartbeatTimeoutMs: number
  readonly maxBufferedBytes: number
  /** Per-session rates, 0 = none. Over them the session is slowed: its socket is not read until the budget refills. */
  readonly maxMessagesPerSecond: number
  readonly maxBytesPerSecond: number
  /** A session kept over its rates this long without a break is closed (1008); 0 = never. */
  readonly maxThrottledMs: number
}

/** setTimeout holds at most 2^31-1 ms; longer expiries are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1

export interface SessionEvents {
  onMessage(session: Session, data: Uint8Array): void
  onClosed(session: Session): void
  /** The session went over a rate and is being slowed. */
  onThrottled?(session: Session): void
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
  /** Bytes of the latest large frame that may still be unsent (see send). */
  private largeFrameCredit = 0
  /** Frames read while the session is over its rates, handled in order as the budget refills. */
  private held: Uint8Array[] = []
  private releaseTimer: NodeJS.Timeout | null = null
  /** When the current stretch of throttling began; it ends after a second without throttling. */
  private throttledSince: number | null = null
  private lastThrottledAt = -Infinity

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

  /**
   * Who holds this session, for presence: a reconnecting client may take over its own client id
   * from a session not yet evicted, but only from the same address with the same token.
   */
  get holder(): string {
    return `${this.address}|${this.access.tokenId ?? this.access.user ?? ''}`
  }

  get canEdit(): boolean {
    return this.access.right === 'edit'
  }

  get tokenName(): string | null {
    return this.access.user
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

  /**
   * Sends one frame; closes the session instead when the peer has stopped reading: when what
   * it has not read passes maxBufferedBytes. A frame larger than half the cap (a big document's
   * sync step 2, a big paste) is never refused for its own size while the rest fits, and does
   * not count against the cap while it drains: such frames are what the server itself chose to
   * send, not a sign of a slow reader.
   */
  send(message: Uint8Array): boolean {
    if (this.stateValue.kind !== 'open') return false
    const cap = this.options.maxBufferedBytes
    const buffered = this.socket.bufferedAmount
    this.largeFrameCredit = Math.min(this.largeFrameCredit, buffered)
    const large = message.byteLength > cap / 2
    if (buffered + message.byteLength > cap + (large ? message.byteLength : this.largeFrameCredit)) {
      // A close frame would queue behind the backlog the peer is not reading, so drop the
      // connection now: the memory it pins is the problem.
      this.terminate('backpressure', CLOSE.policy, `send buffer over ${this.options.maxBufferedBytes} bytes`)
      return false
    }
    if (large) this.largeFrameCredit = message.byteLength
    this.socket.send(message, { binary: true })
    return true
  }

  /** Starts the closing handshake; the room forgets the session when the socket has closed. */
  close(cause: CloseCause, code: number, reason: string): void {
    if (this.stateValue.kind !== 'open') return
    this.stateValue = { kind: 'closing', cause, code, reason }
    // A paused socket would never read the peer's answering close frame.
    if (cause === 'shutdown') this.deliverHeld()
    else this.held = []
    this.socket.resume()
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
    // During a shutdown nothing is held back: what the peer sends before its close frame is stored.
    if ((!this.messageRate && !this.byteRate) || !this.isOpen) {
      this.events.onMessage(this, frame)
      return
    }
    // Frames ws had parsed before the pause still arrive: they wait their turn.
    if (this.held.length > 0) {
      this.held.push(frame)
      return
    }
    const wait = this.waitFor(frame, performance.now())
    if (wait === 0) {
      this.spend(frame)
      this.events.onMessage(this, frame)
      return
    }
    this.held.push(frame)
    this.throttle(wait)
  }

  /** Milliseconds until both rates allow this frame. */
  private waitFor(frame: Uint8Array, now: number): number {
    return Math.max(this.messageRate?.waitFor(1, now) ?? 0, this.byteRate?.waitFor(frame.byteLength, now) ?? 0)
  }

  private spend(frame: Uint8Array, now = performance.now()): void {
    this.messageRate?.spend(1, now)
    this.byteRate?.spend(frame.byteLength, now)
  }

  /**
   * Over a rate: stop reading the socket, so TCP pushes back on the sender, and carry on when
   * the budget has refilled. Only a sender that stays over its rates for maxThrottledMs is closed.
   */
  private throttle(wait: number): void {
    const now = performance.now()
    // A second without throttling refills the buckets: whatever came before was a burst.
    if (this.throttledSince === null || now - this.lastThrottledAt > 1_000) {
      this.throttledSince = now
      this.events.onThrottled?.(this)
    }
    this.lastThrottledAt = now
    const limit = this.options.maxThrottledMs
    if (limit > 0 && now - this.throttledSince >= limit) {
      const what =
        this.messageRate && this.messageRate.waitFor(1, now) > 0 ? `${this.messageRate.perSecond} messages` : `${this.byteRate?.perSecond ?? 0} bytes`
      this.close('rate-limit', CLOSE.policy, `sent more than ${what} per second for ${limit / 1000} s`)
      return
    }
    this.socket.pause()
    this.releaseTimer ??= setTimeout(() => this.releaseHeld(), Math.max(1, Math.ceil(wait)))
  }

  /** Hands over every held frame at once (a restart must not lose them); reading resumes. */
  private deliverHeld(): void {
    const held = this.held
    this.held = []
    for (const frame of held) this.events.onMessage(this, frame)
  }

  private releaseHeld(): void {
    this.releaseTimer = null
    while (this.held.length > 0 && this.acceptsMessages) {
      const frame = this.held[0]!
      const wait = this.waitFor(frame, performance.now())
      if (wait > 0) {
        this.throttle(wait)
        return
      }
      this.held.shift()
      this.spend(frame)
      this.events.onMessage(this, frame)
    }
    this.held = []
    if (this.acceptsMessages) this.socket.resume()
  }

  private scheduleExpiry(expiresAt: number): void {
    const wait = expiresAt - Date.now()
    this.expiryTimer = setTimeout(
      () => {
        this.expiryTimer = null
        if (Date.now() < expiresAt) this.scheduleExpiry(expiresAt)
        else this.close('token-expired', CLOSE.policy, TOKEN_EXPIRED_REASON)
      },
      Math.max(0, Math.min(wait, MAX_TIMER_MS)),
    )
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
    if (this.releaseTimer) clearTimeout(this.releaseTimer)
    this.releaseTimer = null
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
