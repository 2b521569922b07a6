import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { attemptUpgrade, closedByServer, readMetric, waitFor, type CliProcess } from '@coedit/test-utils'
import { CLI, useCli } from './cli-harness.js'
import { OPENAPI } from '../src/openapi.js'
import { createDocumentsApi } from '../src/documents-api.js'
import { SyncServer } from '@coedit/sync-server'

const SECRET = 'documents-api-test-secret-with-enough-bytes'
const { cli, client, tempDir } = useCli(['--log-level', 'info', '--web-dir', 'none'])

function token(args: string[]): string {
  const out = execFileSync(process.execPath, [CLI, 'token', ...args], { env: { ...process.env, COEDIT_SECRET: SECRET }, encoding: 'utf8' })
  return /^token +(\S+)$/m.exec(out)![1]!
}

interface Answer {
  status: number
  type: string
  body: string
  json: Record<string, unknown>
}

async function call(server: CliProcess, method: string, path: string, body?: string | Uint8Array, bearer?: string): Promise<Answer> {
  const response = await fetch(`${server.httpUrl}${path}`, {
    method,
    headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(body !== undefined ? { 'content-type': 'text/plain; charset=utf-8' } : {}) },
    body,
  })
  const text = await response.text()
  let json: Record<string, unknown> = {}
  if ((response.headers.get('content-type') ?? '').includes('json')) json = JSON.parse(text) as Record<string, unknown>
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: text, json }
}

