import { describe, expect, it } from 'vitest'
import { execFileSync, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { waitFor, type CliProcess } from '@coedit/test-utils'
import { CLI, useCli } from './cli-harness.js'
import { parseDocAddress } from '../src/client/doc-address.js'

const SECRET = 'client-commands-test-secret-with-enough-bytes'
const { cli, client } = useCli(['--log-level', 'info', '--web-dir', 'none', '--storage', 'memory'])

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `coedit <args>` as a person would in a shell, with `input` on standard input. */
function coedit(args: string[], input = '', env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(input)
  })
}

function token(args: string[]): string {
  const out = execFileSync(process.execPath, [CLI, 'token', ...args], { env: { ...process.env, COEDIT_SECRET: SECRET }, encoding: 'utf8' })
  return /^token +(\S+)$/m.exec(out)![1]!
}

const link = (server: CliProcess, id: string, tokenValue?: string): string => `${server.httpUrl}/d/${id}${tokenValue ? `#token=${tokenValue}` : ''}`

describe('coedit cat / write / append / watch', () => {
  it('reads, replaces (minimally, while someone edits) and appends, as a participant others see at once', async () => {
    const server = await cli()
    const editor = client(server, 'notes')
    await editor.synced()
    editor.text.insert(0, 'line one\nline two\n')
    await waitFor('the server to have it', async () => (await (await fetch(`${server.httpUrl}/api/docs/notes/text`)).text()) === 'line one\nline two\n')

    expect(await coedit(['cat', link(server, 'notes')])).toMatchObject({ code: 0, stdout: 'line one\nline two\n' })
    expect((await coedit(['write', link(server, 'notes')], 'line one\nLINE TWO\n')).code).toBe(0)
    await waitFor('the editor to see the write', () => editor.text.toString() === 'line one\nLINE TWO\n')
    expect((await coedit(['append', link(server, 'notes')], 'line three\n')).code).toBe(0)
    await waitFor('the editor to see the append', () => editor.text.toString() === 'line one\nLINE TWO\nline three\n')
    // The write touched only what changed: the editor's own items for "line one" are still there.
    expect(editor.text.toString().startsWith('line one')).toBe(true)
  })

  it('watch prints one JSON line per change, shows up in presence as a watcher, and stops cleanly on Ctrl+C', async () => {
    const server = await cli()
    const editor = client(server, 'followed')
    await editor.synced()
    const watcher = spawn(process.execPath, [CLI, 'watch', link(server, 'followed'), '--name', 'CI bot'])
    let out = ''
    watcher.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    await waitFor(
      'the watcher among the people present',
      () => [...editor.provider.awareness.getStates().values()].some((s) => (s.user as { name?: string } | undefined)?.name === 'CI bot' && s.watcher === true),
      { timeoutMs: 10_000 },
    )
    editor.text.insert(0, 'hello')
    await waitFor('a first line', () => out.trim().split('\n').filter(Boolean).length >= 1, { timeoutMs: 10_000 })
    editor.text.insert(5, ' world')
    await waitFor('a second line', () => out.trim().split('\n').length >= 2, { timeoutMs: 10_000 })
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { at: string; delta: unknown; length: number })
    expect(lines[0]).toMatchObject({ delta: [{ insert: 'hello' }], length: 5 })
    expect(lines[1]).toMatchObject({ delta: [{ retain: 5 }, { insert: ' world' }], length: 11 })
    expect(Number.isNaN(Date.parse(lines[0]!.at))).toBe(false)
    const exited = new Promise<number | null>((resolve) => watcher.on('exit', resolve))
    watcher.kill('SIGINT')
    expect(await exited).toBe(0)
    await waitFor('the watcher to leave presence', () => [...editor.provider.awareness.getStates().values()].every((s) => s.watcher !== true), {
      timeoutMs: 5_000,
    })
  })

  it('says clearly why it cannot, with a distinct exit code for each reason', async () => {
    const open = await cli()
    const secured = await cli([], { COEDIT_SECRET: SECRET })
    // Refused: no token, then a view token asked to write.
    const refused = await coedit(['cat', link(secured, 'plan')])
    expect(refused.code).toBe(3)
    expect(refused.stderr).toMatch(/refused access \(HTTP 401\)/)
    const view = token(['--doc', 'plan', '--right', 'view'])
    expect((await coedit(['cat', link(secured, 'plan', view)])).code).toBe(0)
    const viewWrite = await coedit(['write', link(secured, 'plan', view)], 'nope')
    expect(viewWrite.code).toBe(3)
    expect(viewWrite.stderr).toMatch(/view token/)
    // With --token, and with an edit token, it works.
    expect((await coedit(['write', link(secured, 'plan'), '--token', token(['--doc', 'plan', '--right', 'edit'])], 'the plan')).code).toBe(0)
    expect((await coedit(['cat', link(secured, 'plan', view)])).stdout).toBe('the plan')
    // Gone: a deleted document.
    await fetch(`${open.httpUrl}/api/docs/old/text`, { method: 'PUT', body: 'old' })
    await fetch(`${open.httpUrl}/api/docs/old`, { method: 'DELETE' })
    const gone = await coedit(['cat', link(open, 'old')])
    expect(gone.code).toBe(4)
    expect(gone.stderr).toMatch(/deleted/)
    // Unreachable: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number }
        probe.close(() => resolve(free))
      })
    })
    const unreachable = await coedit(['cat', `http://127.0.0.1:${port}/d/x`])
    expect(unreachable.code).toBe(5)
    expect(unreachable.stderr).toMatch(/cannot reach/)
    // Timed out: a server that accepts and never answers.
    const silent = createServer(() => {}).listen(0, '127.0.0.1')
    await new Promise((resolve) => silent.once('listening', resolve))
    const timedOut = await coedit(['cat', `http://127.0.0.1:${(silent.address() as { port: number }).port}/d/x`, '--timeout-ms', '300'])
    silent.close()
    expect(timedOut.code).toBe(6)
    // Usage.
    expect((await coedit(['cat'])).code).toBe(2)
    expect((await coedit(['cat', 'not a url'])).stderr).toMatch(/not a URL/)
    const help = await coedit(['watch', '--help'])
    expect(help).toMatchObject({ code: 0 })
    expect(help.stdout).toMatch(/Exit codes/)
  })

  it('reads links in every form people paste', () => {
    expect(parseDocAddress('https://docs.example.org/d/abc#token=t1')).toEqual({
      httpBase: 'https://docs.example.org',
      wsBase: 'wss://docs.example.org',
      id: 'abc',
      token: 't1',
    })
    expect(parseDocAddress('http://127.0.0.1:1234/d/a%2Fb', 'given')).toMatchObject({ id: 'a/b', token: 'given', wsBase: 'ws://127.0.0.1:1234' })
    expect(parseDocAddress('ws://host:1/sync/room')).toMatchObject({ wsBase: 'ws://host:1/sync', id: 'room', token: null })
  })
})

