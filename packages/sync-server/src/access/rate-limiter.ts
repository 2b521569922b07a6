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
  ) {
    this.tokens = perSecond
    this.last = now
  }

  /** Takes `amount`; false when the bucket does not hold that much (nothing is taken then). */
  take(amount: number, now = performance.now()): boolean {
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) * this.perSecond) / 1000)
    this.last = now
    if (amount > this.tokens) return false
    this.tokens -= amount
    return true
  }
}
