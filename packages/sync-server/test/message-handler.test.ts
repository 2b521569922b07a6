import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { handleMessage, type RoomPort, type SessionPort } from '../src/message-handler.js'
import { ProtocolError, decodeMessage, encodeAwarenessMessage, encodeQueryAwareness, encodeSyncStep1, encodeUpdate } from '../src/protocol.js'
import { decodeAwarenessUpdate } from '../src/awareness-update.js'

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
  const bytes: number[] = [entries.length]
  for (const [client, clock, json] of entries) {
    const text = new TextEncoder().encode(json)
    bytes.push(client, clock, text.length, ...text)
  }
  return new Uint8Array(bytes)
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
    const bad = awarenessPayload([[7, 2, '{"user":'], [8, 1, 'null']])
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
    expect(decodeAwarenessUpdate(awarenessPayload([[1, 3, '{"a":1}'], [2, 4, 'null']]))).toEqual([
      { clientId: 1, clock: 3, state: { a: 1 } },
      { clientId: 2, clock: 4, state: null },
    ])
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
