import * as Y from 'yjs'
import { encodeUpdate } from './protocol.js'

export interface RelayedUpdate<S> {
  readonly update: Uint8Array
  readonly origin: S
}

export interface RelayTarget<S> {
  /** Everyone in the room, in join order. */
  readonly sessions: ReadonlySet<S>
  /** Sends one frame; false when the session is gone or was just dropped. */
  send(session: S, frame: Uint8Array): boolean
  sent(frames: number, bytesEach: number): void
}

/**
 * How long the next batch waits: under load (the last batch held several items) the rest of
 * the window since it went; otherwise nothing, so a lone edit is never delayed.
 */
export function batchWait(lastBatchSize: number, lastSentAt: number, windowMs: number): number {
  return lastBatchSize > 1 ? lastSentAt + windowMs - performance.now() : 0
}

/**
 * Relays stored updates to a room. Each session gets the updates of a batch minus its own,
 * and each distinct frame is encoded once. Under load (the previous batch already held
 * several updates and went out less than `windowMs` ago) the next relay waits for the rest
 * of the window, so many updates share one frame; a lone edit goes out at once.
 */
export class UpdateRelay<S> {
  private queue: Array<RelayedUpdate<S>> = []
  private timer: NodeJS.Timeout | null = null
  private lastRelayAt = -Infinity
  private lastBatchSize = 0

  constructor(
    private readonly target: RelayTarget<S>,
    private readonly windowMs: number,
    private readonly onError: ((error: unknown) => void) | null = null,
  ) {}

  push(batch: ReadonlyArray<RelayedUpdate<S>>): void {
    for (const item of batch) this.queue.push(item)
    if (this.timer) return
    const wait = batchWait(this.lastBatchSize, this.lastRelayAt, this.windowMs)
    if (wait <= 0) this.flush()
    else this.timer = setTimeout(() => this.flushOnTimer(), wait)
  }

  /** Nothing may throw out of a timer (it would end the process): a failed batch is dropped. */
  private flushOnTimer(): void {
    try {
      this.flush()
    } catch (error) {
      this.queue = []
      this.onError?.(error)
    }
  }

  /** Sends whatever is queued now (shutdown, or the window has passed). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    const batch = this.queue
    this.lastBatchSize = batch.length
    if (batch.length === 0) return
    this.queue = []
    this.lastRelayAt = performance.now()
    relay(batch, this.target)
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.queue = []
  }
}

export function relay<S>(batch: ReadonlyArray<RelayedUpdate<S>>, target: RelayTarget<S>): void {
  const first = batch[0]
  if (!first) return
  if (batch.every((p) => p.origin === first.origin)) {
    const frame = encodeUpdate(batch.length === 1 ? first.update : Y.mergeUpdates(batch.map((p) => p.update)))
    broadcast(frame, first.origin, target)
    return
  }
  const origins = new Set(batch.map((p) => p.origin))
  const everything = encodeUpdate(Y.mergeUpdates(batch.map((p) => p.update)))
  let sent = 0
  for (const session of target.sessions) {
    if (!origins.has(session) && target.send(session, everything)) sent++
  }
  target.sent(sent, everything.byteLength)
  for (const origin of origins) {
    if (!target.sessions.has(origin)) continue
    const others = batch.filter((p) => p.origin !== origin).map((p) => p.update)
    const frame = encodeUpdate(others.length === 1 ? others[0]! : Y.mergeUpdates(others))
    if (target.send(origin, frame)) target.sent(1, frame.byteLength)
  }
}

export function broadcast<S>(frame: Uint8Array, except: S | null, target: RelayTarget<S>): void {
  let sent = 0
  for (const session of target.sessions) {
    if (session !== except && target.send(session, frame)) sent++
  }
  target.sent(sent, frame.byteLength)
}
