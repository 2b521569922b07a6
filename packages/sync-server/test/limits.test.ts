import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { attemptUpgrade, connectClient, rawClient, tempDir, waitFor, type RawClient, type TestClient, type UpgradeOutcome } from '@coedit/test-utils'
import { startTestServer, type TestServer } from './support/test-server.js'
import { SqliteStorage } from '../src/sqlite.js'
import { addressGroup } from '../src/access/connection-limiter.js'
import { MESSAGE_SYNC, encodeSyncStep1, encodeUpdate } from '../src/protocol.js'

let server: TestServer
const clients: TestClient[] = []
const sockets: RawClient[] = []
const dirs: Array<{ remove(): void }> = []

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy()
  for (const s of sockets.splice(0)) s.socket.terminate()
  await server?.close()
  for (const dir of dirs.splice(0)) dir.remove()
})

function client(room: string): TestClient {
  const c = connectClient(server.wsUrl, room)
  clients.push(c)
  return c
}

async function raw(room: string): Promise<RawClient> {
  const r = rawClient(server.wsUrl, room)
  sockets.push(r)
  await r.opened()
  return r
}

function expectStatus(outcome: UpgradeOutcome, status: number, reason: RegExp): void {
  expect(outcome.opened).toBe(false)
  if (outcome.opened) return
  expect(outcome.status).toBe(status)
  expect(outcome.body).toMatch(reason)
}

/** A bystander that must keep syncing while a limit trips for someone else. */
async function expectBystanderUnaffected(bystander: TestClient, other: TestClient): Promise<void> {
  bystander.text.insert(bystander.text.length, '+')
  await waitFor('the bystander edit to cross', () => other.text.toString() === bystander.text.toString())
  expect(bystander.provider.wsconnected).toBe(true)
}

/**
 * A document update frame of exactly `bytes` bytes (text inserted by its own client, so any
 * number of them apply independently). Document updates, not presence: the stock y-websocket
 * client re-sends every presence change it receives, so large presence states from one peer
 * would count against the bystanders' byte budgets too.
 */
function updateFrame(bytes: number, clientId: number): { frame: Uint8Array; chars: number } {
  for (let chars = bytes; chars > 0; chars--) {
    const doc = new Y.Doc()
    doc.clientID = clientId
    doc.getText('text').insert(0, 'x'.repeat(chars))
    const frame = encodeUpdate(Y.encodeStateAsUpdate(doc))
    doc.destroy()
    if (frame.byteLength === bytes) return { frame, chars }
  }
  throw new Error(`cannot build an update frame of ${bytes} bytes`)
}

