import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { get } from 'node:https'
import { connect } from 'node:tls'
import { join } from 'node:path'
import { startCli, waitFor } from '@coedit/test-utils'
import { CLI, useCli } from './cli-harness.js'

const { cli, client, tempDir } = useCli(['--log-level', 'info', '--web-dir', 'none', '--storage', 'memory'])
interface Pair {
  readonly cert: string
  readonly key: string
  readonly pem: Buffer
}

/** A self-signed certificate for 127.0.0.1, made with openssl, named `name` in its subject. */
function makePair(dir: string, name: string): Pair {
  const cert = join(dir, `${name}.crt`)
  const key = join(dir, `${name}.key`)
  const result = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { encoding: 'utf8' },
  )
  if (result.error || result.status !== 0) {
    throw new Error(`openssl is needed for the TLS tests (Debian: apt-get install openssl): ${result.error?.message ?? result.stderr}`)
  }
  return { cert, key, pem: readFileSync(cert) }
}

function httpsGet(url: string, ca: Buffer[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    }).on('error', reject)
  })
}

/** The subject name of the certificate a fresh TLS handshake gets. */
function servedName(port: number, ca: Buffer[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca }, () => {
      const name = socket.getPeerCertificate().subject.CN
      socket.end()
      resolve(Array.isArray(name) ? name.join(',') : (name ?? ''))
    })
    socket.on('error', reject)
  })
}

describe('TLS on the server itself', () => {
  it('serves HTTPS and WSS on one port, and picks up a renewed certificate on SIGHUP', async () => {
    const dir = tempDir()
    const first = makePair(dir, 'coedit-first')
    const second = makePair(dir, 'coedit-second')
    const live = { cert: join(dir, 'live.crt'), key: join(dir, 'live.key') }
    copyFileSync(first.cert, live.cert)
    copyFileSync(first.key, live.key)
    const ca = [first.pem, second.pem]

    const server = await cli(['--tls-cert', live.cert, '--tls-key', live.key])
    expect(server.logs.find((l) => typeof l.url === 'string')?.url).toBe(`https://127.0.0.1:${server.port}`)
    expect(await httpsGet(`https://127.0.0.1:${server.port}/healthz`, ca)).toEqual({ status: 200, body: 'ok\n' })

    const wss = `wss://127.0.0.1:${server.port}`
    const a = client({ ...server, wsUrl: wss }, 'secure', { tls: { ca } })
    const b = client({ ...server, wsUrl: wss }, 'secure', { tls: { ca } })
    await Promise.all([a.synced(), b.synced()])
    a.text.insert(0, 'over wss')
    await waitFor('the edit to cross over wss', () => b.text.toString() === 'over wss')
    expect(await servedName(server.port, ca)).toBe('coedit-first')

    // Renewal: new files in place, SIGHUP, and the next handshake gets them; open sessions stay.
    copyFileSync(second.cert, live.cert)
    copyFileSync(second.key, live.key)
    server.signal('SIGHUP')
    await waitFor('the reload to be logged', () => server.logs.some((l) => l.msg === 'TLS certificate reloaded'))
    expect(await servedName(server.port, ca)).toBe('coedit-second')
    b.text.insert(b.text.length, ', still')
    await waitFor('the sessions to keep syncing', () => a.text.toString() === 'over wss, still')

    // A bad renewal is refused and the current certificate stays.
    writeFileSync(live.cert, 'not a certificate')
    server.signal('SIGHUP')
    await waitFor('the failed reload to be logged', () => server.logs.some((l) => l.msg === 'TLS reload failed; still serving the previous certificate'))
    expect(String(server.logs.find((l) => l.msg === 'TLS reload failed; still serving the previous certificate')?.err)).toMatch(/is not a PEM file/)
    expect(await servedName(server.port, ca)).toBe('coedit-second')
    expect(server.child.exitCode).toBe(null)
  })

  it('stops the start with a clear message when a file is missing or the key does not match', async () => {
    const dir = tempDir()
    const one = makePair(dir, 'one')
    const other = makePair(dir, 'other')
    const cases: Array<[string[], RegExp]> = [
      [['--tls-cert', join(dir, 'missing.crt'), '--tls-key', one.key], /--tls-cert \/ COEDIT_TLS_CERT: cannot read .*missing\.crt: ENOENT/],
      [['--tls-cert', one.cert, '--tls-key', other.key], /cannot be used together: .*key values mismatch/],
      [['--tls-cert', one.cert], /--tls-cert and --tls-key .* go together/],
    ]
    for (const [args, message] of cases) {
      const outcome = await startCli(CLI, ['--port', '0', '--storage', 'memory', '--web-dir', 'none', ...args]).then(
        () => null,
        (error: Error) => error.message,
      )
      expect(outcome, args.join(' ')).toMatch(/exited with 2/)
      expect(outcome).toMatch(message)
    }
  })
})
