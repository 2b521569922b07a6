/**
 * A token bucket holding one second's worth: a peer may send `perSecond` at once, then
 * `perSecond` each second. Typing and cursor moves stay far below; floods do not.
 */
export class RateLimiter {
  private tokens: number
  private last: number

  constructor(
    readonly perSecond: number,
    now = performance.now(),
    /** How much may be taken at once; one second's worth unless said otherwise. */
    readonly burst = perSecond,
  ) {
    this.tokens = burst
    this.last = now
  }

  /** Takes `amount`; false when the bucket does not hold that much (nothing is taken then). */
  take(amount: number, now = performance.now()): boolean {
    this.refill(now)
    if (amount > this.tokens) return false
    this.tokens -= amount
    return true
  }

  /**
   * Milliseconds until `amount` can be taken (0: now). An amount larger than the bucket can
   * hold is allowed once the bucket is full, so one big message is slowed, never refused.
   */
  waitFor(amount: number, now = performance.now()): number {
    this.refill(now)
    const needed = Math.min(amount, this.burst) - this.tokens
    return needed <= 0 ? 0 : (needed * 1000) / this.perSecond
  }

  /** Takes `amount` whether or not the bucket holds it (it may go into debt); pair with waitFor. */
  spend(amount: number, now = performance.now()): void {
    this.refill(now)
    this.tokens -= amount
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000)
    this.last = now
  }
}
