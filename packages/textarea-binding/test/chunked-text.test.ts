import { describe, expect, it } from 'vitest'
import { ChunkedText } from '../src/chunked-text.js'

/** A replayable sequence of edits (the package is published alone, without test-utils). */
function seededRandom(seed: number): () => number {
  let state = seed
  return () => (state = (state * 48271) % 2147483647) / 2147483647
}

describe('ChunkedText', () => {
  // 20,000 characters is one group of chunks; 300,000 is several, and long deletions span groups.
  it.each([20_000, 300_000])('stays equal to the same edits made on a string of %i, read whole, in slices and by character', (size) => {
    const random = seededRandom(7)
    let expected = 'x'.repeat(size)
    let text = ChunkedText.from(expected)
    for (let step = 0; step < 2_000; step++) {
      const index = Math.floor(random() * (expected.length + 1))
      const remove = random() < 0.3 ? Math.min(expected.length - index, Math.floor(random() * (random() < 0.05 ? 12_000 : 20))) : 0
      const insert = random() < 0.02 ? 'y'.repeat(9_000) : 'abc\n'.slice(0, Math.floor(random() * 5))
      expected = expected.slice(0, index) + insert + expected.slice(index + remove)
      text = text.splice(index, remove, insert)
      expect(text.length).toBe(expected.length)
      if (step % 50 === 0) {
        const from = Math.floor(random() * expected.length)
        const to = from + Math.floor(random() * 10_000)
        expect(text.slice(from, to)).toBe(expected.slice(from, to))
        for (let i = from; i < Math.min(expected.length, from + 300); i++) expect(text.charCodeAt(i)).toBe(expected.charCodeAt(i))
      }
    }
    expect(text.toString()).toBe(expected)
  })

  it('leaves the text before a change readable after it', () => {
    const before = ChunkedText.from('0123456789'.repeat(1_000))
    const after = before.splice(5_000, 10, 'NEW')
    expect(before.slice(4_998, 5_012)).toBe('89012345678901')
    expect(after.slice(4_998, 5_005)).toBe('89NEW01')
    expect(before.length - after.length).toBe(7)
    expect(before.toString()).toBe('0123456789'.repeat(1_000))
  })

  it('handles the empty text and edits at its ends, and refuses edits outside it', () => {
    let text = ChunkedText.from('')
    expect(text.charCodeAt(0)).toBeNaN()
    text = text.splice(0, 0, 'end')
    text = text.splice(0, 0, 'start ')
    text = text.splice(text.length, 0, '!')
    expect(text.toString()).toBe('start end!')
    expect(text.splice(0, text.length, '').toString()).toBe('')
    expect(() => text.splice(5, 100, '')).toThrow(RangeError)
  })

  it('compares itself with a string in place: equal, a character off anywhere, or another length', () => {
    const expected = 'abcdefghij'.repeat(20_000)
    // Edited, so that it is held as chunks and not as the string it was made from.
    const text = ChunkedText.from(expected).splice(10_000, 0, 'X').splice(10_000, 1, '')
    expect(text.equals(expected)).toBe(true)
    for (const at of [0, 1_023, 1_024, 10_000, 32_767, 32_768, 199_999]) {
      const other = expected.slice(0, at) + 'Z' + expected.slice(at + 1)
      expect(text.equals(other)).toBe(false)
    }
    expect(text.equals(expected.slice(1))).toBe(false)
    expect(text.toString()).toBe(expected)
    expect(ChunkedText.from('').equals('')).toBe(true)
  })
})
