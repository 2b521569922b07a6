import { afterEach, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import { createHmac } from 'node:crypto'
import { join } from 'node:path'
import { readMetric, waitFor } from '@coedit/test-utils'
import { SqliteStorage } from '@coedit/sync-server/sqlite'
import { MemoryStorage, type WebhookStore } from '@coedit/sync-server'
import { useCli } from './cli-harness.js'
import { retryDelay } from '../src/webhooks/webhook-dispatcher.js'

const SECRET = 'webhook-signing-secret'
const { cli, client, tempDir } = useCli(['--log-level', 'info', '--web-dir', 'none'])

interface Received {
  readonly at: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: string
}

/** A real HTTP receiver on 127.0.0.1; `answers` are the statuses to give, in order (then 200). */
async function receiver(answers: number[] = []): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = []
  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString()))
    request.on('end', () => {
      received.push({ at: Date.now(), headers: request.headers, body })
      response.writeHead(answers.shift() ?? 200)
      response.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receivers.push(server)
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, received, server }
}
const receivers: Server[] = []
afterEach(() => {
  for (const server of receivers.splice(0)) server.close()
})

describe('webhooks', () => {
  it('sends one signed document.changed per burst of edits, after the delay, and document.deleted on delete', async () => {
    const hook = await receiver()
    const server = await cli(['--data-dir', tempDir(), '--webhook-url', hook.url, '--webhook-delay-ms', '500'], { COEDIT_WEBHOOK_SECRET: SECRET })
    const editor = client(server, 'minutes')
    await editor.synced()
    const firstEdit = Date.now()
    for (const word of ['one ', 'two ', 'three ']) editor.text.insert(editor.text.length, word)
    await waitFor('the event', () => hook.received.length >= 1, { timeoutMs: 5_000 })
    const [event] = hook.received
    const delay = event!.at - firstEdit
    console.log(`document.changed delivered ${delay} ms after the first edit (delay 500 ms)`)
    expect(delay).toBeGreaterThanOrEqual(450)
    expect(event!.headers['x-coedit-event']).toBe('document.changed')
    expect(event!.headers['x-coedit-delivery']).toMatch(/^[0-9a-f-]{36}$/)
    expect(event!.headers['x-coedit-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(event!.body).digest('hex')}`)
    const body = JSON.parse(event!.body) as { event: string; doc: string; at: string; length: number }
    expect(body).toMatchObject({ event: 'document.changed', doc: 'minutes', length: 'one two three '.length })
    expect(Number.isNaN(Date.parse(body.at))).toBe(false)

    // No second event for the same burst.
    await new Promise((resolve) => setTimeout(resolve, 1_200))
    expect(hook.received).toHaveLength(1)
    expect(await fetch(`${server.httpUrl}/api/docs/minutes`, { method: 'DELETE' })).toHaveProperty('status', 204)
    await waitFor('the deletion event', () => hook.received.some((r) => r.headers['x-coedit-event'] === 'document.deleted'), { timeoutMs: 5_000 })
    expect(JSON.parse(hook.received.at(-1)!.body)).toMatchObject({ event: 'document.deleted', doc: 'minutes', length: 0 })
    expect(await readMetric(server.httpUrl, 'coedit_webhook_delivered_total', { event: 'document.changed' })).toBe(1)
    expect(await readMetric(server.httpUrl, 'coedit_webhook_pending')).toBe(0)
  })

  it('retries a delivery the receiver refused, with the same delivery id and body', async () => {
    const hook = await receiver([500, 503])
    const server = await cli(['--storage', 'memory', '--webhook-url', hook.url, '--webhook-delay-ms', '100'], { COEDIT_WEBHOOK_SECRET: SECRET })
    await fetch(`${server.httpUrl}/api/docs/retried/text`, { method: 'PUT', body: 'hello' })
    await waitFor('three attempts', () => hook.received.length >= 3, { timeoutMs: 10_000 })
    const [first, second, third] = hook.received
    expect(new Set(hook.received.map((r) => r.headers['x-coedit-delivery'])).size).toBe(1)
    expect(second!.body).toBe(first!.body)
    expect(third!.body).toBe(first!.body)
    // Backing off: about 1 s, then about 2 s (±20%).
    console.log(`retries after ${second!.at - first!.at} ms and ${third!.at - second!.at} ms`)
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(700)
    expect(third!.at - second!.at).toBeGreaterThanOrEqual(1_500)
    expect(await readMetric(server.httpUrl, 'coedit_webhook_failed_attempts_total', { reason: 'status' })).toBe(2)
    expect(await readMetric(server.httpUrl, 'coedit_webhook_delivered_total', { event: 'document.changed' })).toBe(1)
  })

  it('delivers an event that was due when the server was killed (kill -9), after it restarts', async () => {
    const hook = await receiver()
    const dir = tempDir()
    const args = ['--data-dir', dir, '--webhook-url', hook.url, '--webhook-delay-ms', '3000']
    const first = await cli(args)
    expect((await fetch(`${first.httpUrl}/api/docs/survivor/text`, { method: 'PUT', body: 'written before the crash' })).status).toBe(200)
    first.signal('SIGKILL')
    await first.exited
    expect(hook.received).toHaveLength(0)
    await cli(args)
    await waitFor('the event after the restart', () => hook.received.length >= 1, { timeoutMs: 10_000 })
    expect(JSON.parse(hook.received[0]!.body)).toMatchObject({ event: 'document.changed', doc: 'survivor', length: 'written before the crash'.length })
  })

  it('a change is due the delay after the last edit and never later than 10 s after the first; retries back off for hours, at most an hour apart', async () => {
    // The outbox's rule, on the stores themselves with a clock of our own.
    for (const store of [new MemoryStorage(), new SqliteStorage({ file: join(tempDir(), 'outbox.db') })] as Array<
      WebhookStore & { append(n: string, u: Uint8Array[]): void }
    >) {
      store.enableWebhooks()
      const promote = (now: number): number =>
        store.promoteChanges({ now, delayMs: 2_000, maxHoldMs: 10_000, urls: ['http://r/'], newId: () => `${Math.random()}` }) as number
      const start = Date.now()
      store.append('busy', [new Uint8Array([0, 0])])
      // Edits keep coming (the store notes them with its own clock); until 10 s the change is held.
      expect(promote(start + 1_500)).toBe(0)
      expect(promote(start + 10_500)).toBe(1)
      expect(store.pendingDeliveries()).toBe(1)
    }
    const waits = Array.from({ length: 16 }, (_, attempt) => retryDelay(attempt, 1_000, () => 0.5))
    expect(waits.slice(0, 3)).toEqual([1_000, 2_000, 4_000])
    expect(Math.max(...waits)).toBe(3_600_000)
    expect(waits.reduce((a, b) => a + b, 0) / 3_600_000).toBeGreaterThan(4)
  })
})
