import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { connectClient, rawClient, waitFor, type TestClient, seededRandom } from '@coedit/test-utils'
import { startTestServer, type TestServer } from './support/test-server.js'
import { decodeMessage, encodeSyncStep1, encodeUpdate } from '../src/protocol.js'

let server: TestServer
const clients: TestClient[] = []

function client(room: string): TestClient {
  const c = connectClient(server.wsUrl, room)
  clients.push(c)
  return c
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy()
  await server?.close()
})

describe('sync through the server', () => {
  it('converges when several clients make random concurrent edits', async () => {
    server = await startTestServer()
    const peers = [client('converge'), client('converge'), client('converge'), client('converge')]
    await Promise.all(peers.map((p) => p.synced()))
    const rnd = seededRandom(42)
    const inserted = new Map<TestClient, number>()
    for (let round = 0; round < 200; round++) {
      const peer = peers[Math.floor(rnd() * peers.length)]!
      const length = peer.text.length
      if (length > 10 && rnd() < 0.25) {
        peer.text.delete(Math.floor(rnd() * (length - 3)), 1 + Math.floor(rnd() * 3))
      } else {
        peer.text.insert(Math.floor(rnd() * (length + 1)), String.fromCharCode(97 + (round % 26)))
        inserted.set(peer, (inserted.get(peer) ?? 0) + 1)
      }
      // Interleave with the network so edits really are concurrent, not one batch at the end.
      if (round % 20 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    const expected = peers[0]!.doc
    await waitFor('all peers to hold the same text', () => {
      const texts = peers.map((p) => p.text.toString())
      return texts.every((t) => t === texts[0]) && peers.every((p) => Y.encodeStateVector(p.doc).toString() === Y.encodeStateVector(expected).toString())
    })
    expect(peers[0]!.text.length).toBeGreaterThan(0)
    expect(inserted.size).toBeGreaterThan(1)
  })

  it('gives a late joiner the full document', async () => {
    server = await startTestServer()
    const early = client('late')
    await early.synced()
    early.text.insert(0, 'hello world, this was written before you came')
    early.doc.getMap('meta').set('title', 'late joiner')
    const late = client('late')
    await late.synced()
    await waitFor('late joiner to receive the text', () => late.text.toString() === early.text.toString())
    expect(late.doc.getMap('meta').get('title')).toBe('late joiner')
  })

  it('keeps rooms isolated', async () => {
    server = await startTestServer()
    const a1 = client('room-a')
    const a2 = client('room-a')
    const b1 = client('room-b')
    await Promise.all([a1.synced(), a2.synced(), b1.synced()])
    a1.text.insert(0, 'only in a')
    b1.text.insert(0, 'only in b')
    await waitFor('a2 to see a1', () => a2.text.toString() === 'only in a')
    const b2 = client('room-b')
    await b2.synced()
    await waitFor('b2 to see b1', () => b2.text.toString() === 'only in b')
    expect(a2.text.toString()).toBe('only in a')
    expect(b1.text.toString()).toBe('only in b')
  })

  it('does not echo an update back to its sender', async () => {
    server = await startTestServer()
    const watcher = client('echo')
    await watcher.synced()
    const raw = rawClient(server.wsUrl, 'echo')
    await raw.opened()
    // Handshake like a real client, then send one update.
    raw.send(encodeSyncStep1(new Uint8Array([0])))
    await waitFor('sync step 2 from the server', () => raw.frames.some((f) => decodeMessage(f).kind === 'sync-step-2'))
    const doc = new Y.Doc()
    doc.getText('text').insert(0, 'x')
    raw.send(encodeUpdate(Y.encodeStateAsUpdate(doc)))
    await waitFor('the other client to receive it', () => watcher.text.toString() === 'x')
    // The watcher sends nothing, so another raw message round-trip shows the server is idle.
    watcher.text.insert(1, 'y')
    await waitFor('the raw client to receive the watcher edit', () => raw.frames.filter((f) => decodeMessage(f).kind === 'update').length >= 1)
    const updates = raw.frames.map((f) => decodeMessage(f)).filter((m) => m.kind === 'update')
    expect(updates).toHaveLength(1)
    const authors = updates.flatMap((u) => (u.kind === 'update' ? Y.decodeUpdate(u.update).structs.map((s) => s.id.client) : []))
    // Only the watcher's 'y' came back, never our own 'x'.
    expect(authors).toEqual([watcher.doc.clientID])
    expect(authors).not.toContain(doc.clientID)
    raw.socket.close()
    doc.destroy()
  })
})
