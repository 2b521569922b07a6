import type { Logger } from 'pino'
import type { DocumentStorage } from './storage/document-storage.js'
import type { ServerMetrics } from './metrics.js'
import type { AppendMeta } from './storage/history-store.js'
import type { CommitParticipant, CommitQueue, PendingAppend } from './commit-queue.js'
import { errorMessage } from './error-message.js'

export interface LoggedUpdate<S> {
  readonly update: Uint8Array
  readonly origin: S
}

export interface RoomLogOptions<S> {
  readonly name: string
  readonly storage: DocumentStorage
  readonly metrics: ServerMetrics
  readonly log: Logger
  readonly compactAfterUpdates: number
  readonly compactAfterBytes: number
  /** The server's group commit, which stores this room's updates with other rooms'. */
  readonly commits: CommitQueue
  /** Who wrote an update, stored with it for history; null when unknown or not kept. */
  readonly authorOf: (origin: S) => string | null
  /** Updates are on disk: now they may be relayed. */
  readonly stored: (batch: ReadonlyArray<LoggedUpdate<S>>, meta: AppendMeta) => void
  /** An append failed: nothing of the batch was relayed. */
  readonly failed: (error: unknown) => void
  /** The whole document as one update, or null when it cannot be had now (not loaded). */
  readonly snapshot: () => Uint8Array | null
}

/**
 * A room's write path: updates are appended to storage before anyone else sees them, in the
 * server's next group commit (one transaction with other rooms' updates where the store can),
 * and the log is compacted into a snapshot off the message path once it passes a size or
 * count threshold.
 */
export class RoomLog<S> implements CommitParticipant {
  private pending: Array<LoggedUpdate<S>> = []
  /** What `take` handed to the group commit, until it says how that went. */
  private taken: Array<LoggedUpdate<S>> | null = null
  private flushScheduled = false
  private compactScheduled = false
  private chain: Promise<void> = Promise.resolve()
  private closed = false
  private count = 0
  private bytes = 0

  constructor(private readonly options: RoomLogOptions<S>) {}

  /** Counts what storage already held when the room loaded. */
  loaded(count: number, bytes: number): void {
    this.count = count
    this.bytes = bytes
  }

  /** Updates appended since the last snapshot. */
  get unsnapshotted(): number {
    return this.count
  }

  add(update: Uint8Array, origin: S): void {
    if (this.closed) return
    this.pending.push({ update, origin })
    if (this.flushScheduled) return
    this.flushScheduled = true
    this.options.commits.schedule(this)
  }

  take(): PendingAppend | null {
    this.flushScheduled = false
    if (this.pending.length === 0 || this.closed) return null
    const batch = this.pending
    this.pending = []
    this.taken = batch
    const meta: AppendMeta = { at: Date.now(), authors: batch.map((p) => this.options.authorOf(p.origin)) }
    return { name: this.options.name, updates: batch.map((p) => p.update), meta }
  }

  committed(append: PendingAppend): void {
    const batch = this.taken
    this.taken = null
    if (batch) this.afterAppend(batch, append.meta, null)
  }

  failed(error: unknown): void {
    this.taken = null
    this.fail(error)
  }

  /** Appends what is pending now, on its own (before answering a sync step 1, on shutdown). */
  flush(): void {
    const append = this.take()
    const batch = this.taken
    this.taken = null
    if (!append || !batch) return
    const { meta } = append
    const started = performance.now()
    let appended: ReturnType<DocumentStorage['append']>
    try {
      appended = this.options.storage.append(this.options.name, append.updates, meta)
    } catch (error) {
      this.fail(error)
      return
    }
    if (appended instanceof Promise) {
      const result = appended
      this.chain = this.chain
        .then(() => result)
        .then(
          () => this.afterAppend(batch, meta, started),
          (error: unknown) => this.fail(error),
        )
    } else {
      this.afterAppend(batch, meta, started)
    }
  }

  /** Replaces the log with a snapshot now. */
  compact(): void {
    this.flush()
    const state = this.options.snapshot()
    if (!state) return
    const started = performance.now()
    try {
      const result = this.options.storage.compact(this.options.name, state)
      if (result instanceof Promise) this.chain = this.chain.then(() => result).catch((error: unknown) => this.compactFailed(error))
    } catch (error) {
      this.compactFailed(error)
      return
    }
    this.count = 0
    this.bytes = 0
    this.options.metrics.compactions.inc()
    this.options.log.debug({ room: this.options.name, ms: Math.round(performance.now() - started) }, 'compacted update log')
  }

  maybeCompact(): void {
    if (this.compactScheduled || this.closed) return
    if (this.count < this.options.compactAfterUpdates && this.bytes < this.options.compactAfterBytes) return
    this.compactScheduled = true
    // Off the message path: a snapshot of a big document takes milliseconds.
    setImmediate(() => {
      this.compactScheduled = false
      if (!this.closed) this.compact()
    })
  }

  /** Resolves when every append and compaction started so far has finished. */
  settled(): Promise<void> {
    return this.chain
  }

  /** Stops accepting updates and forgets what was not stored yet. */
  close(): void {
    this.closed = true
    this.pending = []
  }

  /** `started`: when this room's own append began (a shared commit is timed by the queue). */
  private afterAppend(batch: ReadonlyArray<LoggedUpdate<S>>, meta: AppendMeta, started: number | null): void {
    if (started !== null) this.options.metrics.storageAppendSeconds.observe((performance.now() - started) / 1000)
    for (const { update } of batch) {
      this.count++
      this.bytes += update.byteLength
    }
    this.options.stored(batch, meta)
    this.maybeCompact()
  }

  private fail(error: unknown): void {
    this.options.metrics.storageErrors.inc({ operation: 'append' })
    this.pending = []
    this.options.failed(error)
  }

  private compactFailed(error: unknown): void {
    // The log is still complete, so nothing is lost; compaction is retried on later appends.
    this.options.metrics.storageErrors.inc({ operation: 'compact' })
    this.options.log.error({ room: this.options.name, err: errorMessage(error) }, 'compaction failed')
  }
}
