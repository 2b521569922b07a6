/** One message for the other servers. */
export interface OutgoingEntry {
  readonly room: string
  readonly type: string
  readonly data: Uint8Array
}

export interface OutboxLimits {
  /** Messages held at most. */
  readonly maxMessages: number
  /** Bytes of message data held at most. */
  readonly maxBytes: number
}

/**
 * Messages waiting for Redis while it is away, bounded in count and bytes. What does not fit
 * is dropped, and the room is remembered: once Redis is back the other servers are asked to
 * reload that room from storage, which holds every update (it is stored before it is published).
 */
export class RelayOutbox {
  private entries: OutgoingEntry[] = []
  private bytes = 0
  /** Rooms that lost a message here since Redis went away. */
  private readonly lossy = new Set<string>()

  constructor(private readonly limits: OutboxLimits) {}

  get size(): number {
    return this.entries.length
  }

  /**
   * Holds the entry, or returns false (and remembers its room) when the outbox is full;
   * `elsewhere` messages are held outside it (sent, unanswered) and count against the limit.
   */
  hold(entry: OutgoingEntry, elsewhere = 0): boolean {
    if (this.entries.length + elsewhere >= this.limits.maxMessages || this.bytes + entry.data.byteLength > this.limits.maxBytes) {
      this.lossy.add(entry.room)
      return false
    }
    this.entries.push(entry)
    this.bytes += entry.data.byteLength
    return true
  }

  /** The room's messages may have been lost on the way: the others are asked to reload it. */
  markLossy(room: string): void {
    this.lossy.add(room)
  }

  /** Everything held, in order, and the rooms that lost messages; the outbox is empty after. */
  drain(): { entries: OutgoingEntry[]; lossy: string[] } {
    const drained = { entries: this.entries, lossy: [...this.lossy] }
    this.entries = []
    this.bytes = 0
    this.lossy.clear()
    return drained
  }
}
