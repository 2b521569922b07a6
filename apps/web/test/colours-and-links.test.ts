import { describe, expect, it } from 'vitest'
import { colourToWear, type PresentPerson } from '../src/lib/colour-assignment'
import { COLORS } from '../src/lib/identity'
import { documentIdFromPath, documentPath, isDocumentId } from '../src/lib/document-id'

const person = (clientId: number, color: string, joinedAt: number, browser: string | null = `b${clientId}`): PresentPerson => ({
  clientId,
  color,
  joinedAt,
  browser,
})

describe('colourToWear', () => {
  it('keeps your colour unless someone earlier wears it, then takes the next free one', () => {
    const blue = COLORS[5]!
    expect(colourToWear({ clientId: 9, browser: 'me', joinedAt: 100, preferred: blue }, [], COLORS)).toBe(blue)
    // Someone who came earlier wears blue: the next colour after blue that nobody earlier wears.
    expect(colourToWear({ clientId: 9, browser: 'me', joinedAt: 100, preferred: blue }, [person(1, blue, 50)], COLORS)).toBe(COLORS[6])
    // Someone who came later wears it: they give way, not you.
    expect(colourToWear({ clientId: 9, browser: 'me', joinedAt: 100, preferred: blue }, [person(1, blue, 150)], COLORS)).toBe(blue)
    // Your own other tab is not a rival.
    expect(colourToWear({ clientId: 9, browser: 'me', joinedAt: 100, preferred: blue }, [person(1, blue, 50, 'me')], COLORS)).toBe(blue)
    // Ties in time go by client id; with every colour taken you keep your own.
    expect(colourToWear({ clientId: 9, browser: 'me', joinedAt: 100, preferred: blue }, [person(3, blue, 100)], COLORS)).toBe(COLORS[6])
    const everyone = COLORS.map((c, i) => person(i + 20, c, 1))
    expect(colourToWear({ clientId: 9, browser: 'me', joinedAt: 100, preferred: blue }, everyone, COLORS)).toBe(blue)
  })

  it('settles six people who all chose one colour on six colours, whatever order they look in', () => {
    const blue = COLORS[5]!
    const joined = [5, 1, 4, 2, 6, 3].map((clientId, i) => ({ clientId, joinedAt: 1_000 + (i % 3) }))
    // Each applies the rule to what the others wear now, until nobody changes (as presence updates do).
    const wearing = new Map(joined.map((p) => [p.clientId, blue]))
    for (let round = 0; round < 10; round++) {
      for (const me of joined) {
        const others = joined.filter((o) => o.clientId !== me.clientId).map((o) => person(o.clientId, wearing.get(o.clientId)!, o.joinedAt))
        wearing.set(me.clientId, colourToWear({ clientId: me.clientId, browser: `b${me.clientId}`, joinedAt: me.joinedAt, preferred: blue }, others, COLORS))
      }
    }
    expect(new Set(wearing.values()).size).toBe(6)
  })
})

describe('document links', () => {
  it('reads /d/<id> and /v/<view id>, and writes them back', () => {
    expect(documentIdFromPath('/d/abcdefgh12')).toBe('abcdefgh12')
    expect(documentIdFromPath('/v/abcdefgh12')).toBe('~view/abcdefgh12')
    expect(documentPath('~view/abcdefgh12')).toBe('/v/abcdefgh12')
    expect(documentPath('abcdefgh12')).toBe('/d/abcdefgh12')
    expect(isDocumentId('~view/abcdefgh12')).toBe(true)
    expect(isDocumentId('~view/no')).toBe(false)
    expect(isDocumentId('~view/../x')).toBe(false)
    expect(documentIdFromPath('/x/abcdefgh12')).toBeNull()
  })
})
