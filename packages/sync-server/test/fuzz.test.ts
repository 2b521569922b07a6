import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import { seededRandom, waitFor, type RawClient } from '@coedit/test-utils'
import { useTestServer } from './support/test-server.js'
import { encodeAwarenessMessage, encodeQueryAwareness, encodeSyncStep1, encodeUpdate } from '../src/protocol.js'

const harness = useTestServer()

/** Valid frames of every kind the protocol has, from real documents and real presence. */
function validFrames(rnd: () => number): Uint8Array[] {
  const frames: Uint8Array[] = []
  const doc = new Y.Doc()
  doc.clientID = 9_000
  doc.on('update', (update: Uint8Array) => frames.push(encodeUpdate(update)))
  const text = doc.getText('text')
  for (let i = 0; i < 60; i++) {
    if (text.length > 5 && rnd() < 0.3) text.delete(Math.floor(rnd() * (text.length - 2)), 2)
    else text.insert(Math.floor(rnd() * (text.length + 1)), String.fromCharCode(97 + (i % 26)).repeat(1 + Math.floor(rnd() * 4)))
  }
  doc.getMap('meta').set('title', 'fuzz')
  frames.push(encodeSyncStep1(Y.encodeStateVector(doc)), encodeSyncStep1(Y.encodeStateVector(new Y.Doc())))
  for (let i = 0; i < 10; i++) {
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, 1)
    encoding.writeVarUint(encoder, 7_000 + i)
    encoding.writeVarUint(encoder, i + 1)
    encoding.writeVarString(encoder, JSON.stringify({ user: { name: `fuzz ${i}`, color: '#336699' }, cursor: { anchor: i, head: i } }))
    frames.push(encodeAwarenessMessage(encoding.toUint8Array(encoder)))
  }
  doc.destroy()
  return frames
}

function mutate(frame: Uint8Array, rnd: () => number): Uint8Array {
  const bytes = [...frame]
  const edits = 1 + Math.floor(rnd() * 3)
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rnd() * (bytes.length + 1))
    const kind = rnd()
    if (kind < 0.45 && bytes.length > 0) bytes[Math.min(at, bytes.length - 1)] = Math.floor(rnd() * 256)
    else if (kind < 0.6) bytes.splice(at, 0, Math.floor(rnd() * 256))
    else if (kind < 0.75 && bytes.length > 1) bytes.splice(at, 1)
    else if (kind < 0.85) bytes.length = Math.min(bytes.length, at)
    else if (kind < 0.93) bytes.splice(at, 0, ...bytes.slice(0, 8))
    else bytes[Math.min(at, Math.max(0, bytes.length - 1))] = 0xff
  }
  return new Uint8Array(bytes)
}

describe('fuzzing', () => {
  it('survives 10,000 frames mutated from valid ones (seeded): no crash, bystanders keep syncing', async () => {
    const server = await harness.start({ maxMessagesPerSecond: 0, maxBytesPerSecond: 0, maxNewConnectionsPerMinute: 0 })
    const a = harness.client('fuzz')
    const b = harness.client('fuzz')
    await Promise.all([a.synced(), b.synced()])
    const rnd = seededRandom(20261126)
    const valid = validFrames(rnd)
    let socket: RawClient | null = null
    let closes = 0
    const started = performance.now()
    for (let i = 0; i < 10_000; i++) {
      if (!socket || socket.socket.readyState !== socket.socket.OPEN) {
        if (socket) closes++
        socket = await harness.raw('fuzz')
      }
      // Each frame is followed by a probe the server always answers (query-awareness), and the
      // next frame waits for an answer or the close: every frame is really handled.
      const current = socket
      const handled = new Promise<void>((resolve) => {
        current.socket.once('message', () => resolve())
        current.socket.once('close', () => resolve())
      })
      current.send(mutate(valid[Math.floor(rnd() * valid.length)]!, rnd))
      if (current.socket.readyState === current.socket.OPEN) current.send(encodeQueryAwareness())
      await handled
    }
    console.log(`10,000 mutated frames in ${Math.round(performance.now() - started)} ms; ${closes} sessions closed by the server along the way`)
    expect(closes).toBeGreaterThan(1_000)
    expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200)
    a.text.insert(0, 'after the fuzz ')
    await waitFor('the bystanders to converge', () => b.text.toString() === a.text.toString() && b.text.toString().startsWith('after the fuzz '), {
      timeoutMs: 10_000,
    })
    const joiner = harness.client('fuzz')
    await joiner.synced()
    await waitFor('a joiner to get the same document', () => joiner.text.toString() === a.text.toString())
    expect(joiner.doc.store.pendingStructs).toBeNull()
  }, 60_000)
})
