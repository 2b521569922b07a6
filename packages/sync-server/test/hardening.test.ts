import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import { attemptUpgrade, waitFor, type RawClient, type TestClient } from '@coedit/test-utils'
import { useTestServer, type TestServer } from './support/test-server.js'
import { MemoryStorage, TokenAccessPolicy } from '../src/index.js'
import { encodeAwarenessEntries } from '../src/awareness-update.js'
import { encodeAwarenessMessage, encodeSyncStep1, encodeUpdate } from '../src/protocol.js'

// One regression test per finding of the hardening probe (issue 11), with the same input scaled
// to the bound it meets. Each asserts the safe outcome: the sender alone is closed, the others
// keep syncing, the document is intact.

const harness = useTestServer()
const { client, raw } = harness
let server: TestServer

function presence(entries: Array<[clientId: number, clock: number, json: string]>): Uint8Array {
  return encodeAwarenessMessage(encodeAwarenessEntries(entries.map(([clientId, clock, json]) => ({ clientId, clock, json, state: null }))))
}

/** Two stock clients that must keep editing each other while someone misbehaves. */
async function pair(room: string): Promise<[TestClient, TestClient]> {
  const a = client(room)
  const b = client(room)
  await Promise.all([a.synced(), b.synced()])
  a.text.insert(0, 'intact')
  await waitFor('the pair to sync', () => b.text.toString() === 'intact')
  return [a, b]
}

async function stillSyncing(a: TestClient, b: TestClient, mark: string): Promise<void> {
  a.text.insert(a.text.length, mark)
  await waitFor(`"${mark}" to cross`, () => b.text.toString() === a.text.toString())
  expect(a.provider.wsconnected && b.provider.wsconnected).toBe(true)
}

function otherNames(c: TestClient): string[] {
  return [...c.provider.awareness.getStates().entries()]
    .filter(([id]) => id !== c.doc.clientID)
    .map(([, state]) => (state as { user?: { name?: string } }).user?.name ?? '?')
    .sort()
}

