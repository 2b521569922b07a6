import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { MemoryStorage, type DocumentStorage, type StoredDocument } from '../src/index.js'
import { connectClient, rawClient, waitFor, type TestClient } from '@coedit/test-utils'
import { startTestServer, type TestServer } from './support/test-server.js'
import { decodeMessage, encodeSyncStep1, encodeUpdate } from '../src/protocol.js'

let server: TestServer | undefined
const clients: TestClient[] = []

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy()
  await server?.close()
  server = undefined
})

function client(room: string): TestClient {
  const c = connectClient(server!.wsUrl, room)
  clients.push(c)
  return c
}

/** A storage whose load can be made to fail, to see what the room does about it. */
class FlakyStorage extends MemoryStorage {
  failLoads = false
  failAppends = false
  override load(name: string): StoredDocument {
    if (this.failLoads) throw new Error('disk on fire')
    return super.load(name)
  }
  override append(name: string, updates: readonly Uint8Array[]): void {
    if (this.failAppends) throw new Error('disk full')
    super.append(name, updates)
  }
}

describe('room lifecycle', () => {
  it('unloads a room after its last session leaves and the grace period, visible in /metrics', async () => {
    server = await startTestServer({ roomUnloadDelayMs: 100 })
    const a = client('ephemeral')
    await a.synced()
    a.text.insert(0, 'kept')
    expect(await server.metric('coedit_rooms_loaded')).toBe(1)
    a.destroy()
    await waitFor('the room to unload', async () => (await server!.metric('coedit_rooms_loaded')) === 0, { timeoutMs: 3_000 })
    expect(server.sync.roomCount).toBe(0)
    // Unloading lost nothing: a new session reloads the document from storage.
    const b = client('ephemeral')
    await b.synced()
    await waitFor('the text to come back from storage', () => b.text.toString() === 'kept')
  })

  it('keeps a room loaded while a session comes back within the grace period', async () => {
    server = await startTestServer({ roomUnloadDelayMs: 500 })
    let unloads = 0
    server.sync.on('roomUnloaded', () => unloads++)
    const a = client('sticky')
    await a.synced()
    a.destroy()
    const b = client('sticky')
    await b.synced()
    await new Promise((resolve) => setTimeout(resolve, 700))
    expect(unloads).toBe(0)
    expect(server.sync.roomCount).toBe(1)
  })

  it('refuses connections with 1011 when the document fails to load, and never replaces it with an empty one', async () => {
    const storage = new FlakyStorage()
    server = await startTestServer({ storage, roomUnloadDelayMs: 0 })
    const writer = client('fragile')
    await writer.synced()
    writer.text.insert(0, 'do not lose me')
    await waitFor('the edit to be stored', () => storage.load('fragile').logCount > 0)
    writer.destroy()
    await waitFor('the room to unload', () => server!.sync.roomCount === 0)

    storage.failLoads = true
    const raw = rawClient(server.wsUrl, 'fragile')
    const closed = await raw.closed
    expect(closed).toEqual({ code: 1011, reason: 'document failed to load' })
    expect(await server.metric('coedit_storage_errors_total', { operation: 'load' })).toBe(1)

    storage.failLoads = false
    const reader = client('fragile')
    await reader.synced()
    await waitFor('the stored text once storage is back', () => reader.text.toString() === 'do not lose me')
  })

  it('closes the room instead of relaying an edit it could not store; peers reconnect and nothing is lost', async () => {
    const storage = new FlakyStorage()
    server = await startTestServer({ storage })
    const a = client('disk-full')
    const b = client('disk-full')
    await Promise.all([a.synced(), b.synced()])
    storage.failAppends = true
    a.text.insert(0, 'written while the disk was full')
    await waitFor('the room to close', async () => (await server!.metric('coedit_storage_errors_total', { operation: 'append' })) >= 1)
    storage.failAppends = false
    // Providers reconnect on their own and resync; the edit lives in a's doc and gets stored.
    await waitFor('b to receive the edit after reconnecting', () => b.text.toString() === 'written while the disk was full', { timeoutMs: 5_000 })
    await waitFor('the edit to be stored', () => {
      const doc = new Y.Doc()
      for (const u of storage.load('disk-full').updates) Y.applyUpdate(doc, u)
      return doc.getText('text').toString() === 'written while the disk was full'
    })
  })

  it('queues what arrives while a document loads and answers only after it is loaded', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const inner = new MemoryStorage()
    const seed = new Y.Doc()
    seed.getText('text').insert(0, 'stored before')
    inner.append('slow-load', [Y.encodeStateAsUpdate(seed)])
    const storage: DocumentStorage = {
      load: async (name) => {
        await gate
        return inner.load(name)
      },
      append: (name, updates) => inner.append(name, updates),
      compact: (name, state) => inner.compact(name, state),
      check: () => {},
      close: () => {},
    }
    server = await startTestServer({ storage })
    const early = client('slow-load')
    early.text.insert(0, 'typed while loading, ')
    await new Promise((resolve) => setTimeout(resolve, 100))
    // Nothing yet: an empty sync step 2 now would tell the client the document is empty.
    expect(early.provider.synced).toBe(false)
    release()
    await early.synced()
    await waitFor('the merged text', () => early.text.toString().includes('stored before') && early.text.toString().includes('typed while loading'))
    const later = client('slow-load')
    await later.synced()
    await waitFor('a later client to see both', () => later.text.toString() === early.text.toString())
  })

  it('answers a joiner from the stored bytes, and an edit sent before the document is built is kept', async () => {
    const storage = new MemoryStorage()
    const seed = new Y.Doc()
    seed.getText('text').insert(0, 'stored text')
    storage.compact('warm', Y.encodeStateAsUpdate(seed))
    server = await startTestServer({ storage })
    const raw = rawClient(server.wsUrl, 'warm')
    await raw.opened()
    raw.send(encodeSyncStep1(new Uint8Array([0])))
    const edit = new Y.Doc()
    Y.applyUpdate(edit, Y.encodeStateAsUpdate(seed))
    const before = Y.encodeStateVector(edit)
    edit.getText('text').insert(0, 'new and ')
    raw.send(encodeUpdate(Y.encodeStateAsUpdate(edit, before)))
    const step2 = await waitFor('sync step 2', () => raw.frames.map((f) => decodeMessage(f)).find((m) => m.kind === 'sync-step-2'))
    const copy = new Y.Doc()
    if (step2.kind === 'sync-step-2') Y.applyUpdate(copy, step2.update)
    expect(copy.getText('text').toString()).toContain('stored text')
    // The server's own step 1 follows once its Y.Doc is built.
    await waitFor('sync step 1 from the server', () => raw.frames.some((f) => decodeMessage(f).kind === 'sync-step-1'))
    const reader = client('warm')
    await reader.synced()
    await waitFor('the edit and the stored text together', () => reader.text.toString() === 'new and stored text')
    raw.socket.close()
  })

  it('refuses with 1011 when the stored bytes are not a Yjs document', async () => {
    const storage = new MemoryStorage()
    storage.compact('corrupt', new Uint8Array([9, 9, 9, 200, 1, 2, 3]))
    server = await startTestServer({ storage })
    const raw = rawClient(server.wsUrl, 'corrupt')
    expect(await raw.closed).toEqual({ code: 1011, reason: 'document failed to load' })
    expect(storage.load('corrupt').updates[0]).toEqual(new Uint8Array([9, 9, 9, 200, 1, 2, 3]))
  })

  it('compacts the update log into a snapshot past the threshold', async () => {
    const storage = new MemoryStorage()
    server = await startTestServer({ storage, compactAfterUpdates: 50 })
    const a = client('compact')
    await a.synced()
    for (let i = 0; i < 120; i++) {
      a.text.insert(a.text.length, String(i % 10))
      await new Promise((resolve) => setImmediate(resolve))
    }
    await waitFor('the last edit to be stored', () => {
      const doc = new Y.Doc()
      for (const u of storage.load('compact').updates) Y.applyUpdate(doc, u)
      return doc.getText('text').length === 120
    })
    expect(await server.metric('coedit_compactions_total')).toBeGreaterThanOrEqual(1)
    expect(storage.load('compact').logCount).toBeLessThan(50)
  })
})

describe('graceful shutdown', () => {
  it('closes every session with 1012, and clients reconnect with their edits when the server returns', async () => {
    const storage = new MemoryStorage()
    server = await startTestServer({ storage })
    const port = server.port
    const a = client('restart')
    const b = client('restart')
    await Promise.all([a.synced(), b.synced()])
    a.text.insert(0, 'before restart')
    await waitFor('b to see it', () => b.text.toString() === 'before restart')
    const codes: number[] = []
    b.provider.on('connection-close', (event: { code: number } | null) => {
      if (event) codes.push(event.code)
    })
    await server.close()
    await waitFor('b to see the 1012 close', () => codes.includes(1012))
    // Edits made while the server is away are kept and pushed on reconnect.
    b.text.insert(b.text.length, ' / during outage')
    server = await startTestServer({ storage, port })
    await waitFor('a and b to reconnect and converge', () => a.provider.wsconnected && b.provider.wsconnected && a.text.toString() === b.text.toString(), {
      timeoutMs: 10_000,
    })
    expect(a.text.toString()).toBe('before restart / during outage')
  })
})
