import WebSocket from 'ws'
import * as Y from 'yjs'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness'
import { CLOSE, DELETED_REASON, tokenProtocols } from '@coedit/wire'
import { protocol } from '@coedit/sync-server'
import type { DocAddress } from './doc-address.js'

/** How a client command ends; each has its own exit code (see CLIENT_HELP). */
export type Failure = 'refused' | 'gone' | 'unreachable' | 'timed-out' | 'failed'

export const EXIT_CODES: Record<Failure, number> = { failed: 1, refused: 3, gone: 4, unreachable: 5, 'timed-out': 6 }

export class ClientError extends Error {
  constructor(
    readonly failure: Failure,
    message: string,
  ) {
    super(message)
  }
}

export interface ConnectOptions {
  readonly timeoutMs: number
  /** Presence to show while connected (a watcher shows up in the document's people). */
  readonly presence?: Record<string, unknown>
}

/**
 * One participant on a document over the y-websocket protocol, as the editor is: it syncs a
 * Y.Doc both ways and may publish presence. `synced` resolves after the server's answer to
 * our first sync step; `flushed` after the server has taken everything sent so far.
 */
export class DocConnection {
  readonly doc = new Y.Doc()
  readonly text = this.doc.getText('text')
  readonly awareness = new Awareness(this.doc)
  /** Set when the server said this connection may only read. */
  viewOnly = false
  private readonly socket: WebSocket
  private readonly waiters: Array<{ resolve: () => void; reject: (error: ClientError) => void }> = []
  private closedWith: ClientError | null = null
  private closing = false
  private readonly onClose: Array<(error: ClientError) => void> = []

  private constructor(
    private readonly address: DocAddress,
    private readonly options: ConnectOptions,
  ) {
    const url = `${address.wsBase}/${encodeURIComponent(address.id)}`
    this.socket = new WebSocket(url, address.token ? tokenProtocols(address.token) : [], { handshakeTimeout: options.timeoutMs })
    this.socket.binaryType = 'nodebuffer'
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin !== this) this.send(protocol.encodeUpdate(update))
    })
    this.awareness.on('update', ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      if (origin === this) return
      const changed = [...added, ...updated, ...removed]
      if (changed.length > 0) this.send(protocol.encodeAwarenessMessage(encodeAwarenessUpdate(this.awareness, changed)))
    })
  }

  /** Connects and resolves once synced; rejects with a ClientError saying why not. */
  static async open(address: DocAddress, options: ConnectOptions): Promise<DocConnection> {
    const connection = new DocConnection(address, options)
    await connection.start()
    return connection
  }

  /** Called once if the server ends the connection later (restart, deletion, revocation). */
  closed(listener: (error: ClientError) => void): void {
    this.onClose.push(listener)
  }

  /** Resolves once the server has taken every change sent so far (it answers in order). */
  flushed(): Promise<void> {
    const done = this.nextAnswer()
    this.send(protocol.encodeSyncStep1(Y.encodeStateVector(this.doc)))
    return this.withTimeout(done, 'the server did not confirm the change')
  }

  close(): Promise<void> {
    this.closing = true
    if (this.options.presence) this.awareness.setLocalState(null)
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve()
      this.socket.once('close', () => resolve())
      this.socket.close(1000, 'done')
      setTimeout(() => {
        this.socket.terminate()
        resolve()
      }, 1_000).unref()
    })
  }

  private start(): Promise<void> {
    const synced = this.nextAnswer()
    this.socket.on('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0
      let body = ''
      response.on('data', (chunk: Buffer) => (body += chunk.toString()))
      response.on('end', () => this.fail(failureFor(status, body.trim())))
      response.resume()
    })
    this.socket.on('error', (error: NodeJS.ErrnoException) => {
      const unreachable = ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'EAI_AGAIN'].includes(error.code ?? '')
      if (/handshake has timed out/i.test(error.message))
        this.fail(new ClientError('timed-out', `no answer from ${this.address.httpBase} within ${this.options.timeoutMs} ms`))
      else this.fail(new ClientError(unreachable ? 'unreachable' : 'failed', `cannot reach ${this.address.httpBase}: ${error.message}`))
    })
    this.socket.on('open', () => this.send(protocol.encodeSyncStep1(Y.encodeStateVector(this.doc))))
    // Shown to others once it holds the document: a watcher listed as present follows every change from then on.
    const presence = this.options.presence
    if (presence)
      void synced.then(
        () => this.awareness.setLocalState(presence),
        () => {},
      )
    this.socket.on('message', (data: Buffer) => this.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)))
    this.socket.on('close', (code: number, reason: Buffer) => {
      if (!this.closing) this.fail(failureForClose(code, reason.toString()))
    })
    return this.withTimeout(synced, `no answer from ${this.address.httpBase} within ${this.options.timeoutMs} ms`)
  }

  private receive(data: Uint8Array): void {
    let message: protocol.IncomingMessage
    try {
      message = protocol.decodeMessage(data)
    } catch {
      return
    }
    switch (message.kind) {
      case 'sync-step-1':
        this.send(protocol.encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, message.stateVector)))
        break
      case 'sync-step-2':
        Y.applyUpdate(this.doc, message.update, this)
        this.waiters.shift()?.resolve()
        break
      case 'update':
        Y.applyUpdate(this.doc, message.update, this)
        break
      case 'awareness':
        applyAwarenessUpdate(this.awareness, message.update, this)
        break
      case 'auth':
        this.viewOnly = true
        break
      case 'query-awareness':
        break
    }
  }

  private nextAnswer(): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith)
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }))
  }

  private withTimeout(promise: Promise<void>, message: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new ClientError('timed-out', message)), this.options.timeoutMs)
      promise.then(
        () => {
          clearTimeout(timer)
          resolve()
        },
        (error: unknown) => {
          clearTimeout(timer)
          reject(error as Error)
        },
      )
    })
  }

  private send(message: Uint8Array): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(message)
  }

  private fail(error: ClientError): void {
    if (this.closedWith) return
    this.closedWith = error
    for (const waiter of this.waiters.splice(0)) waiter.reject(error)
    for (const listener of this.onClose.splice(0)) listener(error)
  }
}

function failureFor(status: number, body: string): ClientError {
  const detail = body ? `: ${body}` : ''
  if (status === 401 || status === 403) return new ClientError('refused', `the server refused access (HTTP ${status})${detail}`)
  if (status === 404 || status === 410)
    return new ClientError('gone', status === 410 ? `this document was deleted (HTTP 410)` : `no such document or path (HTTP 404)${detail}`)
  if (status === 429 || status === 503) return new ClientError('unreachable', `the server is busy (HTTP ${status})${detail}; try again later`)
  return new ClientError('failed', `the server answered HTTP ${status}${detail}`)
}

function failureForClose(code: number, reason: string): ClientError {
  if (code === CLOSE.deleted) return new ClientError('gone', reason || DELETED_REASON)
  if (code === CLOSE.policy) return new ClientError('refused', `the server closed the connection: ${reason || 'policy'}`)
  if (code === CLOSE.restart) return new ClientError('unreachable', 'the server is restarting')
  return new ClientError('failed', `the connection closed (${code}${reason ? ` ${reason}` : ''})`)
}
