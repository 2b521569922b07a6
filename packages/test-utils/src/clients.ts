import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { waitFor } from './wait-for.js'

export interface TestClient {
  readonly doc: Y.Doc
  readonly text: Y.Text
  readonly provider: WebsocketProvider
  /** Resolves once the provider has completed its first sync with the server. */
  synced(timeoutMs?: number): Promise<void>
  destroy(): void
}

/**
 * The stock y-websocket client, as an application would use it, in Node: `ws` as the
 * WebSocket and BroadcastChannel off (otherwise two clients in one process sync without the
 * server and hide its bugs).
 */
export function connectClient(
  wsUrl: string,
  room: string,
  /** maxBackoffTime: how long the provider waits between reconnects at most (the stock default is 2 500 ms). */
  /** tls: options for wss:// (a test CA, say). */
  options: { connect?: boolean; params?: Record<string, string>; protocols?: string[]; maxBackoffTime?: number; tls?: WebSocket.ClientOptions } = {},
): TestClient {
  const doc = new Y.Doc()
  const tls = options.tls
  const Socket = tls
    ? class extends WebSocket {
        constructor(url: string, protocols?: string | string[]) {
          super(url, protocols, tls)
        }
      }
    : WebSocket
  const provider = new WebsocketProvider(wsUrl, room, doc, {
    WebSocketPolyfill: Socket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    connect: options.connect ?? true,
    params: options.params ?? {},
    protocols: options.protocols ?? [],
    maxBackoffTime: options.maxBackoffTime ?? 200,
  })
  return {
    doc,
    text: doc.getText('text'),
    provider,
    synced: (timeoutMs = 5_000) => waitFor(`${room} to sync`, () => provider.synced, { timeoutMs }).then(() => undefined),
    destroy: () => {
      provider.destroy()
      doc.destroy()
    },
  }
}

export interface RawClient {
  readonly socket: WebSocket
  /** Every binary frame received so far. */
  readonly frames: Uint8Array[]
  readonly closed: Promise<{ code: number; reason: string }>
  opened(): Promise<void>
  send(data: Uint8Array | string): void
}

/** A bare WebSocket for sending what no well-behaved client would. */
export function rawClient(wsUrl: string, room: string, options: { query?: string; protocols?: string[]; headers?: Record<string, string> } = {}): RawClient {
  const socket = new WebSocket(`${wsUrl}/${room}${options.query ? `?${options.query}` : ''}`, options.protocols ?? [], { headers: options.headers ?? {} })
  const frames: Uint8Array[] = []
  socket.on('message', (data, isBinary) => {
    if (isBinary) frames.push(new Uint8Array(data as Buffer))
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))
  })
  socket.on('error', () => {})
  const openPromise = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused with ${response.statusCode}`)))
    socket.once('error', reject)
  })
  return {
    socket,
    frames,
    closed,
    opened: () => openPromise,
    send: (data) => socket.send(data),
  }
}

export type UpgradeOutcome =
  { readonly opened: true; readonly protocol: string; close(): Promise<void> } | { readonly opened: false; readonly status: number; readonly body: string }

/** Attempts one WebSocket upgrade and reports what the server answered: the HTTP refusal, or an open socket. */
export function attemptUpgrade(url: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<UpgradeOutcome> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {} })
    socket.once('open', () =>
      resolve({
        opened: true,
        protocol: socket.protocol,
        close: () =>
          new Promise<void>((done) => {
            socket.once('close', () => done())
            socket.close()
          }),
      }),
    )
    socket.once('unexpected-response', (_request, response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve({ opened: false, status: response.statusCode ?? 0, body: body.trim() }))
      response.on('error', reject)
    })
    socket.once('error', (error) => {
      if (socket.readyState !== WebSocket.CLOSED) reject(error)
    })
  })
}

/**
 * Resolves with how the server closed this client's socket the next time it does (and when),
 * and stops the provider from retrying: for tests of refusals that last (revoked links).
 */
export function closedByServer(client: TestClient): Promise<{ code: number; reason: string; atMs: number }> {
  return new Promise((resolve) => {
    const onClose = (event: { code: number; reason: string } | null): void => {
      if (!event) return
      client.provider.off('connection-close', onClose)
      client.provider.disconnect()
      resolve({ code: event.code, reason: event.reason, atMs: performance.now() })
    }
    client.provider.on('connection-close', onClose)
  })
}
