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