describe('the document API, open mode', () => {
  it('reads, replaces, appends and describes a document, stored in the SQLite file, whether or not the room is loaded', async () => {
    const dir = tempDir()
    const server = await cli(['--data-dir', dir, '--room-unload-delay-ms', '50'])
    expect((await call(server, 'GET', '/api/docs/never-stored/text')).status).toBe(404)
    const created = await call(server, 'PUT', '/api/docs/notes/text', 'hello world')
    expect(created.status).toBe(200)
    expect(created.json).toMatchObject({ id: 'notes', length: 11, sessions: 0 })
    expect((await call(server, 'POST', '/api/docs/notes/append', ', and more')).json).toMatchObject({ length: 21 })
    // The room unloads; the text is read from the stored bytes.
    await waitFor('the room to unload', async () => (await readMetric(server.httpUrl, 'coedit_rooms_loaded')) === 0, { timeoutMs: 5_000 })
    // Connections are kept a minute: a script pausing between calls never reuses one the server is closing.
    expect((await fetch(`${server.httpUrl}/api/docs/notes/text`)).headers.get('keep-alive')).toBe('timeout=65')
    const read = await call(server, 'GET', '/api/docs/notes/text')
    expect(read).toMatchObject({ status: 200, body: 'hello world, and more' })
    expect(read.type).toBe('text/plain; charset=utf-8')
    const info = await call(server, 'GET', '/api/docs/notes')
    expect(info.json).toMatchObject({ id: 'notes', length: 21, sessions: 0 })
    expect(Date.parse(info.json.createdAt as string)).toBeLessThanOrEqual(Date.parse(info.json.updatedAt as string))
    expect(info.json.bytes as number).toBeGreaterThan(21)
    // Non-ASCII survives both ways.
    await call(server, 'PUT', '/api/docs/notes/text', 'naïve café — 日本語 🎉')
    expect((await call(server, 'GET', '/api/docs/notes/text')).body).toBe('naïve café — 日本語 🎉')
  })

  it('a PUT is a minimal edit: edits made meanwhile elsewhere survive, and a connected client sees it at once with its positions kept', async () => {
    const server = await cli(['--storage', 'memory'])
    const ada = client(server, 'shared')
    const ben = client(server, 'shared')
    const cy = client(server, 'shared')
    await Promise.all([ada.synced(), ben.synced(), cy.synced()])
    ada.text.insert(0, 'first line\nsecond line\nthird line')
    await waitFor('everyone to have it', () => ben.text.length === ada.text.length && cy.text.length === ada.text.length)
    // Ada and Ben edit lines one and three while the script rewrites line two (they are on a
    // slow network: their edits reach the server after the PUT).
    ada.provider.disconnect()
    ben.provider.disconnect()
    ada.text.insert('first line'.length, ' (ada)')
    ben.text.insert(ben.text.length, ' (ben)')
    const third = cy.text.toString().indexOf('third')
    const kept = (await import('yjs')).createRelativePositionFromTypeIndex(cy.text, third)
    const put = await call(server, 'PUT', '/api/docs/shared/text', 'first line\nSECOND LINE\nthird line')
    expect(put.status).toBe(200)
    await waitFor('cy to see the PUT', () => cy.text.toString() === 'first line\nSECOND LINE\nthird line')
    const Y = await import('yjs')
    const moved = Y.createAbsolutePositionFromRelativePosition(kept, cy.doc)!
    expect(cy.text.toString().slice(moved.index, moved.index + 5)).toBe('third')
    ada.provider.connect()
    ben.provider.connect()
    const expected = 'first line (ada)\nSECOND LINE\nthird line (ben)'
    await waitFor('everyone to converge on every edit', () => [ada, ben, cy].every((c) => c.text.toString() === expected), { timeoutMs: 5_000 })
    expect((await call(server, 'GET', '/api/docs/shared/text')).body).toBe(expected)
    expect((await call(server, 'GET', '/api/docs/shared')).json).toMatchObject({ sessions: 3 })
  })

  it('creates documents with fresh ids and deletes them for good: sessions closed with 4410, then 410 for the API and the upgrade', async () => {
    const dir = tempDir()
    const server = await cli(['--data-dir', dir])
    const made = await call(server, 'POST', '/api/docs', 'a first draft')
    expect(made.status).toBe(201)
    const id = made.json.id as string
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(made.json.url).toBe(`${server.httpUrl}/d/${id}`)
    const empty = await call(server, 'POST', '/api/docs')
    expect(empty.status).toBe(201)
    // An empty document exists: its text is there, just empty.
    expect(await call(server, 'GET', `/api/docs/${empty.json.id as string}/text`)).toMatchObject({ status: 200, body: '' })

    const reader = client(server, id)
    await reader.synced()
    expect(reader.text.toString()).toBe('a first draft')
    const closed = closedByServer(reader)
    expect((await call(server, 'DELETE', `/api/docs/${id}`)).status).toBe(204)
    expect(await closed).toMatchObject({ code: 4410, reason: expect.stringContaining('deleted') })
    for (const path of [`/api/docs/${id}`, `/api/docs/${id}/text`]) expect((await call(server, 'GET', path)).status).toBe(410)
    expect((await call(server, 'PUT', `/api/docs/${id}/text`, 'resurrected?')).status).toBe(410)
    expect(await attemptUpgrade(`${server.wsUrl}/${id}`)).toMatchObject({ opened: false, status: 410 })
    // The id is taken for good, even after a restart.
    server.signal('SIGTERM')
    await server.exited
    const again = await cli(['--data-dir', dir])
    expect(await attemptUpgrade(`${again.wsUrl}/${id}`)).toMatchObject({ opened: false, status: 410 })
    expect((await call(again, 'GET', `/api/docs/${id}/text`)).status).toBe(410)
  })

  it('answers bad input with JSON errors: too large, not UTF-8, bad id, unknown path and method; listing is off in open mode', async () => {
    const server = await cli(['--storage', 'memory', '--max-document-bytes', '1000'])
    const tooBig = await call(server, 'PUT', '/api/docs/x/text', 'x'.repeat(2_000))
    expect(tooBig.status).toBe(413)
    expect(tooBig.json.error).toMatch(/at most 1000 bytes/)
    // Under the body cap but over the document cap once stored.
    await call(server, 'PUT', '/api/docs/x/text', 'y'.repeat(600))
    expect((await call(server, 'POST', '/api/docs/x/append', 'z'.repeat(600))).status).toBe(413)
    const latin1 = await call(server, 'PUT', '/api/docs/x/text', new Uint8Array([0x63, 0x61, 0x66, 0xe9]))
    expect(latin1).toMatchObject({ status: 400, json: { error: 'the body is not valid UTF-8 text' } })
    expect((await call(server, 'GET', '/api/docs/..%2Fetc/text')).status).toBe(400)
    const unknown = await call(server, 'GET', '/api/nothing-here')
    expect(unknown.status).toBe(404)
    expect(unknown.json.error).toMatch(/no such API route/)
    const wrongMethod = await call(server, 'PATCH', '/api/docs/x/text')
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.json.error).toMatch(/use GET, PUT/)
    const listing = await call(server, 'GET', '/api/docs')
    expect(listing.status).toBe(403)
    expect(listing.json.error).toMatch(/open mode/)
    // The text was not touched by any refused request.
    expect((await call(server, 'GET', '/api/docs/x/text')).body).toBe('y'.repeat(600))
  })

  it('slows API writes over the per-address rates like socket messages, refuses only past --max-throttled-ms; the defaults let a busy bot through', async () => {
    const strict = await cli(['--storage', 'memory', '--max-messages-per-second', '5', '--max-throttled-ms', '1000'])
    const started = performance.now()
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) statuses.push((await call(strict, 'POST', '/api/docs/log/append', `${i},`)).status)
    // Five at once, then one every 200 ms: slowed, not refused.
    expect(statuses.every((s) => s === 200)).toBe(true)
    expect(performance.now() - started).toBeGreaterThan(1_000)
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => call(strict, 'POST', '/api/docs/log/append', `b${i},`)))
    const refused = burst.filter((a) => a.status === 429)
    expect(refused.length).toBeGreaterThan(0)
    expect(refused[0]!.json.error).toMatch(/too many writes/)
    const text = (await call(strict, 'GET', '/api/docs/log/text')).body
    expect(text.split(',').filter(Boolean)).toHaveLength(12 + burst.filter((a) => a.status === 200).length)

    // Defaults: a bot appending 300 lines as fast as it can is never refused.
    const open = await cli(['--storage', 'memory'])
    for (let i = 0; i < 300; i++) expect((await call(open, 'POST', '/api/docs/bot/append', `line ${i}\n`)).status).toBe(200)
    expect((await call(open, 'GET', '/api/docs/bot')).json).toMatchObject({ length: 300 * 'line 0\n'.length + 290 + 200 })
  })

  it('describes in OpenAPI exactly the routes its router has, no more and no fewer', () => {
    const sync = new SyncServer()
    const routed = createDocumentsApi({ sync, publicUrl: null })
      .routes.map((r) => `${r.method} ${r.path}`)
      .sort()
    const described = Object.entries(OPENAPI.paths)
      .flatMap(([path, ops]) =>
        Object.keys(ops)
          .filter((k) => k !== 'parameters')
          .map((method) => `${method.toUpperCase()} ${path}`),
      )
      .sort()
    expect(routed).toEqual(described)
    void sync.close()
  })

  it('serves an OpenAPI description listing exactly the routes the server answers', async () => {
    const server = await cli(['--storage', 'memory'])
    const served = await call(server, 'GET', '/api/openapi.json')
    expect(served.json).toEqual(JSON.parse(JSON.stringify(OPENAPI)))
    const described = Object.entries(OPENAPI.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((k) => k !== 'parameters')
        .map((method) => `${method.toUpperCase()} ${path}`),
    )
    // Every described route answers with something other than "no such route"; every other method is a 405.
    for (const route of described) {
      const [method, path] = route.split(' ') as [string, string]
      const answer = await call(server, method, path.replace('{id}', 'openapi-probe'), method === 'PUT' || method === 'POST' ? 'probe' : undefined)
      expect(answer.status, route).not.toBe(405)
      expect(answer.json.error ?? '', route).not.toMatch(/no such API route/)
    }
    for (const path of Object.keys(OPENAPI.paths)) {
      for (const method of ['GET', 'PUT', 'POST', 'DELETE']) {
        if (described.includes(`${method} ${path}`)) continue
        expect((await call(server, method, path.replace('{id}', 'openapi-probe'))).status, `${method} ${path}`).toBe(405)
      }
    }
  })
})

