import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { rawClient, readMetric, waitFor, type TestClient } from '@coedit/test-utils'
import { useCli } from './cli-harness.js'
import { protocol } from '@coedit/sync-server'

// No limit flags: these tests are about what a new user gets.
const { cli, client, destroyClients, tempDir } = useCli(['--log-level', 'info', '--web-dir', 'none'])
const DOCUMENTS = 300

describe('the default limits never refuse a legitimate user', () => {
  it('one address opens 300 documents, and after a restart every one is back within 30 s, none refused', async () => {
    const dir = tempDir()
    const first = await cli(['--data-dir', dir])
    // One provider per document, as a bot, an indexer or an office behind one NAT address has;
    // the stock reconnect backoff, as browsers use it.
    const clients: TestClient[] = []
    for (let i = 0; i < DOCUMENTS; i++) clients.push(client(first, `doc-${i}`, { maxBackoffTime: 2_500 }))
    await waitFor(`all ${DOCUMENTS} documents to sync`, () => clients.every((c) => c.provider.synced), { timeoutMs: 30_000 })
    clients.forEach((c, i) => c.text.insert(0, `document ${i}`))
    expect(await readMetric(first.httpUrl, 'coedit_sessions')).toBe(DOCUMENTS)
    await waitFor('every edit to be stored', async () => (await readMetric(first.httpUrl, 'coedit_messages_in_total')) >= DOCUMENTS * 3, { timeoutMs: 10_000 })
    expect(await readMetric(first.httpUrl, 'coedit_upgrades_refused_total', {})).toBe(0)

    first.signal('SIGTERM')
    expect((await first.exited).code).toBe(0)
    const restartedAt = performance.now()
    const second = await cli(['--data-dir', dir, '--port', String(first.port)])
    await waitFor(`all ${DOCUMENTS} clients to reconnect`, () => clients.every((c) => c.provider.wsconnected && c.provider.synced), { timeoutMs: 30_000 })
    const backAfter = performance.now() - restartedAt
    console.log(`${DOCUMENTS} documents from one address back ${Math.round(backAfter)} ms after the restart`)
    expect(backAfter).toBeLessThan(30_000)
    expect(await readMetric(second.httpUrl, 'coedit_sessions')).toBe(DOCUMENTS)
    expect(await readMetric(second.httpUrl, 'coedit_upgrades_refused_total', {})).toBe(0)
    clients.forEach((c, i) => expect(c.text.toString()).toBe(`document ${i}`))
    destroyClients()
  }, 90_000)

  it('a writer sending 1,000 small updates as fast as it can is slowed, not closed, and loses nothing', async () => {
    const server = await cli(['--storage', 'memory'])
    const reader = client(server, 'bulk')
    await reader.synced()
    const writer = rawClient(server.wsUrl, 'bulk')
    await writer.opened()
    const doc = new Y.Doc()
    doc.on('update', (update: Uint8Array) => writer.send(protocol.encodeUpdate(update)))
    const started = performance.now()
    for (let i = 0; i < 1_000; i++) doc.getText('text').insert(i, String(i % 10))
    await waitFor('the reader to have all 1,000 edits', () => reader.text.length === 1_000, { timeoutMs: 20_000 })
    const tookMs = performance.now() - started
    console.log(`1,000 updates sent in one burst arrived in ${Math.round(tookMs)} ms`)
    expect(reader.text.toString()).toBe(doc.getText('text').toString())
    expect(writer.socket.readyState).toBe(writer.socket.OPEN)
    // 300 messages per second by default with a burst of one second: the rest had to wait.
    expect(tookMs).toBeGreaterThan(1_500)
    expect(await readMetric(server.httpUrl, 'coedit_sessions_throttled_total')).toBeGreaterThan(0)
    expect(await readMetric(server.httpUrl, 'coedit_evictions_total', {})).toBe(0)
    writer.socket.close()
    doc.destroy()
  }, 40_000)

  it('ten writers from one address at 200 updates/s each do not starve the server: /healthz and another room stay responsive', async () => {
    const dir = tempDir()
    const server = await cli(['--data-dir', dir])
    const writers = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const socket = rawClient(server.wsUrl, `busy-${i}`)
        await socket.opened()
        const doc = new Y.Doc()
        doc.on('update', (update: Uint8Array) => socket.send(protocol.encodeUpdate(update)))
        return { socket, doc }
      }),
    )
    const [a, b] = [client(server, 'quiet'), client(server, 'quiet')]
    await Promise.all([a.synced(), b.synced()])
    const healthMs: number[] = []
    const crossMs: number[] = []
    const started = performance.now()
    // 5 s of load, 10 updates per writer every 50 ms (200/s each, 2,000/s in all).
    const load = (async () => {
      for (let tick = 0; tick < 100; tick++) {
        for (const w of writers) for (let k = 0; k < 10; k++) w.doc.getText('text').insert(0, 'x')
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    })()
    while (performance.now() - started < 5_000) {
      const t0 = performance.now()
      expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200)
      healthMs.push(performance.now() - t0)
      const t1 = performance.now()
      const mark = `${healthMs.length};`
      a.text.insert(a.text.length, mark)
      await waitFor('the quiet room to follow', () => b.text.toString().endsWith(mark), { timeoutMs: 5_000 })
      crossMs.push(performance.now() - t1)
    }
    await load
    const worst = (values: number[]) => Math.round(Math.max(...values))
    console.log(
      `under 2,000 updates/s from one address: /healthz worst ${worst(healthMs)} ms, an edit in another room worst ${worst(crossMs)} ms (${crossMs.length} samples)`,
    )
    expect(Math.max(...healthMs)).toBeLessThan(1_000)
    expect(Math.max(...crossMs)).toBeLessThan(1_000)
    await waitFor('every busy update to arrive', async () => (await readMetric(server.httpUrl, 'coedit_messages_in_total')) >= 10_000, { timeoutMs: 20_000 })
    expect(await readMetric(server.httpUrl, 'coedit_evictions_total', {})).toBe(0)
    for (const w of writers) {
      w.socket.socket.close()
      w.doc.destroy()
    }
  }, 60_000)
})
