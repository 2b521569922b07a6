import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { UpdateRelay, relay, type RelayTarget } from '../src/update-relay.js'
import { decodeMessage } from '../src/protocol.js'
import { waitFor } from '@coedit/test-utils'

type Peer = { name: string; doc: Y.Doc }

function target(peers: Peer[]): RelayTarget<Peer> & { frames: Map<Peer, Uint8Array[]> } {
  const frames = new Map<Peer, Uint8Array[]>(peers.map((p) => [p, []]))
  return {
    sessions: new Set(peers),
    frames,
    send: (peer, frame) => {
      frames.get(peer)!.push(frame)
      const message = decodeMessage(frame)
      if (message.kind === 'update') Y.applyUpdate(peer.doc, message.update)
      return true
    },
    sent: () => {},
  }
}

function edit(peer: Peer, text: string): Uint8Array {
  const before = Y.encodeStateVector(peer.doc)
  peer.doc.getText('t').insert(peer.doc.getText('t').length, text)
  return Y.encodeStateAsUpdate(peer.doc, before)
}

const peer = (name: string): Peer => ({ name, doc: new Y.Doc() })

describe('relay', () => {
  it("sends each peer everyone's updates but its own, one frame per peer", () => {
    const [a, b, c] = [peer('a'), peer('b'), peer('c')]
    const t = target([a, b, c])
    relay(
      [
        { update: edit(a, 'A'), origin: a },
        { update: edit(b, 'B'), origin: b },
      ],
      t,
    )
    expect(t.frames.get(a)).toHaveLength(1)
    expect(t.frames.get(b)).toHaveLength(1)
    expect(t.frames.get(c)).toHaveLength(1)
    expect(a.doc.getText('t').toString().split('').sort().join('')).toBe('AB')
    expect(c.doc.getText('t').length).toBe(2)
    // a's frame holds only b's update: no echo.
    const message = decodeMessage(t.frames.get(a)![0]!)
    if (message.kind !== 'update') throw new Error('expected an update')
    expect(Y.decodeUpdate(message.update).structs.every((s) => s.id.client === b.doc.clientID)).toBe(true)
  })
})

describe('UpdateRelay', () => {
  it('relays a lone edit at once, and batches updates that keep coming within the window', async () => {
    const [a, b, c] = [peer('a'), peer('b'), peer('c')]
    const t = target([a, b, c])
    const relayer = new UpdateRelay(t, 30)
    relayer.push([{ update: edit(a, '1'), origin: a }])
    expect(t.frames.get(c)).toHaveLength(1)
    // Two at once: sent now, and marks the room as busy.
    relayer.push([
      { update: edit(a, '2'), origin: a },
      { update: edit(b, 'x'), origin: b },
    ])
    expect(t.frames.get(c)).toHaveLength(2)
    // While busy, further updates wait for the window and then go out together.
    for (let i = 0; i < 5; i++) relayer.push([{ update: edit(a, String(i)), origin: a }])
    expect(t.frames.get(c)).toHaveLength(2)
    await waitFor('the batched frame', () => t.frames.get(c)!.length === 3, { timeoutMs: 1_000 })
    expect(c.doc.getText('t').length).toBe(a.doc.getText('t').length)
    relayer.dispose()
  })
})
