import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { LiveTextStats, countCharacters, countWords, statsOf, titleOf } from '../src/lib/text-stats'

describe('text statistics', () => {
  it('counts characters as people see them', () => {
    expect(countCharacters('👍🏽')).toBe(1)
    expect(countCharacters('café')).toBe(4)
    expect(countCharacters('cafe\u0301')).toBe(4)
    expect(countCharacters('👨‍👩‍👧 family')).toBe(8)
    expect(countCharacters('plain ascii text')).toBe(16)
    expect(countCharacters('')).toBe(0)
  })

  it('gives the first non-empty line as the title, and counts words', () => {
    expect(statsOf('\n\n  Shopping list  \n- bread 👍🏽')).toEqual({ title: 'Shopping list', characters: 29, words: 5 })
    expect(titleOf('')).toBe('Untitled')
    expect(countWords('  one\ttwo\nthree  ')).toBe(3)
  })
})

describe('word count', () => {
  it('splits words where /\\S+/ does, every kind of space included', () => {
    // Every character JavaScript calls a space, and some it does not, mixed at random.
    const alphabet = ['a', 'é', '👍', '\u200b', '-', ...' \t\n\v\f\r\u00a0\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000\ufeff']
    let seed = 7
    const next = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31)
    for (let round = 0; round < 200; round++) {
      let text = ''
      for (let i = next() % 60; i > 0; i--) text += alphabet[next() % alphabet.length]
      expect(countWords(text), JSON.stringify(text)).toBe((text.match(/\S+/g) ?? []).length)
    }
    expect(countWords('')).toBe(0)
    expect(countWords('one\u00a0two\u3000three')).toBe(3)
  })
})

describe('live text statistics', () => {
  it('agree with a whole recount after every change, in any mix of edits', () => {
    const doc = new Y.Doc()
    const text = doc.getText('text')
    text.insert(0, 'Title line\n\nsome words here and there\n')
    const live = new LiveTextStats(text.toString())
    text.observe((event) => live.apply(event.delta, text.toString()))
    // Words, spaces of every kind, and characters that cluster (an emoji's halves, a combining accent).
    const pieces = ['a', 'word', ' ', '\n', '\t', '\u00a0', '👍🏽', 'e\u0301', 'x y', '  ']
    let seed = 11
    const next = (n: number): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n
    for (let round = 0; round < 600; round++) {
      // Sometimes two changes in one transaction, as a remote update can carry.
      doc.transact(() => {
        for (let edits = 1 + next(2); edits > 0; edits--) {
          const length = text.length
          const at = next(length + 1)
          if (next(3) === 0 && length > 0) {
            // Never split an emoji's surrogates: the textarea does not either.
            const stop = Math.min(length, at + 1 + next(6))
            const current = text.toString()
            if (!/[\uD800-\uDFFF]/.test(current[at] ?? '') && !/[\uDC00-\uDFFF]/.test(current[stop] ?? '')) text.delete(at, stop - at)
          } else {
            const current = text.toString()
            if (!/[\uDC00-\uDFFF]/.test(current[at] ?? '')) text.insert(at, pieces[next(pieces.length)]!)
          }
        }
      })
      expect(live.stats(), `round ${round}: ${JSON.stringify(text.toString())}`).toEqual(statsOf(text.toString()))
    }
    expect(live.stats().words).toBeGreaterThan(10)
  })

  it('counts afresh when a change cannot be followed', () => {
    const doc = new Y.Doc()
    const text = doc.getText('text')
    const live = new LiveTextStats('')
    // The text handed over lags the change (as a textarea holding remote edits during IME input would).
    let handed = ''
    text.observe((event) => live.apply(event.delta, handed))
    text.insert(0, 'one two')
    expect(live.stats()).toEqual(statsOf(''))
    handed = 'one two three'
    text.insert(7, ' three')
    expect(live.stats()).toEqual(statsOf('one two three'))
    // An embed is not text: the count starts again from what is handed over.
    handed = 'one two three four'
    text.insertEmbed(2, { image: 'x' })
    expect(live.stats()).toEqual(statsOf('one two three four'))
  })
})
