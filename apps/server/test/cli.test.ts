import { describe, expect, it } from 'vitest'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { rawClient, readMetric, startCli, waitFor } from '@coedit/test-utils'
import { CLI, useCli } from './cli-harness.js'

const { cli, client, tempDir } = useCli(['--log-level', 'info', '--web-dir', 'none'])
describe('the coedit CLI', () => {
  it('loses nothing it relayed when killed with SIGKILL', async () => {
    const dir = tempDir()
    const first = await cli(['--data-dir', dir])
    const writer = client(first, 'crash')
    const reader = client(first, 'crash')
    await Promise.all([writer.synced(), reader.synced()])
    for (let i = 0; i < 200; i++) {
      writer.text.insert(writer.text.length, `${i % 10}`)
      if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    // The server stores before it relays: once the reader has it, the disk has it.
    await waitFor('the reader to receive every edit', () => reader.text.length === 200)
    const relayed = reader.text.toString()
    writer.destroy()
    reader.destroy()
    first.signal('SIGKILL')
    expect((await first.exited).signal).toBe('SIGKILL')

    const second = await cli(['--data-dir', dir])
    const after = client(second, 'crash')
    await after.synced()
    await waitFor('the text to come back', () => after.text.toString() === relayed)
  })

  it('on SIGTERM right after an edit: closes sessions with 1012, stores the edit and exits 0', async () => {
    const dir = tempDir()
    const first = await cli(['--data-dir', dir])
    const writer = client(first, 'term')
    await writer.synced()
    const codes: number[] = []
    writer.provider.on('connection-close', (event: { code: number } | null) => event && codes.push(event.code))
    writer.text.insert(0, 'last words before SIGTERM')
    // Signal in the same tick as the edit leaves: the server sees the edit and the signal together.
    first.signal('SIGTERM')
    const started = Date.now()
    const { code } = await first.exited
    expect(code).toBe(0)
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(codes).toContain(1012)
    expect(first.logs.some((l) => l.msg === 'stopped')).toBe(true)

    const second = await cli(['--data-dir', dir])
    const reader = client(second, 'term')
    await reader.synced()
    await waitFor('the last edit to be there', () => reader.text.toString() === 'last words before SIGTERM')
  })

  it('refuses bad room names at the upgrade with HTTP 400, and serves /healthz and /metrics', async () => {
    const p = await cli(['--storage', 'memory'])
    const bad = rawClient(p.wsUrl, 'bad%20name')
    await expect(bad.opened()).rejects.toThrow(/400/)
    const health = await fetch(`${p.httpUrl}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.text()).toBe('ok\n')
    const c = client(p, 'metered')
    await c.synced()
    expect(await readMetric(p.httpUrl, 'coedit_sessions')).toBe(1)
    expect(await readMetric(p.httpUrl, 'coedit_rooms_loaded')).toBe(1)
    expect(await readMetric(p.httpUrl, 'coedit_upgrades_refused_total', { status: '400' })).toBe(1)
    const opened = p.logs.find((l) => l.msg === 'session opened')
    expect(opened).toMatchObject({ room: 'metered' })
  })

  it('logs one line per session close with room, cause and duration', async () => {
    const p = await cli(['--storage', 'memory'])
    const c = client(p, 'logged')
    await c.synced()
    c.destroy()
    const line = await waitFor('the close line', () => p.logs.find((l) => l.msg === 'session closed'))
    expect(line).toMatchObject({ room: 'logged', cause: 'client' })
    expect(typeof line.durationMs).toBe('number')
  })

  it('serves a built web app, with index.html for client-side routes', async () => {
    const web = tempDir()
    mkdirSync(join(web, 'assets'))
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>Coedit</title>')
    writeFileSync(join(web, 'assets', 'app-123.js'), 'console.log(1)')
    const p = await cli(['--storage', 'memory', '--web-dir', web])
    const page = await fetch(`${p.httpUrl}/d/some-document`)
    expect(page.headers.get('content-type')).toMatch(/text\/html/)
    expect(await page.text()).toContain('<title>Coedit</title>')
    const asset = await fetch(`${p.httpUrl}/assets/app-123.js`)
    expect(asset.headers.get('cache-control')).toContain('immutable')
    const escape = await fetch(`${p.httpUrl}/..%2f..%2fetc%2fpasswd`)
    expect(await escape.text()).toContain('<title>Coedit</title>')
  })

  it('says on stderr why it could not start when the port is taken', async () => {
    const running = await cli(['--data-dir', tempDir()])
    const port = new URL(running.wsUrl).port
    await expect(startCli(CLI, ['--port', port, '--web-dir', 'none', '--data-dir', tempDir()])).rejects.toThrow(
      new RegExp(`exited with 1.*stderr: coedit: could not start: .*port ${port} is taken`, 's'),
    )
  })

  it('exits 2 with a clear message on a bad flag', async () => {
    await expect(startCli(CLI, ['--port', 'nope'])).rejects.toThrow(/exited with 2.*--port must be a whole number/s)
  })
})
