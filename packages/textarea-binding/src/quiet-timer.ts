/**
 * Runs `work` once a deadline that keeps moving has passed, with one timer per quiet spell:
 * moving the deadline on every key typed would otherwise be a clearTimeout and a setTimeout
 * per key (each a timer object and a trip through the page's scheduler, on the key's path).
 * Fired before the deadline, the timer waits out the rest.
 */
export class QuietTimer {
  private timer: ReturnType<typeof setTimeout> | null = null
  private due = 0

  constructor(
    private readonly work: () => void,
    /** The clock deadlines are given in. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Runs the work at `due` (on `now`'s clock) instead of when it was due before. */
  runAt(due: number): void {
    this.due = due
    if (this.timer === null) this.arm()
  }

  get pending(): boolean {
    return this.timer !== null
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
  }

  private arm(): void {
    this.timer = setTimeout(
      () => {
        this.timer = null
        if (this.due - this.now() > 1) this.arm()
        else this.work()
      },
      Math.max(0, this.due - this.now()),
    )
  }
}
