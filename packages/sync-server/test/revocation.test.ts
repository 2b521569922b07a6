import { afterEach, describe, expect, it } from 'vitest'
import { attemptUpgrade, connectClient, type TestClient, closedByServer } from '@coedit/test-utils'
import { startTestServer, type TestServer } from './support/test-server.js'
import {
  MemoryStorage,
  REVOKED_REASON,
  RevocationList,
  TokenAccessPolicy,
  revokeDocument,
  revokeToken,
  tokenIdExpiry,
  verifyAccessToken,
  secretKey,
} from '../src/index.js'

const SECRET = 'revocation-test-secret-long-enough-for-hs256'
const HOUR = 3_600_000

let server: TestServer | null = null
let list: RevocationList | null = null
const clients: TestClient[] = []

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy()
  list?.close()
  await server?.close()
  server = null
})

async function setUp(pollMs = 100): Promise<{ policy: TokenAccessPolicy; store: MemoryStorage; list: RevocationList }> {
  const store = new MemoryStorage()
  list = new RevocationList(store, { pollMs })
  await list.start()
  const policy = new TokenAccessPolicy(SECRET, { revocations: list })
  server = await startTestServer({ access: policy, storage: store })
  return { policy, store, list }
}

function client(room: string, token: string): TestClient {
  const c = connectClient(server!.wsUrl, room, { params: { token } })
  clients.push(c)
  return c
}

async function idOf(token: string): Promise<string> {
  const check = await verifyAccessToken(secretKey(SECRET), token)
  if (!check.ok || check.grant.id === null) throw new Error('token without id')
  return check.grant.id
}

describe('revoking access', () => {
  it('gives every token an id that carries its expiry, and a signing time in milliseconds', async () => {
    const policy = new TokenAccessPolicy(SECRET, { clock: () => 1_900_000_000_123 })
    const token = await policy.sign({ doc: 'a', right: 'edit', expiresAt: 1_900_000_000_123 + HOUR })
    const check = await verifyAccessToken(secretKey(SECRET), token, 1_900_000_000_500)
    expect(check.ok && check.grant.issuedAt).toBe(1_900_000_000_123)
    const id = check.ok ? check.grant.id : null
    expect(tokenIdExpiry(id!)).toBe(Math.floor((1_900_000_000_123 + HOUR) / 1000) * 1000)
    expect(() => revokeToken('not-an-id')).toThrow(/not a Coedit token id/)
    await expect(policy.sign({ doc: 'a', right: 'edit', expiresAt: 1_900_000_000_123 + 367 * 86_400_000 })).rejects.toThrow(/at most 366 days/)
  })

  it('revoking one token closes the session holding it and refuses it afterwards; other tokens keep working', async () => {
    const { policy, list } = await setUp()
    const leaked = await policy.sign({ doc: 'memo', right: 'edit', expiresAt: Date.now() + HOUR })
    const kept = await policy.sign({ doc: 'memo', right: 'edit', expiresAt: Date.now() + HOUR })
    const holder = client('memo', leaked)
    const other = client('memo', kept)
    await Promise.all([holder.synced(), other.synced()])
    const closed = closedByServer(holder)
    const revokedAt = performance.now()
    await list.revoke(revokeToken(await idOf(leaked)))
    const { code, reason, atMs } = await closed
    expect({ code, reason }).toEqual({ code: 1008, reason: REVOKED_REASON })
    expect(atMs - revokedAt).toBeLessThan(3_000)
    const refused = await attemptUpgrade(`${server!.wsUrl}/memo?token=${leaked}`)
    expect(refused.opened ? 0 : refused.status).toBe(401)
    expect(refused.opened ? '' : refused.body).toBe(REVOKED_REASON)
    other.text.insert(0, 'still here')
    expect(other.provider.wsconnected).toBe(true)
    expect(await server!.metric('coedit_sessions_closed_total', { cause: 'revoked' })).toBe(1)
  })

  it('revoking a document closes every session on it whose token came before, and links minted after work', async () => {
    const { policy, store } = await setUp(100)
    const before = await Promise.all([
      policy.sign({ doc: 'plan', right: 'edit', expiresAt: Date.now() + HOUR }),
      policy.sign({ doc: 'plan', right: 'view', expiresAt: Date.now() + HOUR }),
    ])
    const elsewhere = await policy.sign({ doc: 'other', right: 'edit', expiresAt: Date.now() + HOUR })
    const prefix = await policy.sign({ doc: 'pl*', right: 'edit', expiresAt: Date.now() + HOUR })
    const sessions = [client('plan', before[0]), client('plan', before[1]), client('plan', prefix)]
    const bystander = client('other', elsewhere)
    await Promise.all([...sessions, bystander].map((c) => c.synced()))
    const closes = sessions.map(closedByServer)
    // Written to the store as another process (the CLI, another server) would: the poll finds it.
    const revokedAt = performance.now()
    store.addRevocation(revokeDocument('plan', Date.now()))
    const results = await Promise.all(closes)
    for (const result of results) expect(result.reason).toBe(REVOKED_REASON)
    expect(Math.max(...results.map((r) => r.atMs)) - revokedAt).toBeLessThan(3_000)
    expect(bystander.provider.wsconnected).toBe(true)

    const fresh = await policy.sign({ doc: 'plan', right: 'edit', expiresAt: Date.now() + HOUR })
    const after = client('plan', fresh)
    await after.synced()
    // The prefix token still opens other documents under its prefix; only 'plan' was reset.
    const planet = client('planet', prefix)
    await planet.synced()
  })

  it('forgets revocations once every token they name has expired', async () => {
    let now = Date.now()
    const store = new MemoryStorage()
    const policy = new TokenAccessPolicy(SECRET, { clock: () => now })
    const token = await policy.sign({ doc: 'x', right: 'edit', expiresAt: now + HOUR })
    store.addRevocation(revokeToken(await idOf(token)))
    store.addRevocation(revokeDocument('x', now))
    store.addRevocation(revokeDocument('x', now + 1))
    expect(store.revocationsAfter(0).length).toBe(2)
    expect(store.pruneRevocations(now + HOUR + 1_000)).toBe(1)
    now += 367 * 86_400_000
    expect(store.pruneRevocations(now)).toBe(1)
    expect(store.revocationsAfter(0)).toEqual([])
  })
})
