import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { handleMessage, type RoomPort, type SessionPort } from '../src/message-handler.js'
import { ProtocolError, decodeMessage, encodeAwarenessMessage, encodeQueryAwareness, encodeSyncStep1, encodeUpdate } from '../src/protocol.js'
import { decodeAwarenessUpdate, encodeAwarenessEntries } from '../src/awareness-update.js'
import { PolicyViolation } from '../src/policy-violation.js'

class FakeSession implements SessionPort {
  readonly sent: Uint8Array[] = []
  send(message: Uint8Array): boolean {
    this.sent.push(message)
    return true
  }
}

class FakeRoom implements RoomPort<FakeSession> {
  readonly doc = new Y.Doc()
  readonly applied: Array<{ update: Uint8Array; origin: FakeSession }> = []
  readonly awareness: Uint8Array[] = []
  applyUpdate(update: Uint8Array, origin: FakeSession): void {
    try {
      Y.decodeUpdate(update)
    } catch {
      throw new ProtocolError('bad update')
    }
    this.applied.push({ update, origin })
  }
  applyAwareness(update: Uint8Array): void {
    this.awareness.push(update)
  }
  syncStep2For(stateVector: Uint8Array): Uint8Array {
    return encodeUpdate(Y.encodeStateAsUpdate(this.doc, stateVector))
  }
  awarenessSnapshot(): Uint8Array | null {
    return this.awareness.length ? encodeAwarenessMessage(this.awareness[this.awareness.length - 1]!) : null
  }
}

function awarenessPayload(entries: Array<[number, number, string]>): Uint8Array {
  return encodeAwarenessEntries(entries.map(([clientId, clock, json]) => ({ clientId, clock, json, state: null })))
}

describe('handleMessage', () => {
  it('answers sync step 1 with the room state and sends nothing else', () => {
    const room = new FakeRoom()
    room.doc.getText('t').insert(0, 'abc')
    const session = new FakeSession()
    expect(handleMessage(room, session, encodeSyncStep1(new Uint8Array([0])))).toEqual({ ok: true })
    expect(session.sent).toHaveLength(1)
    const reply = decodeMessage(session.sent[0]!)
    const copy = new Y.Doc()
    if (reply.kind !== 'update') throw new Error(`unexpected ${reply.kind}`)
    Y.applyUpdate(copy, reply.update)
    expect(copy.getText('t').toString()).toBe('abc')
  })

  it('hands updates to the room with the sender as origin and replies nothing', () => {
    const room = new FakeRoom()
    const session = new FakeSession()
    const doc = new Y.Doc()
    doc.getText('t').insert(0, 'x')
    expect(handleMessage(room, session, encodeUpdate(Y.encodeStateAsUpdate(doc)))).toEqual({ ok: true })
    expect(room.applied).toHaveLength(1)
    expect(room.applied[0]!.origin).toBe(session)
    expect(session.sent).toHaveLength(0)
  })

  it('validates awareness before the room sees it', () => {
    const room = new FakeRoom()
    const session = new FakeSession()
    const good = awarenessPayload([[7, 1, '{"user":{"name":"a"}}']])
    expect(handleMessage(room, session, encodeAwarenessMessage(good))).toEqual({ ok: true })
    const bad = awarenessPayload([
      [7, 2, '{"user":'],
      [8, 1, 'null'],
    ])
    const outcome = handleMessage(room, session, encodeAwarenessMessage(bad))
    expect(outcome.ok).toBe(false)
    expect(room.awareness).toHaveLength(1)
  })

  it('answers query-awareness with the snapshot when there is one', () => {
    const room = new FakeRoom()
    const session = new FakeSession()
    expect(handleMessage(room, session, encodeQueryAwareness())).toEqual({ ok: true })
    expect(session.sent).toHaveLength(0)
    room.awareness.push(awarenessPayload([[9, 1, '{}']]))
    handleMessage(room, session, encodeQueryAwareness())
    expect(session.sent).toHaveLength(1)
    expect(decodeMessage(session.sent[0]!).kind).toBe('awareness')
  })

  it('turns protocol errors into a 1007 outcome with a reason', () => {
    const room = new FakeRoom()
    const outcome = handleMessage(room, new FakeSession(), new Uint8Array([0, 2, 3, 1, 2, 3]))
    expect(outcome).toMatchObject({ ok: false, code: 1007 })
    if (!outcome.ok) expect(outcome.reason).toMatch(/update/)
  })
})

describe('decodeAwarenessUpdate', () => {
  it('reads entries, including removals', () => {
    expect(
      decodeAwarenessUpdate(
        awarenessPayload([
          [1, 3, '{"a":1}'],
          [2, 4, 'null'],
        ]),
      ),
    ).toEqual([
      { clientId: 1, clock: 3, state: { a: 1 }, json: '{"a":1}' },
      { clientId: 2, clock: 4, state: null, json: 'null' },
    ])
  })

  it('refuses states over the size, depth, clock or colour bounds as a policy (1008), not as garbage', () => {
    const limits = { maxStateBytes: 100, maxDepth: 3 }
    const refused = (json: string, clock = 1): string => {
      try {
        decodeAwarenessUpdate(awarenessPayload([[1, clock, json]]), limits)
      } catch (error) {
        expect(error).toBeInstanceOf(PolicyViolation)
        return (error as Error).message
      }
      return 'accepted'
    }
    expect(refused(JSON.stringify({ user: { name: 'x'.repeat(80) } }))).toBe('accepted')
    expect(refused(JSON.stringify({ user: { name: 'x'.repeat(100) } }))).toBe('presence state over 100 bytes')
    expect(refused('{"a":{"b":{"c":1}}}')).toBe('accepted')
    expect(refused('{"a":{"b":{"c":{"d":1}}}}')).toBe('presence state nested deeper than 3 levels')
    expect(refused('{"user":{"color":"#1a2B3c"}}')).toBe('accepted')
    expect(refused('{"user":{"color":"url(http://evil.example/x)"}}')).toBe('presence colour must be a hex colour like #1a2b3c')
    expect(refused('{}', 2 ** 31 + 1)).toBe('presence clock of client 1 is out of range')
    // The deep state that used to overflow JSON.stringify later: 6,000 levels, refused at the door.
    const deep = '['.repeat(6_000) + ']'.repeat(6_000)
    expect(() => decodeAwarenessUpdate(awarenessPayload([[1, 1, `{"a":${deep}}`]]))).toThrow(/nested deeper than 16 levels|over 8192 bytes/)
  })

  it('rejects states that are JSON but not objects', () => {
    expect(() => decodeAwarenessUpdate(awarenessPayload([[1, 1, '42']]))).toThrow(ProtocolError)
  })
})

describe('decodeMessage', () => {
  it('rejects truncation, unknown types and empty frames with ProtocolError', () => {
    for (const bad of [[], [0], [0, 0], [0, 0, 5, 1], [4], [0, 3, 0], [0x80]]) {
      expect(() => decodeMessage(new Uint8Array(bad)), JSON.stringify(bad)).toThrow(ProtocolError)
    }
  })

  it('round-trips what the encoders produce', () => {
    const payload = new Uint8Array([1, 2, 3])
    expect(decodeMessage(encodeSyncStep1(payload))).toEqual({ kind: 'sync-step-1', stateVector: payload })
    expect(decodeMessage(encodeUpdate(payload))).toEqual({ kind: 'update', update: payload })
    expect(decodeMessage(encodeAwarenessMessage(payload))).toEqual({ kind: 'awareness', update: payload })
    expect(decodeMessage(encodeQueryAwareness())).toEqual({ kind: 'query-awareness' })
  })
})
