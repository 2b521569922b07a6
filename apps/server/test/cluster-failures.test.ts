import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { readFileSync } from 'node:fs'
import { readMetric, startPostgres, startRedis, waitFor, type CliProcess, type ServiceProcess, type TestClient } from '@coedit/test-utils'
import { useCli } from './cli-harness.js'
import { storedText, logRows } from './stored-in-postgres.js'

/**
 * Two coedit processes sharing documents through a real Redis and a real PostgreSQL while
 * one of those services, or one of the servers, fails under steady editing.
 */
let redis: ServiceProcess
let postgres: ServiceProcess
const { cli, client, track } = useCli(['--log-level', 'debug', '--web-dir', 'none'], () => ({
  REDIS_URL: redis.url,
  DATABASE_URL: postgres.url,
}))

beforeAll(async () => {
  ;[redis, postgres] = await Promise.all([startRedis(), startPostgres()])
}, 60_000)

afterAll(async () => {
  await Promise.all([redis?.stop(), postgres?.stop()])
})

/**
 * Every client types a unique token every `everyMs` until stopped; a token is only typed into
 * a client that is connected or not (offline edits are the point), so each one is an edit its
 * typist saw.
 */
function steadyTyping(peers: TestClient[], everyMs: number): { stop(): Promise<string[][]> } {
  const typed: string[][] = peers.map(() => [])
  const prefix = Math.random().toString(36).slice(2, 6)
  let running = true
  const loops = peers.map(async (peer, p) => {
    for (let i = 0; running && i < 10_000; i++) {
      const token = `<${prefix}${p}.${i}>`
      peer.text.insert(peer.text.length, token)
      typed[p]!.push(token)
      await new Promise((resolve) => setTimeout(resolve, everyMs))
    }
  })
  return {
    async stop() {
      running = false
      await Promise.all(loops)
      return typed
    },
  }
}

async function converged(peers: TestClient[], timeoutMs: number): Promise<string> {
  await waitFor(
    'every client to hold the same document',
    () => {
      const texts = peers.map((p) => p.text.toString())
      return texts.every((t) => t === texts[0])
    },
    { timeoutMs },
  )
  return peers[0]!.text.toString()
}

async function healthOf(server: CliProcess): Promise<{ status: number; body: string }> {
  const response = await fetch(`${server.httpUrl}/healthz`)
  return { status: response.status, body: await response.text() }
}

function rssBytes(server: CliProcess): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))![1]) * 1024
}

async function dropped(server: CliProcess): Promise<number> {
  let total = 0
  for (const type of ['u', 'a', 'h', 's', 'd']) total += await readMetric(server.httpUrl, 'coedit_relay_dropped_total', { type })
  return total
}

function expectEveryToken(text: string, typed: readonly string[]): void {
  const missing = typed.filter((token) => !text.includes(token))
  expect(missing, `${missing.length} of ${typed.length} typed edits missing`).toEqual([])
}

