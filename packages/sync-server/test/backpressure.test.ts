import { afterEach, describe, expect, it } from 'vitest'
import type { Socket } from 'node:net'
import { connectClient, rawClient, waitFor } from '@coedit/test-utils'
import { startTestServer, type TestServer } from './support/test-server.js'
import type { SessionClosedEvent } from '../src/index.js'
import { encodeSyncStep1 } from '../src/protocol.js'

let server: TestServer

afterEach(async () => {
  await server?.close()
})

describe('a client that stops reading', () => {
  it('is dropped once its send buffer passes the cap, and the room carries on', async () => {
    const cap = 256 * 1024
    server = await startTestServer({ maxBufferedBytes: cap })
    const closures: SessionClosedEvent[] = []
    server.sync.on('sessionClosed', (event) => closures.push(event))

    const writer = connectClient(server.wsUrl, 'slow')
    const reader = connectClient(server.wsUrl, 'slow')
    await Promise.all([writer.synced(), reader.synced()])
    const sloth = rawClient(server.wsUrl, 'slow')
    await sloth.opened()
    sloth.send(encodeSyncStep1(new Uint8Array([0])))
    await waitFor('the sloth to get its handshake', () => sloth.frames.length >= 2)
    // Stop reading: the kernel buffers fill, then the server's own queue grows.
    ;(sloth.socket as unknown as { _socket: Socket })._socket.pause()

    const chunk = 'x'.repeat(200_000)
    for (let i = 0; i < 100 && !closures.some((c) => c.cause === 'backpressure'); i++) {
      writer.text.insert(writer.text.length, chunk)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await waitFor('the sloth to be dropped for backpressure', () => closures.find((c) => c.cause === 'backpressure'), { timeoutMs: 10_000 })
    expect(await server.metric('coedit_evictions_total', { reason: 'backpressure' })).toBe(1)
    // Everyone else got everything and is still connected.
    await waitFor('the reader to catch up', () => reader.text.length === writer.text.length, { timeoutMs: 10_000 })
    expect(reader.provider.wsconnected).toBe(true)
    writer.text.insert(0, 'still flowing')
    await waitFor('a later edit to arrive', () => reader.text.toString().startsWith('still flowing'))
    writer.destroy()
    reader.destroy()
  })
})