describe('the document API, token mode', () => {
  it('lets view tokens read and edit tokens write; lists only what a grant covers; creates under the token prefix', async () => {
    const server = await cli(['--data-dir', tempDir()], { COEDIT_SECRET: SECRET })
    const teamEdit = token(['--doc', 'team-*', '--right', 'edit'])
    const planView = token(['--doc', 'team-plan', '--right', 'view'])
    const other = token(['--doc', 'other-*', '--right', 'edit'])
    expect((await call(server, 'PUT', '/api/docs/team-plan/text', 'the plan')).status).toBe(401)
    expect((await call(server, 'PUT', '/api/docs/team-plan/text', 'the plan', teamEdit)).status).toBe(200)
    expect((await call(server, 'PUT', '/api/docs/team-notes/text', 'notes', teamEdit)).status).toBe(200)
    expect((await call(server, 'PUT', '/api/docs/other-x/text', 'elsewhere', other)).status).toBe(200)
    expect(await call(server, 'GET', '/api/docs/team-plan/text', undefined, planView)).toMatchObject({ status: 200, body: 'the plan' })
    const viewWrite = await call(server, 'PUT', '/api/docs/team-plan/text', 'changed', planView)
    expect(viewWrite.status).toBe(403)
    expect(viewWrite.json.error).toMatch(/view token/)
    expect((await call(server, 'DELETE', '/api/docs/team-plan', undefined, planView)).status).toBe(403)
    expect((await call(server, 'GET', '/api/docs/other-x/text', undefined, planView)).status).toBe(403)

    const listed = await call(server, 'GET', '/api/docs?limit=1', undefined, teamEdit)
    expect(listed.status, listed.body).toBe(200)
    expect((listed.json.documents as Array<{ id: string }>).map((d) => d.id)).toEqual(['team-notes'])
    const page2 = await call(server, 'GET', `/api/docs?limit=1&after=${listed.json.next as string}`, undefined, teamEdit)
    expect((page2.json.documents as Array<{ id: string }>).map((d) => d.id)).toEqual(['team-plan'])
    expect((await call(server, 'GET', '/api/docs', undefined, planView)).json.documents).toEqual([expect.objectContaining({ id: 'team-plan', length: 8 })])

    const made = await call(server, 'POST', '/api/docs', 'new', teamEdit)
    expect(made.status).toBe(201)
    expect(made.json.id).toMatch(/^team-/)
    expect((await call(server, 'POST', '/api/docs', 'new', planView)).status).toBe(403)
    const single = await call(server, 'POST', '/api/docs', 'new', token(['--doc', 'team-plan', '--right', 'edit']))
    expect(single.status).toBe(403)
    expect(single.json.error).toMatch(/prefix/)
  })
})

