import type { BatchEntry, DocumentStorage } from './storage/document-storage.js'
import type { AppendMeta } from './storage/history-store.js'

/** What a room's write path hands over for a shared commit. */
export interface PendingAppend extends BatchEntry {
  readonly meta: AppendMeta
}

/** A room's write path, as the queue sees it. */
export interface CommitParticipant {
  /** Takes what is pending, or null when a direct flush already stored it. */
  take(): PendingAppend | null
  /** Stores what is pending on its own (a store without shared commits). */
  flush(): void
  /** The shared commit holding `taken` succeeded: relay it. */
  committed(taken: PendingAppend): void
  /** It failed: nothing of it was relayed. */
  failed(error: unknown): void
}

/** A store whose appends of several documents can share one synchronous commit. */
type BatchingStorage = DocumentStorage & Required<Pick<DocumentStorage, 'appendBatch'>>

function batches(storage: DocumentStorage): storage is BatchingStorage {
  return typeof storage.appendBatch === 'function'
}

/**
 * Group commit across rooms. Rooms with updates to store join the next commit; with a store
 * that can, every room's updates go in one transaction, then each room relays its own. A
 * commit runs after the current batch of socket reads (setImmediate); when the previous one
 * went less than `windowMs` ago and held other rooms, it waits for the rest of that window,
 * so with many rooms busy commits are at most one per window and hold many rooms' edits.
 * A lone edit, and one room's edits back to back (a script, a fast round trip), never wait.
 */
export class CommitQueue {
  private readonly waiting = new Set<CommitParticipant>()
  private scheduled = false
  private lastCommitAt = -Infinity
  /** The only room of the last commit, or null when it held several. */
  private lastAlone: CommitParticipant | null = null
  private readonly windowMs: number

  constructor(
    private readonly storage: DocumentStorage,
    windowMs: number,
    /** Told how long each shared commit took, in seconds. */
    private readonly observe: (seconds: number) => void,
  ) {
    // Waiting only pays where rooms share a commit.
    this.windowMs = batches(storage) ? windowMs : 0
  }

  schedule(participant: CommitParticipant): void {
    this.waiting.add(participant)
    if (this.scheduled) return
    this.scheduled = true
    const wait = participant === this.lastAlone ? 0 : this.lastCommitAt + this.windowMs - performance.now()
    if (wait > 0) setTimeout(() => this.run(), wait)
    else setImmediate(() => this.run())
  }

  private run(): void {
    this.scheduled = false
    this.lastCommitAt = performance.now()
    const participants = [...this.waiting]
    this.waiting.clear()
    this.lastAlone = participants.length === 1 ? participants[0]! : null
    if (!batches(this.storage)) {
      for (const participant of participants) participant.flush()
      return
    }
    const taken: Array<{ participant: CommitParticipant; append: PendingAppend }> = []
    for (const participant of participants) {
      const append = participant.take()
      if (append) taken.push({ participant, append })
    }
    if (taken.length === 0) return
    try {
      this.storage.appendBatch(taken.map((t) => t.append))
    } catch (error) {
      for (const { participant } of taken) participant.failed(error)
      return
    }
    this.observe((performance.now() - this.lastCommitAt) / 1000)
    // One room failing to relay must not keep the others' stored edits from being relayed.
    let thrown: unknown = null
    for (const { participant, append } of taken) {
      try {
        participant.committed(append)
      } catch (error) {
        thrown ??= error
      }
    }
    if (thrown !== null) throw thrown
  }
}