describe('presence cannot crash, lock out, grow or forge (items 1, 4, 5, 7, 13)', () => {
  it('a presence state nested thousands deep is refused at the door (1008); the process and the room carry on', async () => {
    server = await harness.start()
    const [a, b] = await pair('deep')
    const attacker = await raw('deep')
    const deep = `{"a":${'['.repeat(3_000)}${']'.repeat(3_000)}}`
    attacker.send(presence([[4242, 1, deep]]))
    expect(await attacker.closed).toEqual({ code: 1008, reason: 'presence state nested deeper than 16 levels' })
    await stillSyncing(a, b, ' after a deep state')
  })

  it('a view-only session cannot lock editors out with a huge presence state', async () => {
    const policy = new TokenAccessPolicy('hardening-test-secret-long-enough-for-hs256')
    server = await harness.start({ access: policy })
    const edit = await policy.sign({ doc: 'big-presence', right: 'edit', expiresAt: Date.now() + 3_600_000 })
    const view = await policy.sign({ doc: 'big-presence', right: 'view', expiresAt: Date.now() + 3_600_000 })
    const a = client('big-presence', { params: { token: edit } })
    const b = client('big-presence', { params: { token: edit } })
    await Promise.all([a.synced(), b.synced()])
    const viewer = await raw('big-presence', { query: `token=${view}` })
    viewer.send(presence([[777, 1, JSON.stringify({ user: { name: 'v', blob: 'x'.repeat(100_000) } })]]))
    expect(await viewer.closed).toEqual({ code: 1008, reason: 'presence state over 8192 bytes' })
    await stillSyncing(a, b, ' editors stay')
    expect(await server.metric('coedit_evictions_total', { reason: 'backpressure' })).toBe(0)
  })

  it('null states for made-up client ids leave no trace, and one connection holds at most 4 ids', async () => {
    server = await harness.start()
    const [a, b] = await pair('ids')
    const before = server.sync.roomInfo('ids')!.presenceClients
    const attacker = await raw('ids')
    const nulls: Array<[number, number, string]> = []
    for (let id = 1_000_000; id < 1_010_000; id++) nulls.push([id, 1, 'null'])
    attacker.send(presence(nulls))
    attacker.send(
      presence([
        [1, 1, '{}'],
        [2, 1, '{}'],
        [3, 1, '{}'],
        [4, 1, '{}'],
      ]),
    )
    attacker.send(presence([[5, 1, '{}']]))
    expect(await attacker.closed).toEqual({ code: 1008, reason: 'presence for more than 4 client ids from one connection' })
    // The 10,000 made-up ids were never recorded; the 4 claimed ones are gone with their holder.
    expect(server.sync.roomInfo('ids')!.presenceClients).toBeLessThanOrEqual(before + 4)
    await stillSyncing(a, b, ' ids')
  })

  it("nobody can rename, remove or freeze someone else's presence; the victim keeps its own", async () => {
    const policy = new TokenAccessPolicy('hardening-test-secret-long-enough-for-hs256')
    server = await harness.start({ access: policy })
    const token = (name: string) => policy.sign({ doc: 'spoof', right: 'edit', expiresAt: Date.now() + 3_600_000, name })
    const victim = client('spoof', { params: { token: await token('victim') } })
    const bystander = client('spoof', { params: { token: await token('bystander') } })
    await Promise.all([victim.synced(), bystander.synced()])
    victim.provider.awareness.setLocalStateField('user', { name: 'Vic', color: '#123456' })
    bystander.provider.awareness.setLocalStateField('user', { name: 'Bea', color: '#654321' })
    await waitFor('both to see each other', () => otherNames(bystander).includes('Vic') && otherNames(victim).includes('Bea'))

    const attacker = await raw('spoof', { query: `token=${await token('mallory')}` })
    const id = victim.doc.clientID
    attacker.send(presence([[id, 1_000, JSON.stringify({ user: { name: 'Hacked', color: '#000000' } })]]))
    attacker.send(presence([[id, 1_001, 'null']]))
    attacker.send(presence([[id, 2 ** 40, JSON.stringify({ user: { name: 'Frozen', color: '#000000' } })]]))
    expect((await attacker.closed).code).toBe(1008)
    expect(await server.metric('coedit_presence_spoofs_dropped_total')).toBeGreaterThanOrEqual(2)
    expect(otherNames(bystander)).toEqual(['Vic'])
    // The victim can still change its own presence.
    victim.provider.awareness.setLocalStateField('user', { name: 'Victoria', color: '#123456' })
    await waitFor('the rename to reach the bystander', () => otherNames(bystander).includes('Victoria'))
  })

  it('a presence colour that is not a hex colour is refused (it would reach peers as a style)', async () => {
    server = await harness.start()
    const [a, b] = await pair('colour')
    const attacker = await raw('colour')
    attacker.send(presence([[99, 1, JSON.stringify({ user: { name: 'x', color: 'url(http://evil.example/track)' } })]]))
    expect(await attacker.closed).toEqual({ code: 1008, reason: 'presence colour must be a hex colour like #1a2b3c' })
    await stillSyncing(a, b, ' colour')
  })
})

