import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { pino } from 'pino'
import { Room, type RoomMember } from '../src/room.js'
import { MemoryStorage, ServerMetrics } from '../src/index.js'
import { MESSAGE_AUTH, MESSAGE_SYNC, SYNC_STEP_1, SYNC_UPDATE, encodeUpdate } from '../src/protocol.js'

/** A member without a socket: it records what the room sends it and how it was closed. */
function member(id: number, canEdit = true): RoomMember & { sent: Uint8Array[]; closedWith: [string, number, string] | null } {
  return {
    id,
    canEdit,
    acceptsMessages: true,
    bufferedAmount: 0,
    toldViewOnly: false,
    awarenessClients: new Set<number>(),
    holder: `member-${id}`,
    sent: [],
    closedWith: null,
    send(message) {
      this.sent.push(message)
      return true
    },
    close(cause, code, reason) {
      this.closedWith = [cause, code, reason]
    },
  }
}

function room(storage = new MemoryStorage()): Room {
  return new Room('unit', {
    storage,
    metrics: new ServerMetrics(),
    log: pino({ level: 'silent' }),
    unloadDelayMs: 1_000,
    compactAfterUpdates: 1_000,
    compactAfterBytes: 1 << 22,
    maxQueuedMessages: 100,
    relayWindowMs: 0,
    maxDocumentBytes: 0,
    history: null,
    cluster: null,
    onUnloaded: () => {},
  })
}

function typing(text: string): Uint8Array {
  const doc = new Y.Doc()
  doc.getText('text').insert(0, text)
  return encodeUpdate(Y.encodeStateAsUpdate(doc))
}

describe('Room, without sockets', () => {
  it('greets members, stores an update before relaying it to the others, never back to its sender', async () => {
    const storage = new MemoryStorage()
    const r = room(storage)
    const [a, b] = [member(1), member(2)]
    r.join(a)
    r.join(b)
    expect(a.sent[0]?.slice(0, 2)).toEqual(new Uint8Array([MESSAGE_SYNC, SYNC_STEP_1]))
    const before = a.sent.length
    r.receive(a, typing('hello'))
    // Updates of one tick are stored as one batch once the tick's socket reads are done.
    expect(b.sent.filter((frame) => frame[1] === SYNC_UPDATE).length).toBe(0)
    await new Promise((resolve) => setImmediate(resolve))
    expect(storage.load('unit').updates.length).toBe(1)
    const relayed = b.sent.filter((frame) => frame[0] === MESSAGE_SYNC && frame[1] === SYNC_UPDATE)
    expect(relayed.length).toBe(1)
    expect(a.sent.length).toBe(before)
    expect(r.document.doc.getText('text').toString()).toBe('hello')
  })

  it("drops a view-only member's edit unstored, tells it once, and keeps it connected", async () => {
    const storage = new MemoryStorage()
    const r = room(storage)
    const viewer = member(3, false)
    r.join(viewer)
    r.receive(viewer, typing('nope'))
    r.receive(viewer, typing('still nope'))
    await new Promise((resolve) => setImmediate(resolve))
    expect(storage.load('unit').updates.length).toBe(0)
    expect(viewer.sent.filter((frame) => frame[0] === MESSAGE_AUTH).length).toBe(1)
    expect(viewer.closedWith).toBeNull()
  })

  it('closes a member that sends garbage with 1007, and nobody else', () => {
    const r = room()
    const [a, b] = [member(4), member(5)]
    r.join(a)
    r.join(b)
    r.receive(a, new Uint8Array([MESSAGE_SYNC, SYNC_UPDATE, 5, 1, 2]))
    expect(a.closedWith?.[1]).toBe(1007)
    expect(b.closedWith).toBeNull()
  })
})
