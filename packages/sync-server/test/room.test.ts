import { afterEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import * as Y from 'yjs'
import { pino } from 'pino'
import { tempDir, waitFor } from '@coedit/test-utils'
import { Room, type RoomMember } from '../src/room.js'
import { MemoryStorage, ServerMetrics } from '../src/index.js'
import { SqliteStorage } from '../src/sqlite.js'
import { CommitQueue } from '../src/commit-queue.js'
import type { BatchEntry, DocumentStorage } from '../src/storage/document-storage.js'
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

function room(storage: DocumentStorage = new MemoryStorage(), name = 'unit', commits = new CommitQueue(storage, 0, () => {})): Room {
  return new Room(name, {
    storage,
    commits,
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

/** The real SQLite store, counting its shared commits (and failing them on demand). */
class CountingSqlite extends SqliteStorage {
  commits: string[][] = []
  failWith: Error | null = null
  override appendBatch(entries: readonly BatchEntry[]): void {
    if (this.failWith) throw this.failWith
    this.commits.push(entries.map((entry) => entry.name))
    super.appendBatch(entries)
  }
}

const dirs: Array<{ remove(): void }> = []
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove()
})

function sqlite(): CountingSqlite {
  const dir = tempDir()
  dirs.push(dir)
  return new CountingSqlite({ file: join(dir.path, 'coedit.db') })
}

const relayedTo = (m: { sent: Uint8Array[] }): number => m.sent.filter((frame) => frame[0] === MESSAGE_SYNC && frame[1] === SYNC_UPDATE).length

/** Two rooms of two members each, sharing one group commit. */
function twoRooms(storage: CountingSqlite, windowMs: number) {
  const commits = new CommitQueue(storage, windowMs, () => {})
  const [one, two] = [room(storage, 'one', commits), room(storage, 'two', commits)]
  const [a, b, c, d] = [member(1), member(2), member(3), member(4)]
  one.join(a)
  one.join(b)
  two.join(c)
  two.join(d)
  return { one, two, a, b, c, d }
}

describe('Group commit across rooms', () => {
  it("stores the edits of several rooms in one commit, then relays each room's own", async () => {
    const storage = sqlite()
    const { one, two, a, b, c, d } = twoRooms(storage, 0)
    one.receive(a, typing('first'))
    two.receive(c, typing('second'))
    await waitFor('both rooms to relay', () => relayedTo(b) === 1 && relayedTo(d) === 1)
    expect(storage.commits).toEqual([['one', 'two']])
    expect(relayedTo(a) + relayedTo(c)).toBe(0)
    expect(storage.load('one').updates.length).toBe(1)
    expect(storage.load('two').updates.length).toBe(1)
    storage.close()
  })

  it('under load, edits that arrive within the window after a commit share the next one; a lone edit waits for nothing', async () => {
    const storage = sqlite()
    const { one, two, a, b, c, d } = twoRooms(storage, 1_000)
    two.receive(c, typing('alone'))
    await waitFor('the lone edit to be relayed', () => relayedTo(d) === 1)
    expect(storage.commits).toEqual([['two']])
    // Right after that commit, edits of both rooms in different ticks: with no window each would be a commit of its own.
    one.receive(a, typing('later'))
    await new Promise((resolve) => setImmediate(resolve))
    two.receive(c, typing('also later'))
    await waitFor('both to be relayed', () => relayedTo(b) === 1 && relayedTo(d) === 2)
    expect(storage.commits).toEqual([['two'], ['one', 'two']])
    storage.close()
  })

  it("one room's edits back to back never wait for the window", async () => {
    const storage = sqlite()
    const { one, a, b } = twoRooms(storage, 60_000)
    for (let i = 1; i <= 3; i++) {
      one.receive(a, typing(`edit ${i}`))
      await waitFor(`edit ${i} to be relayed`, () => relayedTo(b) === i)
    }
    expect(storage.commits).toEqual([['one'], ['one'], ['one']])
    storage.close()
  })

  it('stores what waits for the window at once when a joiner must be answered', async () => {
    const storage = sqlite()
    const { one, two, a, b, c } = twoRooms(storage, 5_000)
    one.receive(a, typing('alone'))
    await waitFor('the lone edit to be relayed', () => relayedTo(b) === 1)
    // Another room's edit right after that commit waits for the window; so does this one, queued with it.
    two.receive(c, typing('other room'))
    await new Promise((resolve) => setImmediate(resolve))
    one.receive(a, typing('waiting'))
    const joiner = member(5)
    one.join(joiner)
    one.receive(joiner, new Uint8Array([MESSAGE_SYNC, SYNC_STEP_1, 1, 0]))
    expect(storage.load('one').updates.length).toBe(2)
    expect(relayedTo(b)).toBe(2)
    await two.stored()
    expect(storage.load('two').updates.length).toBe(1)
    storage.close()
  })

  it('a failed commit relays nothing and closes every room it held', async () => {
    const storage = sqlite()
    storage.failWith = new Error('disk full')
    const { one, two, a, b, c, d } = twoRooms(storage, 0)
    one.receive(a, typing('lost'))
    two.receive(c, typing('also lost'))
    await waitFor('the rooms to close', () => b.closedWith !== null && d.closedWith !== null)
    expect(b.closedWith?.[0]).toBe('storage-failed')
    expect(relayedTo(b) + relayedTo(d)).toBe(0)
    storage.failWith = null
    expect(storage.load('one').updates.length).toBe(0)
    storage.close()
  })
})
