import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { attemptUpgrade, waitFor, type CliProcess } from '@coedit/test-utils'
import { CLI, useCli } from './cli-harness.js'

const SECRET = 'cli-access-test-secret-with-enough-bytes'
const { cli, client } = useCli(['--log-level', 'info', '--web-dir', 'none', '--storage', 'memory'])

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

    const edit = client(server, 'plan', { params: { token: tokenFromCli(['--doc', 'plan', '--right', 'edit', '--ttl', '1h']) } })
    const view = client(server, 'plan', { protocols: ['coedit', `coedit-token.${tokenFromCli(['--doc', 'plan', '--right', 'view'])}`] })
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

    expect(await postLink(server, viewToken, { doc: 'notes', right: 'edit' })).toMatchObject({
      status: 403,
      json: { error: 'only holders of an edit token can share edit links' },
    })
    expect(await postLink(server, editToken, { doc: 'other', right: 'view' })).toMatchObject({ status: 403 })
    expect(await postLink(server, null, { doc: 'notes', right: 'view' })).toMatchObject({ status: 401 })
    expect(await postLink(server, 'garbage', { doc: 'notes', right: 'view' })).toMatchObject({ status: 401, json: { error: 'malformed token' } })
    expect(await postLink(server, editToken, { doc: 'notes', right: 'owner' })).toMatchObject({ status: 400 })

    // The minted view link opens the document read-only.
    const viewer = client(server, 'notes', { params: { token: viewLink.json.token as string } })
    await viewer.synced()
  })

  it('warns at start when open mode listens beyond loopback', async () => {
    const server = await cli(['--host', '0.0.0.0'])
    // The warning follows the "listening" line that startCli waits for.
    const warning = await waitFor('the open-mode warning', () =>
      server.logs.find((l) => l.level === 40 && String(l.msg).includes('open mode on a non-loopback address')),
    )
    expect(warning.host).toBe('0.0.0.0')
    expect(await (await fetch(`${server.httpUrl}/api/access`)).json()).toEqual({ mode: 'open' })
    expect((await postLink(server, null, { doc: 'x', right: 'view' })).status).toBe(404)
    const local = await cli([])
    await waitFor('the mode line', () => local.logs.some((l) => l.mode === 'open'))
    expect(local.logs.some((l) => String(l.msg).includes('non-loopback'))).toBe(false)
  })
})
