import { describe, expect, it } from 'vitest'
import { RelayOutbox } from '../src/cluster/relay-outbox.js'
import { decodeEntries, encodeEntries } from '../src/cluster/relay-entry.js'

const bytes = (n: number) => new Uint8Array(n).fill(7)

describe('relay entries', () => {
  it('carry several messages of different rooms and types in one stream entry, byte for byte', () => {
    const messages = [
      { room: 'notes', type: 'u', data: bytes(3) },
      { room: 'ünïcode/room', type: 'a', data: bytes(0) },
      { room: 'notes', type: 'h', data: new Uint8Array(0) },
    ]
    expect(decodeEntries(encodeEntries(messages))).toEqual(messages)
  })

  it('refuse bytes that are not such a list (truncated, or with bytes left over)', () => {
    const encoded = encodeEntries([{ room: 'r', type: 'u', data: bytes(10) }])
    expect(() => decodeEntries(encoded.slice(0, encoded.length - 4))).toThrow()
    expect(() => decodeEntries(new Uint8Array([...encoded, 1]))).toThrow(/trailing/)
  })
})

describe('relay outbox', () => {
  it('holds messages up to its count, counting those sent and unanswered, and remembers the rooms of what it refused', () => {
    const outbox = new RelayOutbox({ maxMessages: 5, maxBytes: 1_000 })
    for (let i = 0; i < 3; i++) expect(outbox.hold({ room: 'a', type: 'u', data: bytes(1) }, 2)).toBe(true)
    expect(outbox.hold({ room: 'b', type: 'u', data: bytes(1) }, 2)).toBe(false)
    expect(outbox.size).toBe(3)
    const drained = outbox.drain()
    expect(drained.entries.map((e) => e.room)).toEqual(['a', 'a', 'a'])
    expect(drained.lossy).toEqual(['b'])
    expect(outbox.size).toBe(0)
    expect(outbox.drain()).toEqual({ entries: [], lossy: [] })
  })

  it('holds messages up to its bytes', () => {
    const outbox = new RelayOutbox({ maxMessages: 100, maxBytes: 100 })
    expect(outbox.hold({ room: 'a', type: 'u', data: bytes(60) })).toBe(true)
    expect(outbox.hold({ room: 'b', type: 'u', data: bytes(60) })).toBe(false)
    expect(outbox.hold({ room: 'c', type: 'u', data: bytes(40) })).toBe(true)
    expect(outbox.drain().lossy).toEqual(['b'])
  })
})
