import { describe, expect, it } from 'vitest'
import { changeFromInput, diffAroundCaret, quickChange, transformIndex } from '../src/text-change.js'

function apply(text: string, change: { index: number; remove: number; insert: string } | null): string {
  if (!change) return text
  return text.slice(0, change.index) + change.insert + text.slice(change.index + change.remove)
}

describe('changeFromInput', () => {
  it('reads typing, replacement, paste and deletion from the event without a diff', () => {
    expect(changeFromInput('hello world', 'hello, world', { start: 5, end: 5 }, { start: 6, end: 6 }, 'insertText')).toEqual({
      index: 5,
      remove: 0,
      insert: ',',
    })
    expect(changeFromInput('hello world', 'hello there', { start: 6, end: 11 }, { start: 11, end: 11 }, 'insertText')).toEqual({
      index: 6,
      remove: 5,
      insert: 'there',
    })
    expect(changeFromInput('ab', 'aXYZb', { start: 1, end: 1 }, { start: 4, end: 4 }, 'insertFromPaste')).toEqual({ index: 1, remove: 0, insert: 'XYZ' })
    expect(changeFromInput('abc', 'ac', { start: 2, end: 2 }, { start: 1, end: 1 }, 'deleteContentBackward')).toEqual({ index: 1, remove: 1, insert: '' })
    expect(changeFromInput('one two three', 'one three', { start: 8, end: 8 }, { start: 4, end: 4 }, 'deleteWordBackward')).toEqual({
      index: 4,
      remove: 4,
      insert: '',
    })
    expect(changeFromInput('abcdef', 'abef', { start: 2, end: 4 }, { start: 2, end: 2 }, 'deleteByCut')).toEqual({ index: 2, remove: 2, insert: '' })
    expect(changeFromInput('abef', 'abcdef', { start: 0, end: 0 }, { start: 2, end: 4 }, 'insertFromDrop')).toEqual({ index: 2, remove: 0, insert: 'cd' })
  })

  it('places an insertion in a run of equal characters at the caret', () => {
    expect(changeFromInput('aaaa', 'aaaaa', { start: 1, end: 1 }, { start: 2, end: 2 }, 'insertText')).toEqual({ index: 1, remove: 0, insert: 'a' })
  })

  it('falls back to a diff when the hint is wrong or missing, and the result is always right', () => {
    const wrongHint = changeFromInput('hello world', 'hello brave world', { start: 0, end: 0 }, { start: 12, end: 12 }, 'insertText')
    expect(apply('hello world', wrongHint)).toBe('hello brave world')
    expect(changeFromInput('abc', 'abXc', null, { start: 3, end: 3 }, '')).toEqual({ index: 2, remove: 0, insert: 'X' })
    expect(changeFromInput('same', 'same', null, { start: 0, end: 0 }, 'insertText')).toBeNull()
  })
})

describe('diffAroundCaret', () => {
  it('finds the single smallest edit for random texts', () => {
    let seed = 7
    const rnd = (n: number): number => {
      seed = (seed * 16807) % 2147483647
      return seed % n
    }
    for (let i = 0; i < 2000; i++) {
      const base = Array.from({ length: rnd(20) }, () => 'ab\n'[rnd(3)]).join('')
      const index = rnd(base.length + 1)
      const remove = rnd(base.length - index + 1)
      const insert = Array.from({ length: rnd(4) }, () => 'ab'[rnd(2)]).join('')
      const next = base.slice(0, index) + insert + base.slice(index + remove)
      const change = diffAroundCaret(base, next, index + insert.length)
      expect(apply(base, change)).toBe(next)
      if (change) expect(change.remove + change.insert.length).toBeLessThanOrEqual(remove + insert.length)
    }
  })

  it('puts deletions inside a repeated run at the caret', () => {
    expect(diffAroundCaret('xaaay', 'xaay', 1)).toEqual({ index: 1, remove: 1, insert: '' })
    expect(diffAroundCaret('xaaay', 'xaay', 3)).toEqual({ index: 3, remove: 1, insert: '' })
  })
})

describe('transformIndex', () => {
  it('moves positions across inserts and deletes', () => {
    expect(transformIndex(5, [{ insert: 'abc' }])).toBe(8)
    expect(transformIndex(5, [{ retain: 5 }, { insert: 'abc' }])).toBe(8)
    expect(transformIndex(5, [{ retain: 5 }, { insert: 'abc' }], false)).toBe(5)
    expect(transformIndex(5, [{ retain: 6 }, { insert: 'abc' }])).toBe(5)
    expect(transformIndex(5, [{ retain: 2 }, { delete: 2 }])).toBe(3)
    expect(transformIndex(5, [{ retain: 3 }, { delete: 10 }])).toBe(3)
  })
})

describe('quickChange', () => {
  const after = (textLength: number, caret: number) => ({ textLength, selectionStart: caret, selectionEnd: caret })

  it('reads typing, Enter, Backspace, Delete and typing over a selection from the event alone', () => {
    expect(quickChange(10, after(11, 4), { start: 3, end: 3 }, { inputType: 'insertText', data: 'x' })).toEqual({ index: 3, remove: 0, insert: 'x' })
    expect(quickChange(10, after(11, 4), { start: 3, end: 3 }, { inputType: 'insertLineBreak', data: null })).toEqual({ index: 3, remove: 0, insert: '\n' })
    expect(quickChange(10, after(9, 2), { start: 3, end: 3 }, { inputType: 'deleteContentBackward', data: null })).toEqual({ index: 2, remove: 1, insert: '' })
    expect(quickChange(10, after(8, 3), { start: 3, end: 3 }, { inputType: 'deleteContentForward', data: null })).toEqual({ index: 3, remove: 2, insert: '' })
    expect(quickChange(10, after(8, 3), { start: 2, end: 5 }, { inputType: 'insertText', data: 'y' })).toEqual({ index: 2, remove: 3, insert: 'y' })
  })

  it('declines when the numbers do not add up or the input is of another kind', () => {
    expect(quickChange(10, after(12, 4), { start: 3, end: 3 }, { inputType: 'insertText', data: 'x' })).toBeNull()
    expect(quickChange(10, after(11, 9), { start: 3, end: 3 }, { inputType: 'insertText', data: 'x' })).toBeNull()
    expect(quickChange(10, after(15, 8), { start: 3, end: 3 }, { inputType: 'insertFromPaste', data: null })).toBeNull()
    expect(quickChange(10, { textLength: 11, selectionStart: 3, selectionEnd: 4 }, { start: 3, end: 3 }, { inputType: 'insertText', data: 'x' })).toBeNull()
  })
})
