import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { attemptUpgrade, connectClient, startCli, waitFor, type CliProcess, type TestClient } from '@coedit/test-utils'

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const SECRET = 'cli-access-test-secret-with-enough-bytes'
const running: CliProcess[] = []
const clients: TestClient[] = []

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'pnpm build' first (the test command does)`)
})

afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
  for (const p of running.splice(0)) if (p.child.exitCode === null) p.signal('SIGKILL')
})

async function cli(args: string[], env: Record<string, string> = {}): Promise<CliProcess> {
  const p = await startCli(CLI, ['--port', '0', '--log-level', 'info', '--web-dir', 'none', '--storage', 'memory', ...args], env)
  running.push(p)
  return p
}

/** Runs `coedit token` as a user would and returns the token it printed. */
function tokenFromCli(args: string[]): string {
  const out = execFileSync(process.execPath, [CLI, 'token', ...args], { env: { ...process.env, COEDIT_SECRET: SECRET }, encoding: 'utf8' })
  const token = /^token +(\S+)$/m.exec(out)?.[1]
  if (!token) throw new Error(`no token in: ${out}`)
  return token
}

async function postLink(p: CliProcess, bearer: string | null, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${p.httpUrl}/api/links`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify(body),
  })
  return { status: response.status, json: (await response.json()) as Record<string, unknown> }
}

describe('token mode in the CLI', () => {
  it('accepts tokens printed by `coedit token` and refuses connections without one', async () => {
    const server = await cli([], { COEDIT_SECRET: SECRET })
    await waitFor('the mode line', () => server.logs.some((l) => l.mode === 'token'))
    expect(await (await fetch(`${server.httpUrl}/api/access`)).json()).toEqual({ mode: 'token' })
    const refused = await attemptUpgrade(`${server.wsUrl}/plan`)
    expect(refused).toMatchObject({ opened: false, status: 401 })

    const edit = connectClient(server.wsUrl, 'plan', { params: { token: tokenFromCli(['--doc', 'plan', '--right', 'edit', '--ttl', '1h']) } })
    const view = connectClient(server.wsUrl, 'plan', { protocols: ['coedit', `coedit-token.${tokenFromCli(['--doc', 'plan', '--right', 'view'])}`] })
    clients.push(edit, view)
    await Promise.all([edit.synced(), view.synced()])
    edit.text.insert(0, 'agenda')
    await waitFor('the viewer to see the edit', () => view.text.toString() === 'agenda')
    view.text.insert(0, 'x')
    await waitFor('the server to log the drop', () => server.logs.some((l) => l.msg === 'dropping edits from a view-only session'))
    edit.text.insert(6, '!')
    await waitFor('the next edit to reach the viewer', () => view.text.toString().endsWith('!'))
    expect(edit.text.toString()).toBe('agenda!')
  })

  it('mints view links for any holder and edit links only for edit holders, never outliving the minter', async () => {
    const server = await cli(['--link-ttl', '7d'], { COEDIT_SECRET: SECRET })
    const editToken = tokenFromCli(['--doc', 'notes', '--right', 'edit', '--ttl', '2h'])
    const viewToken = tokenFromCli(['--doc', 'notes', '--right', 'view'])

    const viewLink = await postLink(server, editToken, { doc: 'notes', right: 'view' })
    expect(viewLink.status).toBe(201)
    expect(Date.parse(viewLink.json.expiresAt as string)).toBeLessThanOrEqual(Date.now() + 2 * 3_600_000)
    const editLink = await postLink(server, editToken, { doc: 'notes', right: 'edit' })
    expect(editLink.status).toBe(201)
    expect((await postLink(server, viewToken, { doc: 'notes', right: 'view' })).status).toBe(201)

    expect(await postLink(server, viewToken, { doc: 'notes', right: 'edit' })).toMatchObject({ status: 403, json: { error: 'only holders of an edit token can share edit links' } })
    expect(await postLink(server, editToken, { doc: 'other', right: 'view' })).toMatchObject({ status: 403 })
    expect(await postLink(server, null, { doc: 'notes', right: 'view' })).toMatchObject({ status: 401 })
    expect(await postLink(server, 'garbage', { doc: 'notes', right: 'view' })).toMatchObject({ status: 401, json: { error: 'malformed token' } })
    expect(await postLink(server, editToken, { doc: 'notes', right: 'owner' })).toMatchObject({ status: 400 })

    // The minted view link opens the document read-only.
    const viewer = connectClient(server.wsUrl, 'notes', { params: { token: viewLink.json.token as string } })
    clients.push(viewer)
    await viewer.synced()
  })

  it('warns at start when open mode listens beyond loopback', async () => {
    const server = await cli(['--host', '0.0.0.0'])
    // The warning follows the "listening" line that startCli waits for.
    const warning = await waitFor('the open-mode warning', () => server.logs.find((l) => l.level === 40 && String(l.msg).includes('open mode on a non-loopback address')))
    expect(warning.host).toBe('0.0.0.0')
    expect(await (await fetch(`${server.httpUrl}/api/access`)).json()).toEqual({ mode: 'open' })
    expect((await postLink(server, null, { doc: 'x', right: 'view' })).status).toBe(404)
    const local = await cli([])
    await waitFor('the mode line', () => local.logs.some((l) => l.mode === 'open'))
    expect(local.logs.some((l) => String(l.msg).includes('non-loopback'))).toBe(false)
  })
})