describe('updates that cannot apply are not kept (items 6, 12)', () => {
  it('structs after a gap and deletions of unknown ranges are dropped, never served nor stored, and the sender closed', async () => {
    const storage = new MemoryStorage()
    server = await harness.start({ storage })
    const [a, b] = await pair('gaps')
    const author = new Y.Doc()
    author.clientID = 5_000
    const updates: Uint8Array[] = []
    author.on('update', (update: Uint8Array) => updates.push(update))
    author.getText('text').insert(0, 'one')
    author.getText('text').insert(3, 'two')
    author.getText('text').delete(0, 3)
    const gap = await raw('gaps')
    gap.send(encodeUpdate(updates[1]!)) // builds on 'one', which the server never got
    expect(await gap.closed).toEqual({ code: 1008, reason: 'update refers to content this document does not have; that part was dropped' })
    const ghost = await raw('gaps')
    ghost.send(encodeUpdate(updates[2]!)) // deletes what the server never got
    expect((await ghost.closed).code).toBe(1008)
    expect(await server.metric('coedit_updates_incomplete_total')).toBe(2)
    await stillSyncing(a, b, ' gaps')

    const joiner = client('gaps')
    await joiner.synced()
    expect(joiner.text.toString()).toBe(a.text.toString())
    expect(joiner.doc.store.pendingStructs).toBeNull()
    expect(joiner.doc.store.pendingDs).toBeNull()
    const stored = new Y.Doc()
    for (const update of storage.load('gaps').updates) Y.applyUpdate(stored, update)
    expect(stored.store.pendingStructs).toBeNull()
    expect(stored.store.pendingDs).toBeNull()
    expect(stored.getText('text').toString()).toBe(a.text.toString())
  })

  it('an update Yjs decodes but cannot apply closes only its sender (1007); the room is not reset', async () => {
    server = await harness.start()
    const [a, b] = await pair('unapplicable')
    const base = new Y.Doc()
    base.clientID = 1
    base.getText('text').insert(0, 'hello')
    base.getMap('m').set('k', 'v')
    const sender = await raw('unapplicable')
    sender.send(encodeUpdate(Y.encodeStateAsUpdate(base)))
    await waitFor('the base content to arrive', () => a.text.toString().includes('hello'))
    // Found by mutating a valid update byte by byte: Y.decodeUpdate accepts it, Y.applyUpdate throws.
    const poison = new Uint8Array([1, 1, 2, 0, 0, 1, 1, 1, 2, 2, 88, 89, 0])
    expect(() => Y.decodeUpdate(poison)).not.toThrow()
    for (let i = 0; i < 10; i++) {
      const s = i === 0 ? sender : await raw('unapplicable')
      s.send(encodeUpdate(poison))
      expect((await s.closed).code).toBe(1007)
    }
    expect(await server.metric('coedit_sessions_closed_total', { cause: 'room-reset' })).toBe(0)
    await stillSyncing(a, b, ' unreset')
  })
})

