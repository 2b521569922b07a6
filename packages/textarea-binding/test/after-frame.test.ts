// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import { afterNextFrame } from '../src/after-frame.js'

const nextFrame = (): Promise<void> => new Promise((resolve) => requestAnimationFrame(() => resolve()))

describe('afterNextFrame', () => {
  it('runs the work after the next frame callback, not within it, and not when cancelled', async () => {
    const order: string[] = []
    afterNextFrame(() => order.push('after'))
    const cancel = afterNextFrame(() => order.push('cancelled'))
    requestAnimationFrame(() => order.push('frame'))
    cancel()
    await nextFrame()
    expect(order).toEqual(['frame'])
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(order).toEqual(['frame', 'after'])
  })
})
