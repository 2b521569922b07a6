import { RateLimiter } from '@coedit/sync-server'

interface Buckets {
  readonly messages: RateLimiter
  readonly bytes: RateLimiter
  lastUsed: number
}

/** Addresses unheard of for this long are forgotten. */
const IDLE_MS = 60_000

/**
 * API writes spend the same per-address rates as WebSocket messages (--max-messages-per-second,
 * --max-bytes-per-second; 0 is off). Like a socket, a writer over them is slowed, not refused;
 * only a wait longer than --max-throttled-ms is refused, with the time to retry after.
 */
export class WriteThrottle {
  private readonly buckets = new Map<string, Buckets>()
  private lastSweep = 0

  constructor(private readonly limits: { readonly maxMessagesPerSecond: number; readonly maxBytesPerSecond: number; readonly maxThrottledMs: number }) {}

  /** Milliseconds to wait before this write may go ahead, or null when that is too long (the write is not counted then). */
  admit(address: string, bytes: number, now = performance.now()): number | null {
    this.sweep(now)
    const { maxMessagesPerSecond, maxBytesPerSecond, maxThrottledMs } = this.limits
    let entry = this.buckets.get(address)
    if (!entry) {
      entry = { messages: new RateLimiter(Math.max(1, maxMessagesPerSecond), now), bytes: new RateLimiter(Math.max(1, maxBytesPerSecond), now), lastUsed: now }
      this.buckets.set(address, entry)
    }
    entry.lastUsed = now
    const wait = Math.max(maxMessagesPerSecond > 0 ? entry.messages.waitFor(1, now) : 0, maxBytesPerSecond > 0 ? entry.bytes.waitFor(bytes, now) : 0)
    if (maxThrottledMs > 0 && wait > maxThrottledMs) return null
    entry.messages.spend(1, now)
    entry.bytes.spend(bytes, now)
    return wait
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < IDLE_MS) return
    this.lastSweep = now
    for (const [address, entry] of this.buckets) if (now - entry.lastUsed > IDLE_MS) this.buckets.delete(address)
  }
}
