import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { Awareness } from 'y-protocols/awareness'
import { LiveAuthorship, UNKNOWN_AUTHOR } from '../src/authorship.js'

/** Two peers whose docs exchange updates at once, each with presence the other can read. */
function peers() {
  const a = new Y.Doc()
  const b = new Y.Doc()
  a.on('update', (update: Uint8Array, origin: unknown) => origin !== 'remote' && Y.applyUpdate(b, update, 'remote'))
  b.on('update', (update: Uint8Array, origin: unknown) => origin !== 'remote' && Y.applyUpdate(a, update, 'remote'))
  // What a provider does: the other peer's presence is known on this side.
  const awarenessA = new Awareness(a)
  awarenessA.setLocalStateField('user', { name: 'Ada', color: '#d1495b' })
  awarenessA.getStates().set(b.clientID, { user: { name: 'Ben', color: '#2d7dd2' } })
  return { a, b, awarenessA }
}

describe('LiveAuthorship', () => {
  it('starts from the server spans and puts each later change on its writer, found from the inserted items', () => {
    const { a, b, awarenessA } = peers()
    a.getText('text').insert(0, 'old text')
    let changes = 0
    const live = new LiveAuthorship(a.getText('text'), awarenessA, [{ start: 0, end: 8, author: null }], {
      me: () => ({ name: 'Ada', color: '#d1495b' }),
      colorFor: () => '#777777',
      onChange: () => changes++,
    })
    b.getText('text').insert(3, ' BEN')
    a.getText('text').insert(0, 'Ada: ')
    a.getText('text').insert(a.getText('text').length, '!')
    const text = a.getText('text').toString()
    expect(text).toBe('Ada: old BEN text!')
    const spans = live.spansIn(0, text.length)
    expect(spans.map((s) => [s.name, text.slice(s.start, s.end)])).toEqual([
      ['Ada', 'Ada: '],
      [UNKNOWN_AUTHOR, 'old'],
      ['Ben', ' BEN'],
      [UNKNOWN_AUTHOR, ' text'],
      ['Ada', '!'],
    ])
    expect(spans.find((s) => s.name === 'Ben')!.color).toBe('#2d7dd2')
    expect(changes).toBe(3)
    // A deletion across spans closes them up; the legend counts what is left.
    b.getText('text').delete(2, 11)
    const after = a.getText('text').toString()
    expect(after).toBe('Adtext!')
    expect(live.spansIn(0, after.length).map((s) => [s.name, after.slice(s.start, s.end)])).toEqual([
      ['Ada', 'Ad'],
      [UNKNOWN_AUTHOR, 'text'],
      ['Ada', '!'],
    ])
    expect(live.legend()).toEqual([
      { name: UNKNOWN_AUTHOR, color: '#777777', characters: 4 },
      { name: 'Ada', color: '#d1495b', characters: 3 },
    ])
    // Only the spans in the asked range come back.
    expect(live.spansIn(3, 4).map((s) => s.name)).toEqual([UNKNOWN_AUTHOR])
    live.destroy()
  })
})
