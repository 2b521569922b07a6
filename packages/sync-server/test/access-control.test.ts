import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { attemptUpgrade, connectClient, rawClient, tempDir, waitFor, type TestClient } from '@coedit/test-utils'
import { startTestServer, type TestServer } from './support/test-server.js'
import { TokenAccessPolicy, WeakSecretError, type AccessRight } from '../src/index.js'
import { SqliteStorage } from '../src/sqlite.js'
import { MESSAGE_AUTH, decodeMessage, encodeUpdate } from '../src/protocol.js'

const SECRET = 'test-secret-that-is-long-enough-for-hs256!'
const policy = new TokenAccessPolicy(SECRET)
const HOUR = 3_600_000

let server: TestServer
const clients: TestClient[] = []
const dirs: Array<{ remove(): void }> = []

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy()
  await server?.close()
  for (const dir of dirs.splice(0)) dir.remove()
})

function token(doc: string, right: AccessRight = 'edit', expiresAt = Date.now() + HOUR, name?: string): Promise<string> {
  return policy.sign({ doc, right, expiresAt, name })
}

function client(room: string, tokenValue: string, via: 'param' | 'protocol' = 'param'): TestClient {
  const c = connectClient(server.wsUrl, room, via === 'param' ? { params: { token: tokenValue } } : { protocols: ['coedit', `coedit-token.${tokenValue}`] })
  clients.push(c)
  return c
}

async function expectRefused(url: string, status: number, reason: RegExp, options?: Parameters<typeof attemptUpgrade>[1]): Promise<void> {
  const outcome = await attemptUpgrade(url, options)
  expect(outcome.opened).toBe(false)
  if (outcome.opened) return
  expect(outcome.status).toBe(status)
  expect(outcome.body).toMatch(reason)
}

describe('token mode', () => {
  it('refuses upgrades without a valid token for the document, before loading it', async () => {
    server = await startTestServer({ access: policy })
    const url = `${server.wsUrl}/doc-a`
    const otherKey = new TokenAccessPolicy('another-secret-that-is-long-enough-too!!')
    await expectRefused(url, 401, /token required/)
    await expectRefused(`${url}?token=not-a-jwt`, 401, /malformed token/)
    await expectRefused(`${url}?token=${await otherKey.sign({ doc: 'doc-a', right: 'edit', expiresAt: Date.now() + HOUR })}`, 401, /signature is not valid/)
    await expectRefused(`${url}?token=${await token('doc-a', 'edit', Date.now() - 2_000)}`, 401, /expired/)
    await expectRefused(`${url}?token=${await token('doc-b')}`, 403, /does not grant access to this document/)
    // An exact id is not a prefix: doc-a's token does not open doc-a2.
    await expectRefused(`${server.wsUrl}/doc-a2?token=${await token('doc-a')}`, 403, /does not grant/)
    await expectRefused(url, 401, /expired/, { protocols: ['coedit', `coedit-token.${await token('doc-a', 'edit', Date.now() - 2_000)}`] })
    expect(server.sync.roomCount).toBe(0)
    expect(await server.metric('coedit_rooms_loaded')).toBe(0)
    expect(await server.metric('coedit_upgrades_refused_total', { status: '401' })).toBe(5)
    expect(await server.metric('coedit_upgrades_refused_total', { status: '403' })).toBe(2)
  })

  it('accepts a token in the URL or in Sec-WebSocket-Protocol, and prefix tokens for ids under the prefix', async () => {
    server = await startTestServer({ access: policy })
    const viaParam = client('team-1', await token('team-1'))
    const viaProtocol = client('team-1', await token('team-*'), 'protocol')
    await Promise.all([viaParam.synced(), viaProtocol.synced()])
    viaParam.text.insert(0, 'hello')
    await waitFor('the edit to cross', () => viaProtocol.text.toString() === 'hello')
    expect(viaProtocol.provider.ws?.protocol).toBe('coedit')
    await expectRefused(`${server.wsUrl}/other-1?token=${await token('team-*')}`, 403, /does not grant/)
    const all = await attemptUpgrade(`${server.wsUrl}/anything?token=${await token('*')}`)
    expect(all.opened).toBe(true)
    if (all.opened) await all.close()
  })

  it('closes a session when its token expires', async () => {
    server = await startTestServer({ access: policy })
    const raw = rawClient(server.wsUrl, 'expiring', { query: `token=${await token('expiring', 'edit', Date.now() + 1_500)}` })
    await raw.opened()
    const closed = await raw.closed
    expect(closed).toEqual({ code: 1008, reason: 'access token expired' })
  })

  it('refuses secrets shorter than 32 bytes', () => {
    expect(() => new TokenAccessPolicy('short')).toThrow(WeakSecretError)
  })
})

