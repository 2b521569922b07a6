import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { waitFor, type CliProcess } from '@coedit/test-utils'
import { CLI, useCli } from './cli-harness.js'

const SECRET = 'history-api-test-secret-with-enough-bytes'
const { cli, client, tempDir } = useCli(['--log-level', 'info', '--web-dir', 'none'])

function token(args: string[]): string {
  const out = execFileSync(process.execPath, [CLI, 'token', ...args], { env: { ...process.env, COEDIT_SECRET: SECRET }, encoding: 'utf8' })
  return /^token +(\S+)$/m.exec(out)![1]!
}

async function api(server: CliProcess, method: string, path: string, options: { json?: object; bearer?: string } = {}) {
  const response = await fetch(`${server.httpUrl}${path}`, {
    method,
    headers: {
      ...(options.bearer ? { authorization: `Bearer ${options.bearer}` } : {}),
      ...(options.json ? { 'content-type': 'application/json' } : {}),
    },
    body: options.json ? JSON.stringify(options.json) : undefined,
  })
  const text = await response.text()
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
  const json: Record<string, any> = (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : {}
  return { status: response.status, text, json }
}

/** A stock y-websocket client showing a name in its presence, as the editor does. */
function person(server: CliProcess, room: string, name: string, params?: Record<string, string>) {
  const c = client(server, room, params ? { params } : undefined)
  c.provider.awareness.setLocalStateField('user', { name, color: '#2d7dd2' })
  return c
}

describe('history over HTTP', () => {
  it('lists versions cut by pauses, shows old text and what changed, names and restores; authorship names each person', async () => {
    const server = await cli(['--data-dir', tempDir(), '--version-idle-ms', '300'])
    const ada = person(server, 'plan', 'Ada')
    const ben = person(server, 'plan', 'Ben')
    await Promise.all([ada.synced(), ben.synced()])
    await waitFor('each sees the other', () => ada.provider.awareness.getStates().size === 2 && ben.provider.awareness.getStates().size === 2)
    ada.text.insert(0, 'Plan\n- ship the API\n')
    await waitFor('a version after the pause', async () => (await api(server, 'GET', '/api/docs/plan/versions')).json.versions?.length === 1)
    ben.text.insert(ben.text.length, '- write the docs\n')
    await waitFor('a second version', async () => (await api(server, 'GET', '/api/docs/plan/versions')).json.versions?.length === 2)
    const { versions } = (await api(server, 'GET', '/api/docs/plan/versions')).json
    expect(versions.map((v: { authors: string[] }) => v.authors)).toEqual([['Ben'], ['Ada']])
    const [second, first] = versions
    expect(first).toMatchObject({ name: null, length: 20 })
    expect(Date.now() - Date.parse(first.at)).toBeLessThan(60_000)
    expect((await api(server, 'GET', `/api/docs/plan/versions/${first.id}/text`)).text).toBe('Plan\n- ship the API\n')
    const diff = (await api(server, 'GET', `/api/docs/plan/versions/${first.id}/diff?against=${second.id}`)).json
    expect(diff.ops).toEqual([
      { op: 'equal', text: 'Plan\n- ship the API\n' },
      { op: 'insert', text: '- write the docs\n' },
    ])

    const authorship = (await api(server, 'GET', '/api/docs/plan/authorship')).json.spans as Array<{ start: number; end: number; author: string }>
    const text = ada.text.toString()
    expect(authorship.map((s) => [s.author, text.slice(s.start, s.end)])).toEqual([
      ['Ada', 'Plan\n- ship the API\n'],
      ['Ben', '- write the docs\n'],
    ])

    // A bad paste, then a restore by Cy through the API: both editors get it at once.
    const named = await api(server, 'POST', '/api/docs/plan/versions', { json: { name: 'agreed plan', author: 'Ada' } })
    expect(named.status).toBe(201)
    expect(named.json).toMatchObject({ name: 'agreed plan', length: 37 })
    // Nobody edited since the last version: naming it does not make Ada an author.
    expect(named.json.authors).toEqual([])
    ben.text.delete(0, ben.text.length)
    ben.text.insert(0, 'junk')
    await waitFor('ada sees the paste', () => ada.text.toString() === 'junk')
    const restored = await api(server, 'POST', `/api/docs/plan/versions/${named.json.id}/restore`, { json: { author: 'Cy' } })
    expect(restored.status).toBe(200)
    expect(restored.json).toMatchObject({ name: 'Restored from “agreed plan”' })
    expect(restored.json.authors).toContain('Cy')
    await waitFor('both editors have the plan back', () => [ada, ben].every((c) => c.text.toString() === 'Plan\n- ship the API\n- write the docs\n'))

    // Errors a caller can act on.
    expect((await api(server, 'GET', '/api/docs/plan/versions/424242/text')).status).toBe(404)
    expect((await api(server, 'GET', '/api/docs/plan/versions/nope/diff')).json.error).toMatch(/no version nope/)
    expect((await api(server, 'POST', '/api/docs/plan/versions', { json: { name: 'x'.repeat(201) } })).status).toBe(400)
    expect((await api(server, 'POST', '/api/docs/plan/versions', { json: { title: 'wrong field' } })).json.error).toMatch(/\{"name": "…"\}/)
    expect((await api(server, 'GET', '/api/docs/never-stored/versions')).status).toBe(404)
    expect((await api(server, 'GET', '/api/docs/plan/versions/1/nonsense')).status).toBe(404)
    expect((await api(server, 'DELETE', '/api/docs/plan')).status).toBe(204)
    expect((await api(server, 'GET', '/api/docs/plan/versions')).status).toBe(410)
    expect((await api(server, 'GET', '/api/docs/plan/authorship')).status).toBe(410)
  })

  it('keeps history through kill -9: versions, authorship, and the authors of edits no version covered yet', async () => {
    const dir = tempDir()
    let server = await cli(['--data-dir', dir, '--version-idle-ms', '60000'])
    const ada = person(server, 'kept', 'Ada')
    await ada.synced()
    ada.text.insert(0, 'first words')
    await waitFor('stored', async () => (await api(server, 'GET', '/api/docs/kept/text')).text === 'first words')
    const named = await api(server, 'POST', '/api/docs/kept/versions', { json: { name: 'v1' } })
    ada.text.insert(ada.text.length, ', then more')
    await waitFor('stored', async () => (await api(server, 'GET', '/api/docs/kept/text')).text === 'first words, then more')
    ada.destroy()
    server.signal('SIGKILL')
    await server.exited
    server = await cli(['--data-dir', dir, '--version-idle-ms', '200'])
    expect((await api(server, 'GET', `/api/docs/kept/versions/${named.json.id}/text`)).text).toBe('first words')
    const spans = (await api(server, 'GET', '/api/docs/kept/authorship')).json.spans as Array<{ author: string; end: number }>
    expect(spans).toEqual([expect.objectContaining({ start: 0, end: 22, author: 'Ada' })])
    const ben = person(server, 'kept', 'Ben')
    await ben.synced()
    await waitFor('ben has the text', () => ben.text.length === 22)
    ben.text.insert(0, '» ')
    await waitFor('a version after the restart', async () => (await api(server, 'GET', '/api/docs/kept/versions')).json.versions?.length === 2)
    const [latest] = (await api(server, 'GET', '/api/docs/kept/versions')).json.versions
    expect(new Set(latest.authors)).toEqual(new Set(['Ada', 'Ben']))
  })

  it('in token mode records the token’s name; a view token reads history but may not name or restore', async () => {
    const server = await cli(['--data-dir', tempDir(), '--version-idle-ms', '200'], { COEDIT_SECRET: SECRET })
    const edit = token(['--doc', 'memo', '--right', 'edit', '--name', 'Grace (verified)'])
    const view = token(['--doc', 'memo', '--right', 'view', '--name', 'Viewer'])
    // The presence name is ignored when the token names its holder.
    const grace = person(server, 'memo', 'Someone Else', { token: edit })
    await grace.synced()
    grace.text.insert(0, 'memo text')
    await waitFor('a version', async () => (await api(server, 'GET', '/api/docs/memo/versions', { bearer: view })).json.versions?.length === 1)
    const { versions } = (await api(server, 'GET', '/api/docs/memo/versions', { bearer: view })).json
    expect(versions[0].authors).toEqual(['Grace (verified)'])
    expect((await api(server, 'GET', '/api/docs/memo/authorship', { bearer: view })).json.spans[0].author).toBe('Grace (verified)')
    expect((await api(server, 'POST', '/api/docs/memo/versions', { bearer: view, json: { name: 'mine' } })).status).toBe(403)
    expect((await api(server, 'POST', `/api/docs/memo/versions/${versions[0].id}/restore`, { bearer: view })).status).toBe(403)
    expect((await api(server, 'GET', '/api/docs/memo/versions')).status).toBe(401)
    const named = await api(server, 'POST', '/api/docs/memo/versions', { bearer: edit, json: { name: 'final', author: 'ignored' } })
    expect(named.status).toBe(201)
  })

  it('with --history off records nothing and says so', async () => {
    const server = await cli(['--data-dir', tempDir(), '--history', 'off'])
    expect((await fetch(`${server.httpUrl}/api/docs/off/text`, { method: 'PUT', body: 'text' })).status).toBe(200)
    const answer = await api(server, 'GET', '/api/docs/off/versions')
    expect(answer.status).toBe(501)
    expect(answer.json.error).toMatch(/history is off/)
  })
})
