import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { ChunkedText } from '@coedit/textarea-binding'
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
  it.each(['strings', 'chunked snapshots'])('agree with a whole recount after every change, in any mix of edits (the text as %s)', (kind) => {
    const doc = new Y.Doc()
    const text = doc.getText('text')
    text.insert(0, 'Title line\n\nsome words here and there\n')
    if (kind === 'strings') {
      const live = new LiveTextStats(text.toString())
      text.observe((event) => live.apply(event.delta, text.toString()))
      return editAndCompare(doc, text, live, 600)
    }
    // Long enough to span two chunks of a snapshot (counting graphemes again each round makes it slow: fewer rounds).
    text.insert(text.length, 'lorem ipsum dolor '.repeat(250))
    // As the editor reads it: the binding's snapshot, which each change replaces without copying the text.
    let snapshot = ChunkedText.from(text.toString())
    const live = new LiveTextStats(snapshot)
    text.observe((event) => {
      let index = 0
      for (const op of event.delta) {
        if (op.retain !== undefined) index += op.retain
        else if (op.delete !== undefined) snapshot = snapshot.splice(index, op.delete, '')
        else if (typeof op.insert === 'string') {
          snapshot = snapshot.splice(index, 0, op.insert)
          index += op.insert.length
        }
      }
      live.apply(event.delta, snapshot)
    })
    editAndCompare(doc, text, live, 150)
  })

  function editAndCompare(doc: Y.Doc, text: Y.Text, live: LiveTextStats, rounds: number): void {
    // Words, spaces of every kind, and characters that cluster (an emoji's halves, a combining accent).
    const pieces = ['a', 'word', ' ', '\n', '\t', '\u00a0', '👍🏽', 'e\u0301', 'x y', '  ']
    let seed = 11
    const next = (n: number): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n
    for (let round = 0; round < rounds; round++) {
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
  }

  it('finds the title after every change to a long text, without reading the text for changes past its start', () => {
    const doc = new Y.Doc()
    const text = doc.getText('text')
    // The title sits near the end of the stretch it is looked for in, so edits before it move it in and out.
    text.insert(0, '\n'.repeat(1_990) + 'The title\n' + 'body text '.repeat(600))
    const live = new LiveTextStats(text.toString())
    text.observe((event) => live.apply(event.delta, text.toString()))
    const pieces = ['\n', 'word', ' ', '\n\n\n', 'Another title\n', 'x'.repeat(300)]
    let seed = 5
    const next = (n: number): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n
    for (let round = 0; round < 400; round++) {
      const length = text.length
      // Mostly near the start, where the title is; now and then far past it, or a big cut.
      const at = next(4) === 0 ? next(length + 1) : next(Math.min(length, 2_500) + 1)
      const kind = next(5)
      if (kind === 0 && length > 0) text.delete(at, Math.min(length - at, 1 + next(3_000)))
      else if (kind === 1 && length > 0) text.delete(at, Math.min(length - at, 1 + next(20)))
      else text.insert(at, pieces[next(pieces.length)]!)
      if (text.length < 3_000) text.insert(text.length, 'more text '.repeat(300))
      expect(live.stats().title, `round ${round}`).toBe(titleOf(text.toString()))
    }
  })

  it('finds the title of a text typed from nothing, a key at a time, and pasted past what it keeps', () => {
    const doc = new Y.Doc()
    const text = doc.getText('text')
    const live = new LiveTextStats('')
    text.observe((event) => live.apply(event.delta, text.toString()))
    for (const key of 'first line\nmore') {
      text.insert(text.length, key)
      expect(live.stats().title).toBe(titleOf(text.toString()))
    }
    text.delete(0, text.length)
    expect(live.stats().title).toBe('Untitled')
    text.insert(0, '\n'.repeat(3_999))
    text.insert(text.length, 'late title\n')
    text.delete(0, 2_500)
    expect(live.stats().title).toBe(titleOf(text.toString()))
    expect(live.stats().title).toBe('late title')
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
