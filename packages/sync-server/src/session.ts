import type { WebSocket } from 'ws'
import type { Logger } from 'pino'

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

export const EVICTION_CAUSES: ReadonlySet<CloseCause> = new Set(['heartbeat', 'backpressure', 'protocol', 'too-large'])

export type SessionState =
  | { readonly kind: 'open' }
  | { readonly kind: 'closing'; readonly cause: CloseCause; readonly code: number; readonly reason: string }
  | { readonly kind: 'closed'; readonly cause: CloseCause; readonly code: number; readonly reason: string }

export interface SessionOptions {
  readonly heartbeatIntervalMs: number
  readonly heartbeatTimeoutMs: number
  readonly maxBufferedBytes: number
}

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
  private stateValue: SessionState = { kind: 'open' }
  private pingTimer: NodeJS.Timeout | null = null
  private pongTimer: NodeJS.Timeout | null = null

  constructor(
    readonly id: number,
    readonly roomName: string,
    private readonly socket: WebSocket,
    private readonly options: SessionOptions,
    private readonly events: SessionEvents,
    private readonly log: Logger,
  ) {
    socket.on('message', (data, isBinary) => this.receive(data, isBinary))
    socket.on('pong', () => this.onPong())
    socket.on('error', (error) => this.onSocketError(error))
    socket.on('close', (code, reason) => this.onSocketClosed(code, reason.toString()))
    this.schedulePing()
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
    this.stopHeartbeat()
    this.socket.close(code, reason)
  }

  /** Drops the connection without a close handshake (dead or stuck peers). */
  terminate(cause: CloseCause, code: number, reason: string): void {
    if (this.stateValue.kind === 'closed') return
    if (this.stateValue.kind === 'open') this.stateValue = { kind: 'closing', cause, code, reason }
    this.stopHeartbeat()
    this.socket.terminate()
  }

  private receive(data: unknown, isBinary: boolean): void {
    if (!this.acceptsMessages) return
    if (!isBinary) {
      this.close('protocol', 1003, 'text frames are not part of the protocol')
      return
    }
    this.events.onMessage(this, data as Uint8Array)
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

  private stopHeartbeat(): void {
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
    this.stopHeartbeat()
    const previous = this.stateValue
    if (previous.kind === 'closed') return
    this.stateValue =
      previous.kind === 'closing'
        ? { kind: 'closed', cause: previous.cause, code: previous.code, reason: previous.reason }
        : { kind: 'closed', cause: 'client', code, reason }
    this.events.onClosed(this)
  }
}