describe('one message cannot cost everyone (items 3, 9, 10, 11)', () => {
  it('a document larger than the send-buffer cap is served to every joiner, not evicted as a slow consumer', async () => {
    server = await harness.start({ maxBufferedBytes: 256 * 1024 })
    const writer = client('large')
    await writer.synced()
    writer.text.insert(0, 'x'.repeat(1_500_000))
    const reader = client('large')
    await reader.synced(20_000)
    await waitFor('the reader to hold the document', () => reader.text.length === 1_500_000, { timeoutMs: 20_000 })
    writer.text.insert(0, 'after ')
    await waitFor('a following edit to reach the reader', () => reader.text.toString().startsWith('after '))
    expect(await server.metric('coedit_evictions_total', { reason: 'backpressure' })).toBe(0)
  })

  it('a state vector listing a million made-up clients is refused without building the answer', async () => {
    server = await harness.start()
    const [a, b] = await pair('sv')
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, 200_000)
    for (let i = 0; i < 200_000; i++) {
      encoding.writeVarUint(encoder, 10_000_000 + i)
      encoding.writeVarUint(encoder, 1)
    }
    const attacker = await raw('sv')
    attacker.send(encodeSyncStep1(encoding.toUint8Array(encoder)))
    const closed = await attacker.closed
    expect(closed.code).toBe(1008)
    expect(closed.reason).toMatch(/lists far more clients than this document has/)
    await stillSyncing(a, b, ' sv')
  })

  it('clients that never read are dropped, greediest first, once the server-wide unsent budget is spent', async () => {
    const budget = 8 * 1024 * 1024
    server = await harness.start({ maxTotalBufferedBytes: budget, maxBufferedBytes: 64 * 1024 * 1024 })
    const writer = client('hoard')
    await writer.synced()
    writer.text.insert(0, 'y'.repeat(2_000_000))
    await waitFor('the document to be in the room', () => server.sync.roomInfo('hoard')?.text.length === 2_000_000)
    const hoarders: RawClient[] = []
    for (let i = 0; i < 6; i++) {
      const h = await raw('hoard')
      // Stop reading: the kernel buffers fill and everything else queues in the server.
      ;(h.socket as unknown as { _socket: { pause(): void } })._socket.pause()
      hoarders.push(h)
    }
    // Each asks four times with a different state vector, so no answer is shared.
    for (const h of hoarders) for (let k = 0; k < 4; k++) h.send(encodeSyncStep1(new Uint8Array([1, 100 + k, 1])))
    const unsent = (): number => {
      let total = 0
      for (const s of (server.sync as unknown as { sessions: Set<{ bufferedAmount: number }> }).sessions) total += s.bufferedAmount
      return total
    }
    // The paused clients cannot see their sockets close; the server's count and total show it.
    await waitFor('hoarders to be dropped', async () => (await server.metric('coedit_evictions_total', { reason: 'backpressure' })) > 0, { timeoutMs: 10_000 })
    await waitFor('the unsent total to be back under the budget', () => unsent() <= budget, { timeoutMs: 5_000 })
    expect(server.sync.sessionCount).toBeGreaterThan(1)
    writer.text.insert(0, 'still ')
    await waitFor('the writer to keep its session', () => server.sync.roomInfo('hoard')?.text.startsWith('still ') === true)
  })
})

describe('per-address send budget (item 11)', () => {
  it("drops the greediest connections of an address past its budget, and leaves other addresses' alone", async () => {
    server = await harness.start({ maxBufferedBytesPerAddress: 4 * 1024 * 1024, maxBufferedBytes: 64 * 1024 * 1024, trustProxy: true })
    const writer = client('per-address')
    await writer.synced()
    writer.text.insert(0, 'z'.repeat(2_000_000))
    await waitFor('the document to be in the room', () => server.sync.roomInfo('per-address')?.text.length === 2_000_000)
    const stopReading = (h: RawClient): void => (h.socket as unknown as { _socket: { pause(): void } })._socket.pause()
    const greedy: RawClient[] = []
    for (let i = 0; i < 3; i++) {
      const h = await raw('per-address', { headers: { 'X-Forwarded-For': '198.51.100.7' } })
      stopReading(h)
      greedy.push(h)
    }
    const modest = await raw('per-address', { headers: { 'X-Forwarded-For': '203.0.113.9' } })
    stopReading(modest)
    for (const h of greedy) for (let k = 0; k < 4; k++) h.send(encodeSyncStep1(new Uint8Array([1, 100 + k, 1])))
    modest.send(encodeSyncStep1(new Uint8Array([1, 100, 1])))
    type Held = { address: string; isOpen: boolean; bufferedAmount: number }
    const sessions = (): Held[] => [...(server.sync as unknown as { sessions: Set<Held> }).sessions]
    const unsentFrom = (address: string): number =>
      sessions()
        .filter((s) => s.address === address && s.isOpen)
        .reduce((sum, s) => sum + s.bufferedAmount, 0)
    await waitFor(
      'the greedy address to be dropped under its budget',
      async () => (await server.metric('coedit_evictions_total', { reason: 'backpressure' })) > 0,
      { timeoutMs: 10_000 },
    )
    await waitFor('its unsent bytes to be under the budget', () => unsentFrom('198.51.100.7') <= 4 * 1024 * 1024)
    expect(sessions().some((s) => s.address === '203.0.113.9' && s.isOpen)).toBe(true)
  })
})