describe('view-only sessions', () => {
  it('see edits and presence live, but their edits reach neither other clients nor storage', async () => {
    const dir = tempDir()
    dirs.push(dir)
    const file = join(dir.path, 'coedit.db')
    server = await startTestServer({ access: policy, storage: new SqliteStorage({ file }) })
    const editor = client('shared', await token('shared', 'edit'))
    const viewer = client('shared', await token('shared', 'view', Date.now() + HOUR, 'Vera'))
    await Promise.all([editor.synced(), viewer.synced()])
    editor.provider.awareness.setLocalStateField('user', { name: 'Ed' })
    viewer.provider.awareness.setLocalStateField('user', { name: 'Vera' })

    editor.text.insert(0, 'written by the editor')
    await waitFor('the viewer to see the edit', () => viewer.text.toString() === 'written by the editor')
    await waitFor(
      'presence both ways',
      () =>
        [...viewer.provider.awareness.getStates().values()].some((s) => s.user?.name === 'Ed') &&
        [...editor.provider.awareness.getStates().values()].some((s) => s.user?.name === 'Vera'),
    )

    viewer.text.insert(0, 'VIEWER ')
    await waitFor('the drop to be counted', async () => (await server.metric('coedit_view_only_updates_dropped_total')) >= 1)
    // The editor's next edit travels the same path; if the viewer's had been relayed it would be there first.
    editor.text.insert(editor.text.length, '!')
    await waitFor('the viewer to get the next edit', () => viewer.text.toString().endsWith('!'))
    expect(editor.text.toString()).toBe('written by the editor!')
    expect(viewer.provider.wsconnected).toBe(true)

    const late = client('shared', await token('shared', 'edit'))
    await late.synced()
    expect(late.text.toString()).toBe('written by the editor!')

    for (const c of clients.splice(0)) c.destroy()
    await server.close()
    server = await startTestServer({ access: policy, storage: new SqliteStorage({ file }) })
    const afterRestart = client('shared', await token('shared', 'view'))
    await afterRestart.synced()
    expect(afterRestart.text.toString()).toBe('written by the editor!')
  })

  it("are told once, with the protocol's permission-denied message, and stay connected", async () => {
    server = await startTestServer({ access: policy })
    const raw = rawClient(server.wsUrl, 'told', { query: `token=${await token('told', 'view')}` })
    await raw.opened()
    const doc = new Y.Doc()
    const updates: Uint8Array[] = []
    doc.on('update', (update: Uint8Array) => updates.push(update))
    doc.getText('text').insert(0, 'a')
    doc.getText('text').insert(1, 'b')
    for (const update of updates) raw.send(encodeUpdate(update))
    await waitFor('both drops to be counted', async () => (await server.metric('coedit_view_only_updates_dropped_total')) === 2)
    const auth = raw.frames.filter((frame) => frame[0] === MESSAGE_AUTH)
    expect(auth).toHaveLength(1)
    expect(decodeMessage(auth[0]!).kind).toBe('auth')
    expect(new TextDecoder().decode(auth[0]!)).toContain('view-only')
    expect(raw.socket.readyState).toBe(raw.socket.OPEN)
    doc.destroy()
    raw.socket.close()
  })
})

describe('origin checks', () => {
  it('open mode allows the same origin, loopback pages and non-browser clients, not other sites', async () => {
    server = await startTestServer()
    const url = `${server.wsUrl}/origins`
    await expectRefused(url, 403, /origin https:\/\/evil\.example is not allowed/, { headers: { Origin: 'https://evil.example' } })
    await expectRefused(url, 403, /not allowed/, { headers: { Origin: 'null' } })
    for (const origin of [`http://127.0.0.1:${server.port}`, 'http://localhost:5173', undefined]) {
      const outcome = await attemptUpgrade(url, { headers: origin ? { Origin: origin } : {} })
      expect(outcome.opened, `origin ${origin}`).toBe(true)
      if (outcome.opened) await outcome.close()
    }
  })

  it('token mode allows only the same origin and the configured list by default', async () => {
    server = await startTestServer({ access: policy, allowedOrigins: ['https://app.example.com'] })
    const url = `${server.wsUrl}/origins?token=${await token('origins')}`
    await expectRefused(url, 403, /not allowed/, { headers: { Origin: 'http://localhost:5173' } })
    for (const origin of [`http://127.0.0.1:${server.port}`, 'https://app.example.com']) {
      const outcome = await attemptUpgrade(url, { headers: { Origin: origin } })
      expect(outcome.opened, `origin ${origin}`).toBe(true)
      if (outcome.opened) await outcome.close()
    }
    expect(await server.metric('coedit_upgrades_refused_total', { reason: 'origin' })).toBe(1)
  })
})