describe('a cluster whose services fail under steady editing', () => {
  it('Redis away for a minute: the outbox stays within its limit (the rest dropped and counted), memory stays flat, everyone converges after', async () => {
    const limit = 200
    const [a, b] = await Promise.all([cli(['--relay-queue-limit', String(limit)]), cli(['--relay-queue-limit', String(limit)])])
    const rooms = ['away-1', 'away-2', 'away-3']
    const peers = rooms.flatMap((room) => [client(a, room, { maxBackoffTime: 500 }), client(b, room, { maxBackoffTime: 500 })])
    await Promise.all(peers.map((p) => p.synced()))
    const typing = steadyTyping(peers, 50)
    await waitFor('edits flowing between the servers', () => peers.every((p) => p.text.length > 0), { timeoutMs: 5_000 })
    const rssBefore = rssBytes(a)
    await redis.kill()
    const outageMs = Number(process.env.REDIS_OUTAGE_MS ?? 60_000)
    const started = Date.now()
    let queuedMax = 0
    let rssMax = rssBefore
    while (Date.now() - started < outageMs) {
      queuedMax = Math.max(queuedMax, await readMetric(a.httpUrl, 'coedit_relay_queued'), await readMetric(b.httpUrl, 'coedit_relay_queued'))
      rssMax = Math.max(rssMax, rssBytes(a))
      await new Promise((resolve) => setTimeout(resolve, 1_000))
    }
    expect((await healthOf(a)).status).toBe(503)
    const droppedA = await dropped(a)
    await redis.start()
    await waitFor('both servers healthy again', async () => (await healthOf(a)).status === 200 && (await healthOf(b)).status === 200, { timeoutMs: 15_000 })
    const typed = await typing.stop()
    // Peers 2r and 2r + 1 share room r, one on each server: each room holds both one's edits.
    for (const [r, room] of rooms.entries()) {
      const text = await converged([peers[2 * r]!, peers[2 * r + 1]!], 20_000)
      expect(text.length, room).toBeGreaterThan(0)
      expectEveryToken(text, [...typed[2 * r]!, ...typed[2 * r + 1]!])
    }
    const edits = typed.reduce((sum, tokens) => sum + tokens.length, 0)
    console.log(
      `Redis away ${outageMs / 1000} s: ${edits} edits typed; outbox at most ${queuedMax} of ${limit}; ${droppedA} messages dropped on A; ` +
        `RSS of A ${(rssBefore / 2 ** 20).toFixed(1)} → at most ${(rssMax / 2 ** 20).toFixed(1)} MiB`,
    )
    expect(queuedMax).toBeLessThanOrEqual(limit)
    expect(droppedA).toBeGreaterThan(0)
    expect(rssMax - rssBefore).toBeLessThan(64 * 2 ** 20)
  }, 150_000)

  it('PostgreSQL stopped for 30 s during editing on two servers: /healthz says so, no edit anyone saw is lost, the same clients recover', async () => {
    const [a, b] = await Promise.all([cli(), cli()])
    const peers = [client(a, 'pg-away', { maxBackoffTime: 500 }), client(b, 'pg-away', { maxBackoffTime: 500 }), client(a, 'pg-away', { maxBackoffTime: 500 })]
    await Promise.all(peers.map((p) => p.synced()))
    const typing = steadyTyping(peers, 100)
    await waitFor('edits flowing', () => peers.every((p) => p.text.length > 20), { timeoutMs: 5_000 })
    await postgres.kill()
    await waitFor('both servers to report storage unhealthy', async () => (await healthOf(a)).status === 503 && (await healthOf(b)).status === 503, {
      timeoutMs: 10_000,
    })
    await new Promise((resolve) => setTimeout(resolve, 30_000))
    await postgres.start()
    await waitFor('both servers healthy again', async () => (await healthOf(a)).status === 200 && (await healthOf(b)).status === 200, { timeoutMs: 20_000 })
    const typed = (await typing.stop()).flat()
    const text = await converged(peers, 30_000)
    expectEveryToken(text, typed)
    await waitFor('PostgreSQL to hold everything the clients hold', async () => (await storedText(postgres.url, 'pg-away')) === text, { timeoutMs: 15_000 })
    console.log(`PostgreSQL away 30 s: ${typed.length} edits typed on two servers, all converged and stored`)
  }, 120_000)

  it('kill -9 of a server while it compacts: nothing is lost, and the other server compacts the document later', async () => {
    // Compacting every 20 updates on both; the big document makes each compaction take a while.
    const [a, b] = await Promise.all([cli(['--compact-after-updates', '20']), cli(['--compact-after-updates', '20'])])
    const seed = client(a, 'compact-kill')
    await seed.synced()
    seed.text.insert(0, 'x'.repeat(200_000))
    const onA = client(a, 'compact-kill', { maxBackoffTime: 500 })
    const onB = client(b, 'compact-kill', { maxBackoffTime: 500 })
    await Promise.all([onA.synced(), onB.synced()])
    const typing = steadyTyping([onA, onB, seed], 5)
    // The line is logged as the compaction's transaction is sent to PostgreSQL.
    await waitFor('A to start a compaction', () => a.logs.some((line) => line.msg === 'compacted update log' && line.room === 'compact-kill'), {
      timeoutMs: 15_000,
      intervalMs: 1,
    })
    a.signal('SIGKILL')
    await a.exited
    const typed = (await typing.stop()).flat()
    const compactionsOnB = await readMetric(b.httpUrl, 'coedit_compactions_total')
    // A's clients move to B with what they hold, typed edits A never answered included.
    const moved = [onA, seed].map((gone) => {
      gone.provider.disconnect()
      const next = track(client(b, 'compact-kill', { maxBackoffTime: 500 }))
      Y.applyUpdate(next.doc, Y.encodeStateAsUpdate(gone.doc))
      return next
    })
    const text = await converged([onB, ...moved], 20_000)
    expectEveryToken(text, typed)
    const more = steadyTyping([onB], 5)
    await waitFor('B to compact the document', async () => (await readMetric(b.httpUrl, 'coedit_compactions_total')) > compactionsOnB, { timeoutMs: 20_000 })
    const after = (await more.stop()).flat()
    const final = await converged([onB, ...moved], 10_000)
    expectEveryToken(final, [...typed, ...after])
    await waitFor(
      'the stored document to match, its log folded',
      async () => (await storedText(postgres.url, 'compact-kill')) === final && (await logRows(postgres.url, 'compact-kill')) < 40,
      {
        timeoutMs: 15_000,
      },
    )
  }, 90_000)
})
