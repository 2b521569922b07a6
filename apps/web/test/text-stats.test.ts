import { describe, expect, it } from 'vitest'
import { countCharacters, countWords, statsOf, titleOf } from '../src/lib/text-stats'

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
