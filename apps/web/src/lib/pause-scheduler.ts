import { QuietTimer } from '@coedit/textarea-binding'
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
  /** Each change moves the deadline; one timer per pause, not one per key typed. */
  private readonly timer = new QuietTimer(
    () => this.runWhenIdle(),
    () => Date.now(),
  )
  private idle: number | null = null
  private firstChange = 0

  constructor(private readonly work: () => void) {}

  poke(): void {
    const now = Date.now()
    if (!this.timer.pending && this.idle === null) this.firstChange = now
    this.timer.runAt(Math.min(now + PAUSE_MS, this.firstChange + MAX_WAIT_MS))
  }

  cancel(): void {
    this.timer.cancel()
    const w = window as IdleWindow
    if (this.idle !== null) w.cancelIdleCallback?.(this.idle)
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
