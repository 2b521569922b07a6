import type { Logger } from 'pino'
import type { ServerMetrics } from '../metrics.js'
import { encodeEntries } from './relay-entry.js'
import { RelayOutbox, type OutgoingEntry } from './relay-outbox.js'
import { RedisConnection } from './redis-connection.js'
import { batchWait } from '../update-relay.js'

export interface RelayPublisherOptions {
  readonly url: string
  /** This server's stream. */
  readonly stream: string
  readonly log: Logger
  /** Entries older than this are trimmed as new ones are added. */
  readonly retainMs: number
  /** Under load, messages within this window share one entry. */
  readonly windowMs: number
  readonly maxQueuedMessages: number
  readonly maxQueuedBytes: number
  /** Redis's clock now, or null while it is not known. */
  readonly redisNow: () => number | null
}

/** A write is judged by the stream's newest entry only once it is this old. */
const CONFIRM_AFTER_MS = 500
/** Our estimate of Redis's clock may be off by this much. */
const CLOCK_SLACK_MS = 50

/**
 * Adds this server's messages to its stream. Messages of one tick (under load, of one window)
 * share an entry, written with replies off (RedisConnection); while Redis is away they wait in the
 * bounded outbox. Nothing answers a write, so `confirm` compares the stream's newest entry
 * (read on another connection) with what was written: rooms whose messages did not arrive, or
 * were dropped, are named so the other servers can reload them from storage.
 */
export class RelayPublisher {
  private readonly writer: RedisConnection
  private readonly outbox: RelayOutbox
  private batch: OutgoingEntry[] = []
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null
  private lastSentAt = -Infinity
  private lastBatchSize = 0
  /** Rooms written and not yet seen arrived, with Redis's time when last written. */
  private readonly unconfirmed = new Map<string, number>()
  private metrics: ServerMetrics | null = null

  constructor(private readonly options: RelayPublisherOptions) {
    this.outbox = new RelayOutbox({ maxMessages: options.maxQueuedMessages, maxBytes: options.maxQueuedBytes })
    this.writer = new RedisConnection(
      options.url,
      options.log,
      { ready: () => this.drainOutbox(), lost: () => this.lost() },
      { name: 'writer', repliesOff: true, maxBufferedBytes: options.maxQueuedBytes },
    )
  }

  bindMetrics(metrics: ServerMetrics): void {
    this.metrics = metrics
  }

  get ready(): boolean {
    return this.writer.ready
  }

  publish(entry: OutgoingEntry): void {
    if (this.writer.ready) this.enqueue(entry)
    else this.hold(entry)
  }

  /**
   * Rooms written at least CONFIRM_AFTER_MS ago whose messages are not in the stream, given
   * the stream's newest entry time (null: the stream is empty or gone) and Redis's time now.
   */
  confirm(newestEntryMs: number | null, redisNow: number): string[] {
    const lost: string[] = []
    for (const [room, writtenAt] of this.unconfirmed) {
      if (writtenAt > redisNow - CONFIRM_AFTER_MS) continue
      this.unconfirmed.delete(room)
      if (newestEntryMs === null || newestEntryMs < writtenAt - CLOCK_SLACK_MS) lost.push(room)
    }
    return lost
  }

  /** Writes what is batched now and closes the connection. */
  close(): void {
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout)
      clearImmediate(this.timer as NodeJS.Immediate)
    }
    this.sendBatch()
    this.writer.close()
  }

  /** Into the next entry: in the next tick, or under load at the end of the window. */
  private enqueue(entry: OutgoingEntry): void {
    this.batch.push(entry)
    if (this.timer) return
    const wait = batchWait(this.lastBatchSize, this.lastSentAt, this.options.windowMs)
    this.timer = wait <= 0 ? setImmediate(() => this.sendBatch()) : setTimeout(() => this.sendBatch(), wait)
  }

  private sendBatch(): void {
    this.timer = null
    const batch = this.batch
    this.lastBatchSize = batch.length
    if (batch.length === 0) return
    this.batch = []
    this.lastSentAt = performance.now()
    const now = this.options.redisNow()
    // Until Redis's clock is known nothing is trimmed: '0-0' keeps every entry.
    const oldest = now === null ? '0-0' : `${Math.max(0, Math.floor(now - this.options.retainMs))}-0`
    if (!this.writer.send(['XADD', this.options.stream, 'MINID', '~', oldest, '*', 'b', encodeEntries(batch)])) {
      for (const entry of batch) this.hold(entry)
      return
    }
    for (const { room, type } of batch) {
      this.unconfirmed.set(room, now ?? 0)
      this.metrics?.relayPublished.inc({ type })
    }
  }

  private hold(entry: OutgoingEntry): void {
    if (!this.outbox.hold(entry)) this.metrics?.relayDropped.inc({ type: entry.type })
    this.metrics?.relayQueued.set(this.outbox.size)
  }

  /** The connection ended: what it carried since the last confirmation may be lost. */
  private lost(): void {
    for (const room of this.unconfirmed.keys()) this.outbox.markLossy(room)
    this.unconfirmed.clear()
  }

  private drainOutbox(): void {
    const { entries, lossy } = this.outbox.drain()
    this.metrics?.relayQueued.set(0)
    for (const entry of entries) this.enqueue(entry)
    for (const room of lossy) this.enqueue({ room, type: 's', data: new Uint8Array(0) })
    if (lossy.length > 0) this.options.log.warn({ rooms: lossy.length }, 'relay messages were lost while redis was away; the other servers reload those rooms')
  }
}
