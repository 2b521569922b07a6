import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness'
import { connectClient, rawClient, spawnPresenceClient, waitFor, type PresenceProcess, type TestClient } from '@coedit/test-utils'
import { startTestServer, type TestServer } from './support/test-server.js'
import { encodeAwarenessMessage, encodeSyncStep1 } from '../src/protocol.js'

let server: TestServer
const clients: TestClient[] = []
const processes: PresenceProcess[] = []

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy()
  for (const p of processes.splice(0)) p.kill('SIGKILL')
  await server?.close()
})

function watcher(room: string): TestClient {
  const c = connectClient(server.wsUrl, room)
  clients.push(c)
  return c
}

function names(client: TestClient): string[] {
  return [...client.provider.awareness.getStates().values()].map((s) => (s.user as { name?: string } | undefined)?.name ?? '').filter(Boolean)
}

/** A raw socket that announces a presence state and can then vanish without saying goodbye. */
async function rawPresence(room: string, name: string): Promise<{ clientId: number; raw: ReturnType<typeof rawClient> }> {
  const raw = rawClient(server.wsUrl, room)
  await raw.opened()
  const doc = new Y.Doc()
  const awareness = new Awareness(doc)
  awareness.setLocalState({ user: { name } })
  raw.send(encodeSyncStep1(Y.encodeStateVector(doc)))
  raw.send(encodeAwarenessMessage(encodeAwarenessUpdate(awareness, [doc.clientID])))
  const clientId = doc.clientID
  awareness.destroy()
  doc.destroy()
  return { clientId, raw }
}

describe('presence', () => {
  it('shows a peer and removes it at once when its socket closes without a goodbye', async () => {
    server = await startTestServer()
    const alice = watcher('presence')
    alice.provider.awareness.setLocalStateField('user', { name: 'alice' })
    await alice.synced()
    const bob = await rawPresence('presence', 'bob')
    await waitFor('alice to see bob', () => names(alice).includes('bob'))
    // A close frame but no null awareness state: the server must announce the departure.
    bob.raw.socket.close(1000)
    await waitFor('bob to disappear from alice', () => !names(alice).includes('bob'), { timeoutMs: 1_000 })

    const carol = await rawPresence('presence', 'carol')
    await waitFor('alice to see carol', () => names(alice).includes('carol'))
    // No close frame at all: the TCP connection just ends.
    carol.raw.socket.terminate()
    await waitFor('carol to disappear from alice', () => !names(alice).includes('carol'), { timeoutMs: 1_000 })
    expect(names(alice)).toEqual(['alice'])
  })

  it('sends a newcomer the presence of everyone already there', async () => {
    server = await startTestServer()
    const alice = watcher('roster')
    alice.provider.awareness.setLocalStateField('user', { name: 'alice' })
    const bob = watcher('roster')
    bob.provider.awareness.setLocalStateField('user', { name: 'bob' })
    await Promise.all([alice.synced(), bob.synced()])
    await waitFor('bob to see alice', () => names(bob).includes('alice'))
    const carol = watcher('roster')
    await carol.synced()
    await waitFor('carol to see alice and bob', () => names(carol).includes('alice') && names(carol).includes('bob'))
  })

  it('evicts a frozen client (SIGSTOP) by heartbeat and removes its presence within interval + timeout', async () => {
    server = await startTestServer({ heartbeatIntervalMs: 500, heartbeatTimeoutMs: 500 })
    const alice = watcher('frozen')
    alice.provider.awareness.setLocalStateField('user', { name: 'alice' })
    await alice.synced()
    const frozen = await spawnPresenceClient(server.wsUrl, 'frozen', 'sleeper')
    processes.push(frozen)
    await waitFor('alice to see the sleeper', () => names(alice).includes('sleeper'))
    frozen.kill('SIGSTOP')
    const stoppedAt = Date.now()
    await waitFor('the sleeper to vanish from alice', () => !names(alice).includes('sleeper'), { timeoutMs: 5_000 })
    const elapsed = Date.now() - stoppedAt
    expect(elapsed).toBeLessThanOrEqual(500 + 500 + 500)
    expect(await server.metric('coedit_evictions_total', { reason: 'heartbeat' })).toBe(1)
  })

  it('with the default heartbeat, a frozen client is gone from presence within 15 s', async () => {
    server = await startTestServer()
    const alice = watcher('frozen-default')
    alice.provider.awareness.setLocalStateField('user', { name: 'alice' })
    await alice.synced()
    const frozen = await spawnPresenceClient(server.wsUrl, 'frozen-default', 'sleeper')
    processes.push(frozen)
    await waitFor('alice to see the sleeper', () => names(alice).includes('sleeper'))
    frozen.kill('SIGSTOP')
    const stoppedAt = Date.now()
    await waitFor('the sleeper to vanish from alice', () => !names(alice).includes('sleeper'), { timeoutMs: 16_000, intervalMs: 50 })
    const elapsed = Date.now() - stoppedAt
    console.info(`default-heartbeat eviction of a frozen client: ${elapsed} ms`)
    expect(elapsed).toBeLessThanOrEqual(15_000)
  }, 25_000)
})