describe('coedit history / blame / restore', () => {
  it('lists versions, blames each line on its author, restores a version for the people editing', async () => {
    const server = await cli(['--version-idle-ms', '200'])
    const ada = client(server, 'book')
    ada.provider.awareness.setLocalStateField('user', { name: 'Ada', color: '#d1495b' })
    await ada.synced()
    ada.text.insert(0, 'Chapter one\nIt was a dark night.\n')
    await waitFor('a version', async () => (await coedit(['history', link(server, 'book'), '--json'])).stdout.trim().split('\n').length === 1)
    expect((await coedit(['write', link(server, 'book')], 'Chapter one\nIt was a bright morning.\nThe end.\n')).code).toBe(0)
    await waitFor('ada has the write', () => ada.text.toString().endsWith('The end.\n'))

    const blame = await coedit(['blame', link(server, 'book')])
    expect(blame.code).toBe(0)
    const lines = blame.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(/^Ada\s+\d{4}-\d\d-\d\d \d\d:\d\d │ Chapter one$/)
    // The write (open mode, no author) changed most of line 2 and all of line 3.
    expect(lines[1]).toMatch(/^unknown\s+.* │ It was a bright morning\.$/)
    expect(lines[2]).toMatch(/│ The end\.$/)

    const history = await coedit(['history', link(server, 'book')])
    expect(history.code).toBe(0)
    expect(history.stdout).toMatch(/^ID\s+TIME\s+LENGTH\s+NAME \/ AUTHORS\n/)
    expect(history.stdout).toContain('Ada')
    const first = JSON.parse((await coedit(['history', link(server, 'book'), '--json'])).stdout.trim().split('\n').at(-1)!) as { id: string }
    const restored = await coedit(['restore', link(server, 'book'), first.id, '--name', 'Editor Ed'])
    expect(restored.code).toBe(0)
    expect(restored.stdout).toMatch(/^Restored from the version of \d{4}-\d\d-\d\d \d\d:\d\d UTC: now version \d+, 33 characters\n$/)
    await waitFor('ada has the restored text', () => ada.text.toString() === 'Chapter one\nIt was a dark night.\n')
    const after = JSON.parse((await coedit(['history', link(server, 'book'), '--json', '--limit', '1'])).stdout) as { authors: string[] }
    expect(after.authors).toContain('Editor Ed')

    // Mistakes get a reason and the documented exit code.
    expect(await coedit(['restore', link(server, 'book'), '999999'])).toMatchObject({ code: 4, stderr: expect.stringContaining('no version 999999') })
    expect(await coedit(['restore', link(server, 'book')])).toMatchObject({ code: 2, stderr: expect.stringContaining('a version id') })
    expect(await coedit(['history', link(server, 'never-written')])).toMatchObject({ code: 4 })
    expect(await coedit(['history', link(server, 'book'), '--limit', '0'])).toMatchObject({ code: 2 })
  })
})
