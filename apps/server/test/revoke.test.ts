import { describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { attemptUpgrade, closedByServer, type CliProcess } from '@coedit/test-utils'
import { CLI, useCli } from './cli-harness.js'

const SECRET = 'cli-revoke-test-secret-with-enough-bytes!'
const run = promisify(execFile)
const { cli, client, tempDir } = useCli(['--log-level', 'info', '--web-dir', 'none'], () => ({ COEDIT_SECRET: SECRET }))
/** `coedit token ...` as a user runs it, beside the server (same secret and data dir). */
async function coeditToken(args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI, 'token', ...args], { env: { ...process.env, COEDIT_SECRET: SECRET, ...env } })
  return stdout
}

async function mint(doc: string, right: 'edit' | 'view' = 'edit'): Promise<{ token: string; id: string }> {
  const out = await coeditToken(['--doc', doc, '--right', right, '--ttl', '1h'])
  const token = /^token +(\S+)$/m.exec(out)?.[1]
  const id = /^id +(\S+)$/m.exec(out)?.[1]
  if (!token || !id) throw new Error(`no token or id in: ${out}`)
  return { token, id }
}

async function expectRefused(server: CliProcess, room: string, token: string): Promise<void> {
  const outcome = await attemptUpgrade(`${server.wsUrl}/${room}?token=${token}`)
  expect(outcome).toMatchObject({ opened: false, status: 401, body: 'link revoked: ask whoever shared it for a new one' })
}

describe('coedit token revoke', () => {
  it('revokes one token by id on a running server: its session closes within 3 s, the token is refused, also after a restart', async () => {
    const dir = tempDir()
    const server = await cli(['--data-dir', dir])
    const leaked = await mint('budget')
    const other = await mint('budget')
    const holder = client(server, 'budget', { params: { token: leaked.token } })
    const colleague = client(server, 'budget', { params: { token: other.token } })
    await Promise.all([holder.synced(), colleague.synced()])
    const closed = closedByServer(holder)
    const startedAt = performance.now()
    const out = await coeditToken(['revoke', '--id', leaked.id, '--data-dir', dir])
    const storedAt = performance.now()
    expect(out).toContain(`revoked  token ${leaked.id}`)
    const { code, reason, atMs } = await closed
    console.log(
      `revoke --id: stored ${Math.round(storedAt - startedAt)} ms after the CLI started; the session closed ${Math.round(atMs - storedAt)} ms after that`,
    )
    expect({ code, reason }).toEqual({ code: 1008, reason: 'link revoked: ask whoever shared it for a new one' })
    expect(atMs - storedAt).toBeLessThan(3_000)
    await expectRefused(server, 'budget', leaked.token)
    const api = await fetch(`${server.httpUrl}/api/links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${leaked.token}` },
      body: JSON.stringify({ doc: 'budget', right: 'view' }),
    })
    expect(api.status).toBe(401)
    expect(((await api.json()) as { error: string }).error).toMatch(/link revoked/)
    expect(colleague.provider.wsconnected).toBe(true)

    // Stored durably: a restarted server still refuses it.
    server.signal('SIGTERM')
    await server.exited
    const again = await cli(['--data-dir', dir])
    await expectRefused(again, 'budget', leaked.token)
    const fine = await attemptUpgrade(`${again.wsUrl}/budget?token=${other.token}`)
    expect(fine.opened).toBe(true)
    if (fine.opened) await fine.close()
  })

  it('revokes every token for a document issued before now; links minted later work', async () => {
    const dir = tempDir()
    const server = await cli(['--data-dir', dir])
    const edit = await mint('roadmap', 'edit')
    const view = await mint('roadmap', 'view')
    const unrelated = await mint('minutes', 'edit')
    const editor = client(server, 'roadmap', { params: { token: edit.token } })
    const viewer = client(server, 'roadmap', { params: { token: view.token } })
    const bystander = client(server, 'minutes', { params: { token: unrelated.token } })
    await Promise.all([editor.synced(), viewer.synced(), bystander.synced()])
    const closes = [closedByServer(editor), closedByServer(viewer)]
    const out = JSON.parse(await coeditToken(['revoke', '--doc', 'roadmap', '--data-dir', dir, '--json'])) as { revoked: { doc: string } }
    expect(out.revoked.doc).toBe('roadmap')
    for (const result of await Promise.all(closes)) expect(result.reason).toMatch(/link revoked/)
    await expectRefused(server, 'roadmap', view.token)
    expect(bystander.provider.wsconnected).toBe(true)
    const later = await mint('roadmap', 'edit')
    const back = client(server, 'roadmap', { params: { token: later.token } })
    await back.synced()
  })

  it('resets links over the API for edit holders: old links stop working, the fresh edit link works', async () => {
    const server = await cli(['--storage', 'memory'])
    const edit = await mint('essay', 'edit')
    const view = await mint('essay', 'view')
    const viewer = client(server, 'essay', { params: { token: view.token } })
    await viewer.synced()
    const closed = closedByServer(viewer)
    const reset = (bearer: string) =>
      fetch(`${server.httpUrl}/api/links/reset`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ doc: 'essay' }),
      })
    const refusedForViewer = await reset(view.token)
    expect(refusedForViewer.status).toBe(403)
    const answer = await reset(edit.token)
    expect(answer.status).toBe(201)
    const body = (await answer.json()) as { token: string; right: string; revokedBefore: string }
    expect(body.right).toBe('edit')
    expect((await closed).reason).toMatch(/link revoked/)
    await expectRefused(server, 'essay', edit.token)
    await expectRefused(server, 'essay', view.token)
    const fresh = client(server, 'essay', { params: { token: body.token } })
    await fresh.synced()
    expect((await reset(edit.token)).status).toBe(401)
  })

  it('explains what is missing or wrong', async () => {
    await expect(coeditToken(['revoke'])).rejects.toThrow(/exactly one of --id <token id> or --doc <document id>/)
    await expect(coeditToken(['revoke', '--id', 'nonsense', '--data-dir', tempDir()])).rejects.toThrow(/'nonsense' is not a Coedit token id/)
    await expect(coeditToken(['revoke', '--doc', 'a', '--storage', 'memory'])).rejects.toThrow(/--storage memory keeps revocations in its own memory only/)
    expect(await coeditToken(['revoke', '--help'])).toContain('Usage: coedit token revoke')
  })
})