describe('the upgrade (items 15, 16)', () => {
  it('never echoes a token in Sec-WebSocket-Protocol', async () => {
    const policy = new TokenAccessPolicy('hardening-test-secret-long-enough-for-hs256')
    server = await harness.start({ access: policy })
    const token = await policy.sign({ doc: 'echo', right: 'edit', expiresAt: Date.now() + 3_600_000 })
    const withCoedit = await attemptUpgrade(`${server.wsUrl}/echo`, { protocols: ['coedit', `coedit-token.${token}`] })
    expect(withCoedit.opened && withCoedit.protocol).toBe('coedit')
    if (withCoedit.opened) await withCoedit.close()
    // Only the token offered: the server names no protocol, and the client gives up (never the token back).
    await expect(attemptUpgrade(`${server.wsUrl}/echo`, { protocols: [`coedit-token.${token}`] })).rejects.toThrow(/no subprotocol/)
  })

  it('refuses upgrades addressed to a host it does not answer to (DNS rebinding)', async () => {
    server = await harness.start({ allowedHosts: ['loopback'] })
    const url = `${server.wsUrl}/rebind`
    const refused = await attemptUpgrade(url, { headers: { host: 'evil.example', origin: 'http://evil.example' } })
    expect(refused).toMatchObject({ opened: false, status: 403, body: 'host evil.example is not allowed' })
    const fine = await attemptUpgrade(url, { headers: { host: `localhost:${server.port}` } })
    expect(fine.opened).toBe(true)
    if (fine.opened) await fine.close()
  })
})

describe('deeply nested shared types (item 8)', () => {
  function nestedMaps(depth: number, clientId: number): Uint8Array[] {
    const doc = new Y.Doc()
    doc.clientID = clientId
    const updates: Uint8Array[] = []
    doc.on('update', (update: Uint8Array) => updates.push(update))
    doc.transact(() => {
      let map = doc.getMap('root')
      for (let level = 0; level < depth; level++) {
        const child = new Y.Map<unknown>()
        map.set('child', child)
        map = child
      }
    })
    return updates
  }

  it('refuses an update nesting maps thousands deep before applying it; the room carries on', async () => {
    server = await harness.start()
    const [a, b] = await pair('nest')
    const attacker = await raw('nest')
    const started = performance.now()
    attacker.send(encodeUpdate(nestedMaps(8_000, 31_337)[0]!))
    expect(await attacker.closed).toEqual({ code: 1008, reason: 'update refused: shared types nested deeper than 32 levels' })
    expect(performance.now() - started).toBeLessThan(2_000)
    await stillSyncing(a, b, ' nest')
  })

  it('accepts ordinary nesting, and counts depth across updates', async () => {
    server = await harness.start()
    const writer = await raw('layers')
    const doc = new Y.Doc()
    doc.clientID = 4_242
    const updates: Uint8Array[] = []
    doc.on('update', (update: Uint8Array) => updates.push(update))
    // 20 levels in one update: fine.
    let map = doc.getMap('root')
    doc.transact(() => {
      for (let level = 0; level < 20; level++) {
        const child = new Y.Map<unknown>()
        map.set('child', child)
        map = child
      }
    })
    writer.send(encodeUpdate(updates[0]!))
    // 20 more below the first 20, in a second update: 40 in all, refused.
    doc.transact(() => {
      for (let level = 0; level < 20; level++) {
        const child = new Y.Map<unknown>()
        map.set('child', child)
        map = child
      }
    })
    writer.send(encodeUpdate(updates[1]!))
    expect((await writer.closed).reason).toBe('update refused: shared types nested deeper than 32 levels')
    const reader = client('layers')
    await reader.synced()
    let depth = 0
    let current = reader.doc.getMap('root').get('child') as Y.Map<unknown> | undefined
    while (current) {
      depth++
      current = current.get('child') as Y.Map<unknown> | undefined
    }
    expect(depth).toBe(20)
  })
})