describe('per-address connection limits', () => {
  it('caps concurrent connections per address at the bound, and frees a slot on close', async () => {
    server = await startTestServer({ maxConnectionsPerIp: 3 })
    const url = `${server.wsUrl}/cap`
    const open: UpgradeOutcome[] = []
    for (let i = 0; i < 3; i++) open.push(await attemptUpgrade(url))
    expect(open.every((o) => o.opened)).toBe(true)
    expectStatus(await attemptUpgrade(url), 429, /more than 3 open connections from this address/)
    const first = open[0]!
    if (first.opened) await first.close()
    await waitFor('the slot to be released', () => server.sync.sessionCount === 2)
    const again = await attemptUpgrade(url)
    expect(again.opened).toBe(true)
    for (const o of [...open.slice(1), again]) if (o.opened) await o.close()
  })

  it('caps new connections per minute per address; refused attempts do not dig deeper', async () => {
    server = await startTestServer({ maxNewConnectionsPerMinute: 5 })
    for (let i = 0; i < 5; i++) {
      const outcome = await attemptUpgrade(`${server.wsUrl}/rate`)
      expect(outcome.opened, `attempt ${i + 1}`).toBe(true)
      if (outcome.opened) await outcome.close()
    }
    expectStatus(await attemptUpgrade(`${server.wsUrl}/rate`), 429, /more than 5 new connections per minute/)
    expectStatus(await attemptUpgrade(`${server.wsUrl}/rate`), 429, /more than 5 new connections per minute/)
    expect(await server.metric('coedit_upgrades_refused_total', { reason: 'ip-rate' })).toBe(2)
  })

  it('groups IPv6 clients by /64 and reads v4-mapped addresses as IPv4', () => {
    expect(addressGroup('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64')
    expect(addressGroup('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64')
    expect(addressGroup('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(addressGroup('::1')).toBe('0:0:0:0::/64')
    expect(addressGroup('::ffff:203.0.113.9')).toBe('203.0.113.9')
    expect(addressGroup('203.0.113.9')).toBe('203.0.113.9')
  })

  it('counts addresses in one /64 together behind a trusted proxy', async () => {
    server = await startTestServer({ maxConnectionsPerIp: 1, trustProxy: true })
    const url = `${server.wsUrl}/v6`
    const a = await attemptUpgrade(url, { headers: { 'X-Forwarded-For': '2001:db8:5:6::1' } })
    expect(a.opened).toBe(true)
    expectStatus(await attemptUpgrade(url, { headers: { 'X-Forwarded-For': '2001:db8:5:6::2' } }), 429, /open connections/)
    const other = await attemptUpgrade(url, { headers: { 'X-Forwarded-For': '2001:db8:5:7::1' } })
    expect(other.opened).toBe(true)
    for (const o of [a, other]) if (o.opened) await o.close()
  })

  it('takes the address from X-Forwarded-For only when told to trust the proxy', async () => {
    server = await startTestServer({ maxConnectionsPerIp: 1, trustProxy: true })
    const url = `${server.wsUrl}/proxied`
    const a = await attemptUpgrade(url, { headers: { 'X-Forwarded-For': '203.0.113.1' } })
    const b = await attemptUpgrade(url, { headers: { 'X-Forwarded-For': '198.51.100.2, 203.0.113.2' } })
    expect(a.opened && b.opened).toBe(true)
    expectStatus(await attemptUpgrade(url, { headers: { 'X-Forwarded-For': '203.0.113.1' } }), 429, /open connections/)
    for (const o of [a, b]) if (o.opened) await o.close()
  })
})

describe('per-session rate limits', () => {
  it('slows a session past its messages per second instead of closing it, and the room carries on', async () => {
    server = await startTestServer({ maxMessagesPerSecond: 20 })
    const bystander = client('flood')
    const other = client('flood')
    await Promise.all([bystander.synced(), other.synced()])
    const emptyStateVector = Y.encodeStateVector(new Y.Doc())

    const burst = await raw('flood')
    const sentAt = performance.now()
    // 10 over the bound: the first 20 are answered at once, the rest as the bucket refills (20/s).
    for (let i = 0; i < 30; i++) burst.send(encodeSyncStep1(emptyStateVector))
    await waitFor('30 answers', () => burst.frames.filter((f) => f[0] === MESSAGE_SYNC && f[1] === 1).length === 30)
    expect(performance.now() - sentAt).toBeGreaterThan(300)
    expect(burst.socket.readyState).toBe(burst.socket.OPEN)
    expect(await server.metric('coedit_sessions_throttled_total')).toBeGreaterThanOrEqual(1)
    expect(await server.metric('coedit_evictions_total', {})).toBe(0)
    await expectBystanderUnaffected(bystander, other)
  })

  it('closes a session that stays over its rate for maxThrottledMs, with 1008', async () => {
    server = await startTestServer({ maxMessagesPerSecond: 20, maxThrottledMs: 500 })
    const bystander = client('sustained')
    const other = client('sustained')
    await Promise.all([bystander.synced(), other.synced()])
    const emptyStateVector = Y.encodeStateVector(new Y.Doc())
    const flood = await raw('sustained')
    let closed: { code: number; reason: string } | null = null
    void flood.closed.then((result) => (closed = result))
    // Twice the rate, for at most 5 s: the close must come long before.
    for (let round = 0; round < 50 && closed === null; round++) {
      for (let i = 0; i < 4 && flood.socket.readyState === flood.socket.OPEN; i++) flood.send(encodeSyncStep1(emptyStateVector))
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    await waitFor('the flood to be closed', () => closed !== null, { timeoutMs: 1_000 })
    expect(closed).toEqual({ code: 1008, reason: 'sent more than 20 messages per second for 0.5 s' })
    expect(await server.metric('coedit_evictions_total', { reason: 'rate-limit' })).toBe(1)
    await expectBystanderUnaffected(bystander, other)
  })

  it('slows a session past its bytes per second, applying everything it sent', async () => {
    server = await startTestServer({ maxBytesPerSecond: 2_000 })
    const bystander = client('bytes')
    const other = client('bytes')
    await Promise.all([bystander.synced(), other.synced()])

    const heavy = await raw('bytes')
    const frames = [updateFrame(1_000, 12), updateFrame(1_500, 14), updateFrame(1_500, 16)]
    const sentAt = performance.now()
    for (const { frame } of frames) heavy.send(frame)
    const total = frames.reduce((sum, f) => sum + f.chars, 0)
    await waitFor('every frame to be applied', () => other.text.length === total)
    // 4 000 bytes against a 2 000-byte bucket refilled at 2 000/s: about a second of waiting.
    expect(performance.now() - sentAt).toBeGreaterThan(700)
    expect(heavy.socket.readyState).toBe(heavy.socket.OPEN)
    await expectBystanderUnaffected(bystander, other)
  })
})

describe('room and document caps', () => {
  it('refuses new rooms past maxLoadedRooms with 503 while loaded rooms keep accepting', async () => {
    server = await startTestServer({ maxLoadedRooms: 2 })
    const a = client('room-a')
    const b = client('room-b')
    await Promise.all([a.synced(), b.synced()])
    expectStatus(await attemptUpgrade(`${server.wsUrl}/room-c`), 503, /too many documents open on this server \(2\)/)
    const a2 = client('room-a')
    await a2.synced()
    await expectBystanderUnaffected(a, a2)
  })

  it('refuses an update that would grow a document past maxDocumentBytes, keeping the document as it was', async () => {
    // Fixed client ids make the encoded sizes the same on every run.
    const author = new Y.Doc()
    author.clientID = 1
    const updates: Uint8Array[] = []
    author.on('update', (update: Uint8Array) => updates.push(update))
    author.getText('text').insert(0, 'a'.repeat(3_000))
    author.getText('text').insert(3_000, 'b'.repeat(500))
    author.getText('text').insert(3_500, 'c'.repeat(20))
    const [first, second, third] = updates as [Uint8Array, Uint8Array, Uint8Array]
    const cap = first.byteLength + second.byteLength

    const dir = tempDir()
    dirs.push(dir)
    const file = join(dir.path, 'coedit.db')
    server = await startTestServer({ maxDocumentBytes: cap, storage: new SqliteStorage({ file }) })
    const bystander = client('big')
    const other = client('big')
    await Promise.all([bystander.synced(), other.synced()])
    const writer = await raw('big')
    writer.send(encodeUpdate(first))
    writer.send(encodeUpdate(second))
    await waitFor('the document to reach the cap', () => bystander.text.length === 3_500)
    writer.send(encodeUpdate(third))
    expect(await writer.closed).toEqual({ code: 1008, reason: `update refused: the document would grow past ${cap} bytes` })
    expect(await server.metric('coedit_evictions_total', { reason: 'document-too-large' })).toBe(1)

    // Deleting stays possible at the cap, and the room carries on.
    bystander.text.delete(0, 10)
    await waitFor('the deletion to cross', () => other.text.length === 3_490)
    expect(other.text.toString()).toBe(bystander.text.toString())
    expect(bystander.text.toString().includes('c')).toBe(false)

    for (const c of clients.splice(0)) c.destroy()
    await server.close()
    server = await startTestServer({ storage: new SqliteStorage({ file }) })
    const reader = client('big')
    await reader.synced()
    expect(reader.text.toString()).toBe('a'.repeat(2_990) + 'b'.repeat(500))
    author.destroy()
  })

  it('accepts an update that lands exactly on maxDocumentBytes and refuses one byte less of room', async () => {
    const author = new Y.Doc()
    author.clientID = 2
    const updates: Uint8Array[] = []
    author.on('update', (update: Uint8Array) => updates.push(update))
    author.getText('text').insert(0, 'z'.repeat(1_000))
    const [only] = updates as [Uint8Array]
    for (const [cap, accepted] of [
      [only.byteLength, true],
      [only.byteLength - 1, false],
    ] as const) {
      server = await startTestServer({ maxDocumentBytes: cap })
      const watcher = client('edge')
      await watcher.synced()
      const writer = await raw('edge')
      writer.send(encodeUpdate(only))
      if (accepted) await waitFor('the update to be relayed', () => watcher.text.length === 1_000)
      else expect((await writer.closed).code).toBe(1008)
      expect(watcher.text.length).toBe(accepted ? 1_000 : 0)
      for (const c of clients.splice(0)) c.destroy()
      await server.close()
    }
    author.destroy()
  })
})
