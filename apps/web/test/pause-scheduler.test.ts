// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { PauseScheduler } from '../src/lib/pause-scheduler'

/** A change every 100 ms, `count` times. */
function changes(scheduler: PauseScheduler, count: number): void {
  for (let i = 0; i < count; i++) {
    scheduler.poke()
    vi.advanceTimersByTime(100)
  }
}

describe('PauseScheduler', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout', 'requestIdleCallback', 'cancelIdleCallback'] }))
  afterEach(() => vi.useRealTimers())

  it('runs once after changes pause, with one timer for the whole run of changes', () => {
    const setTimer = vi.spyOn(globalThis, 'setTimeout')
    let runs = 0
    const scheduler = new PauseScheduler(() => runs++)
    // A key every 100 ms for a second: nothing runs while they keep coming.
    changes(scheduler, 10)
    expect(runs).toBe(0)
    vi.advanceTimersByTime(2_000)
    expect(runs).toBe(1)
    // The timer was set again only when it fired before the pause was over, not per key.
    expect(setTimer.mock.calls.length).toBeLessThanOrEqual(4)
  })

  it('runs every few seconds while changes never pause, and not after it is cancelled', () => {
    let runs = 0
    const scheduler = new PauseScheduler(() => runs++)
    changes(scheduler, 70)
    // Seven seconds of typing with no pause: the work ran at about 3 s and 6 s.
    expect(runs).toBe(2)
    scheduler.poke()
    scheduler.cancel()
    vi.advanceTimersByTime(5_000)
    expect(runs).toBe(2)
  })
})
