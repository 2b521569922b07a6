/** Quiet time after the last change before the work runs, in ms. */
const PAUSE_MS = 400
/** Longest a change waits while changes keep coming, in ms. */
const MAX_WAIT_MS = 3_000

type IdleWindow = Window & { requestIdleCallback?: (callback: () => void, options?: { timeout: number }) => number; cancelIdleCallback?: (id: number) => void }

/**
 * Runs `work` once changes pause (or every few seconds while they do not), in the browser's
 * idle time, so whole-text work never lands between a key press and its frame.
 */
export class PauseScheduler {
  private timer: ReturnType<typeof setTimeout> | null = null
  private idle: number | null = null
  private firstChange = 0
  /** When the work is due (Date.now()): each change moves it, without touching the timer. */
  private due = 0

  constructor(private readonly work: () => void) {}

  poke(): void {
    const now = Date.now()
    if (this.timer === null && this.idle === null) this.firstChange = now
    this.due = Math.min(now + PAUSE_MS, this.firstChange + MAX_WAIT_MS)
    // One timer per pause, not one per key typed: fired early, it waits out the rest.
    if (this.timer === null) this.arm()
  }

  private arm(): void {
    this.timer = setTimeout(
      () => {
        this.timer = null
        if (this.due - Date.now() > 1) this.arm()
        else this.runWhenIdle()
      },
      Math.max(0, this.due - Date.now()),
    )
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    const w = window as IdleWindow
    if (this.idle !== null) w.cancelIdleCallback?.(this.idle)
    this.timer = null
    this.idle = null
  }

  private runWhenIdle(): void {
    const w = window as IdleWindow
    if (!w.requestIdleCallback) return this.work()
    if (this.idle !== null) return
    this.idle = w.requestIdleCallback(
      () => {
        this.idle = null
        this.work()
      },
      { timeout: 1_000 },
    )
  }
}
