import { afterEach, describe, expect, it, vi } from 'vitest'
import { QuietTimer } from '../src/quiet-timer.js'

describe('QuietTimer', () => {
  afterEach(() => vi.useRealTimers())

  it('runs once the moving deadline has passed, setting one timer per quiet spell, and not after cancel', () => {
    vi.useFakeTimers({ toFake: ['performance', 'setTimeout', 'clearTimeout'] })
    const setTimer = vi.spyOn(globalThis, 'setTimeout')
    let runs = 0
    const timer = new QuietTimer(() => runs++)
    // A key every 100 ms for a second, each moving the deadline 500 ms on.
    for (let key = 0; key < 10; key++) {
      timer.runAt(performance.now() + 500)
      vi.advanceTimersByTime(100)
    }
    expect(runs).toBe(0)
    expect(timer.pending).toBe(true)
    // Due 500 ms after the last key, 400 ms from here (a timer firing within 1 ms of it counts as on time).
    vi.advanceTimersByTime(398)
    expect(runs).toBe(0)
    vi.advanceTimersByTime(2)
    expect(runs).toBe(1)
    expect(timer.pending).toBe(false)
    // Set again only when it fired before the deadline: 3 timers for 10 keys.
    expect(setTimer.mock.calls.length).toBeLessThanOrEqual(4)
    timer.runAt(performance.now() + 500)
    timer.cancel()
    vi.advanceTimersByTime(1_000)
    expect(runs).toBe(1)
  })
})