describe('view links in open mode', () => {
  it('a view link opens the document read-only over WebSocket and the API without telling its id; unknown links 404; deleting the document takes its view link with it', async () => {
    const server = await cli(['--data-dir', tempDir()])
    const { id } = (await (await fetch(`${server.httpUrl}/api/docs`, { method: 'POST', body: 'the plan' })).json()) as { id: string }
    const made = await call(server, 'POST', `/api/docs/${id}/view-link`)
    expect(made.status).toBe(200)
    const viewId = made.json.viewId as string
    expect(viewId).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(made.json.url).toBe(`${server.httpUrl}/v/${viewId}`)
    // Asked again: the same link.
    expect((await call(server, 'POST', `/api/docs/${id}/view-link`)).json.viewId).toBe(viewId)
    const room = `~view/${viewId}`
    const path = `/api/docs/${encodeURIComponent(room)}`

    // A viewer follows live edits and cannot change anything.
    const editor = client(server, id)
    const viewer = client(server, room)
    await Promise.all([editor.synced(), viewer.synced()])
    expect(viewer.text.toString()).toBe('the plan')
    editor.text.insert(8, ' for Monday')
    await waitFor('the viewer to follow', () => viewer.text.toString() === 'the plan for Monday')
    viewer.text.insert(0, 'HACKED ')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect((await call(server, 'GET', `/api/docs/${id}/text`)).body).toBe('the plan for Monday')
    expect(editor.text.toString()).toBe('the plan for Monday')

    // The API reads through it; nothing it answers names the document.
    expect((await call(server, 'GET', `${path}/text`)).body).toBe('the plan for Monday')
    const described = await call(server, 'GET', path)
    expect(described.json).toMatchObject({ id: room, length: 19 })
    expect(described.body).not.toContain(id)
    expect((await call(server, 'GET', `${path}/authorship`)).status).toBe(200)
    for (const [method, route] of [
      ['PUT', '/text'],
      ['POST', '/append'],
      ['DELETE', ''],
      ['POST', '/view-link'],
    ] as const) {
      const refused = await call(server, method, `${path}${route}`, method === 'DELETE' ? undefined : 'x')
      expect(refused.status, `${method} ${route}`).toBe(403)
      expect(refused.json.error).toMatch(/a view link can only read/)
    }
    expect((await call(server, 'GET', `/api/docs/${encodeURIComponent('~view/nosuchlinkxxxxxxxxxxxx')}/text`)).status).toBe(404)
    expect(await attemptUpgrade(`${server.wsUrl}/~view/nosuchlinkxxxxxxxxxxxx`)).toMatchObject({ opened: false, status: 404 })

    // Deleting the document: the view link dies with it.
    const closed = closedByServer(viewer)
    expect((await call(server, 'DELETE', `/api/docs/${id}`)).status).toBe(204)
    expect((await closed).code).toBe(4410)
    expect(await attemptUpgrade(`${server.wsUrl}/${room}`)).toMatchObject({ opened: false, status: 404 })
  })
})
