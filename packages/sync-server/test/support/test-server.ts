import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import { afterEach } from 'vitest'
import { connectClient, rawClient, readMetric, type RawClient, type TestClient } from '@coedit/test-utils'
import { SyncServer, type SyncServerOptions } from '../../src/index.js'

export interface TestServer {
  readonly sync: SyncServer
  readonly http: Server
  readonly port: number
  /** ws://127.0.0.1:<port> — pass to WebsocketProvider as its server URL. */
  readonly wsUrl: string
  readonly httpUrl: string
  /** Reads one metric from /metrics (sum over label sets when `labels` is omitted). */
  metric(name: string, labels?: Record<string, string>): Promise<number>
  close(): Promise<void>
}

/** A real SyncServer built from this package's source, on 127.0.0.1, port 0 unless given, with quiet logs unless asked. */
export async function startTestServer(options: SyncServerOptions & { port?: number } = {}): Promise<TestServer> {
  const { port: wantedPort = 0, ...syncOptions } = options
  const sync = new SyncServer({ logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), ...syncOptions })
  const http = createServer((request, response) => {
    if (!sync.handleHttp(request, response)) {
      response.writeHead(404)
      response.end()
    }
  })
  sync.attach(http)
  await new Promise<void>((resolve) => http.listen(wantedPort, '127.0.0.1', resolve))
  const port = (http.address() as AddressInfo).port
  const httpUrl = `http://127.0.0.1:${port}`
  let closed: Promise<void> | null = null
  return {
    sync,
    http,
    port,
    wsUrl: `ws://127.0.0.1:${port}`,
    httpUrl,
    metric: (name, labels) => readMetric(httpUrl, name, labels),
    close: () => {
      closed ??= (async () => {
        const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()))
        await sync.close({ timeoutMs: 1_000 })
        http.closeAllConnections()
        await httpClosed
      })()
      return closed
    },
  }
}

/**
 * A test file's server and clients: `start` a server, then `client` (the stock y-websocket
 * provider) and `raw` (a bare socket) on it; all of them are stopped after each test.
 */
export function useTestServer() {
  let current: TestServer | null = null
  const clients: TestClient[] = []
  const sockets: RawClient[] = []
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy()
    for (const s of sockets.splice(0)) s.socket.terminate()
    await current?.close()
    current = null
  })
  const running = (): TestServer => {
    if (!current) throw new Error('start a server first')
    return current
  }
  return {
    async start(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
      current = await startTestServer(options)
      return current
    },
    client(room: string, options?: Parameters<typeof connectClient>[2]): TestClient {
      const c = connectClient(running().wsUrl, room, options)
      clients.push(c)
      return c
    },
    async raw(room: string, options?: Parameters<typeof rawClient>[2]): Promise<RawClient> {
      const r = rawClient(running().wsUrl, room, options)
      sockets.push(r)
      await r.opened()
      return r
    },
  }
}
