import { describe, expect, it } from 'vitest'
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { connect } from 'node:net'
import { join } from 'node:path'
import { attemptUpgrade, waitFor } from '@coedit/test-utils'
import { useCli } from './cli-harness.js'

const { cli, tempDir } = useCli(['--log-level', 'info', '--storage', 'memory'])
function webDir(): string {
  const dir = tempDir()
  mkdirSync(join(dir, 'assets'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Coedit</title>')
  writeFileSync(join(dir, 'assets', 'big-123.js'), 'x'.repeat(4 * 1024 * 1024))
  return dir
}

/** Starts a download and drops the connection once the first bytes arrive. */
function abortedDownload(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, (response) => {
      response.once('data', () => {
        req.destroy()
        resolve()
      })
    })
    req.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(error)))
    req.end()
  })
}

/** GET with a Host header of our choosing (fetch sets its own). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

function openDescriptors(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length
}

/** Sends a WebSocket upgrade request and resets the connection at once, as a reloading page may. */
function resetUpgrade(port: number, path: string, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      )
      socket.resetAndDestroy()
      resolve()
    })
    socket.on('error', reject)
  })
}

describe('the HTTP side under abuse (issue 11: items 2, 13, 14, 15)', () => {
  it('300 aborted downloads leave no file descriptor open and the server serving', async () => {
    const p = await cli(['--web-dir', webDir()])
    const url = `${p.httpUrl}/assets/big-123.js`
    await abortedDownload(url)
    const before = openDescriptors(p.child.pid!)
    for (let i = 0; i < 300; i++) await abortedDownload(url)
    // Closing is asynchronous: give the server a moment to see the last resets.
    await waitFor('descriptors to be released', () => openDescriptors(p.child.pid!) <= before + 5, { timeoutMs: 5_000 })
    console.log(`open descriptors: ${before} before, ${openDescriptors(p.child.pid!)} after 300 aborted downloads`)
    const whole = await fetch(url)
    expect((await whole.arrayBuffer()).byteLength).toBe(4 * 1024 * 1024)
  })

  it('survives clients that reset a refused upgrade (a deleted document, a foreign host) while the refusal is written', async () => {
    const p = await cli(['--web-dir', 'none'])
    const { id } = (await (await fetch(`${p.httpUrl}/api/docs`, { method: 'POST' })).json()) as { id: string }
    expect((await fetch(`${p.httpUrl}/api/docs/${id}`, { method: 'DELETE' })).status).toBe(204)
    for (let i = 0; i < 200; i++) {
      await resetUpgrade(p.port, `/${id}`, `127.0.0.1:${p.port}`)
      await resetUpgrade(p.port, '/doc', 'evil.example')
    }
    // Before the fix the first write into a reset socket threw an unhandled 'error' and the process exited.
    await waitFor('the refusals to be logged', () => p.logs.filter((entry) => entry.msg === 'upgrade refused').length >= 400, { timeoutMs: 10_000 })
    expect(p.child.exitCode).toBeNull()
    expect((await fetch(`${p.httpUrl}/healthz`)).status).toBe(200)
    expect(await attemptUpgrade(`${p.wsUrl}/${id}`)).toMatchObject({ opened: false, status: 410 })
  })

  it('sends a strict Content-Security-Policy, no referrer, and framing only by this origin (configurable)', async () => {
    const p = await cli(['--web-dir', webDir()])
    const page = await fetch(`${p.httpUrl}/d/some-document`)
    const csp = page.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("default-src 'self'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("frame-ancestors 'self'")
    expect(page.headers.get('referrer-policy')).toBe('no-referrer')
    expect(page.headers.get('x-frame-options')).toBe('SAMEORIGIN')
    const embedded = await cli(['--web-dir', webDir(), '--frame-ancestors', 'https://intranet.example.com'])
    const framed = await fetch(`${embedded.httpUrl}/`)
    expect(framed.headers.get('content-security-policy')).toContain('frame-ancestors https://intranet.example.com')
    expect(framed.headers.get('x-frame-options')).toBeNull()
  })

  it('in open mode on loopback, answers loopback host names only (DNS rebinding), unless told otherwise', async () => {
    const p = await cli(['--web-dir', 'none'])
    const rebound = await getWithHost(`${p.httpUrl}/api/access`, 'evil.example')
    expect(rebound.status).toBe(403)
    expect((JSON.parse(rebound.body) as { error: string }).error).toMatch(/host evil.example is not allowed/)
    const upgrade = await attemptUpgrade(`${p.wsUrl}/doc`, { headers: { host: 'evil.example', origin: 'http://evil.example' } })
    expect(upgrade).toMatchObject({ opened: false, status: 403 })
    expect((await getWithHost(`${p.httpUrl}/api/access`, `localhost:${p.port}`)).status).toBe(200)
    const named = await cli(['--web-dir', 'none', '--allowed-hosts', 'docs.internal'])
    expect((await getWithHost(`${named.httpUrl}/healthz`, 'docs.internal')).status).toBe(200)
    expect((await getWithHost(`${named.httpUrl}/healthz`, 'evil.example')).status).toBe(403)
  })

  it('answers an oversized /api/links body with 413 and JSON', async () => {
    const p = await cli(['--web-dir', 'none'], { COEDIT_SECRET: 'http-hardening-secret-long-enough-for-hs256' })
    const response = await fetch(`${p.httpUrl}/api/links`, {
      method: 'POST',
      headers: { authorization: 'Bearer x.y.z' },
      body: JSON.stringify({ doc: 'a', pad: 'p'.repeat(10_000) }),
    })
    expect(response.status).toBe(413)
    expect(((await response.json()) as { error: string }).error).toMatch(/at most 4096 bytes/)
  })
})
