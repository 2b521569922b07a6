import { connect as connectTcp, type Socket } from 'node:net'
import { connect as connectTls } from 'node:tls'
import type { Logger } from 'pino'
import { encodeCommand, RespError, RespParser, type RespValue } from './resp.js'

export interface RedisConnectionEvents {
  /** Connected and authenticated: `send` and `request` work from now on. */
  ready(): void
  /** The connection ended: what was written since the last confirmation may not have arrived. */
  lost(): void
}

export interface RedisConnectionOptions {
  /** Named in log lines. */
  readonly name: string
  /**
   * Turns replies off (CLIENT REPLY OFF) after the handshake: a write costs one system call
   * and no read, and the process is not woken for answers nobody needs.
   */
  readonly repliesOff?: boolean
  /** Bytes written but not yet taken by the kernel past which `send` refuses (backpressure). */
  readonly maxBufferedBytes?: number
}

interface Waiting {
  resolve(value: RespValue): void
  reject(error: Error): void
}

/**
 * One Redis connection on a plain socket, for the relay's hot paths: publishing (replies off)
 * and the blocking stream read (one request at a time, answers parsed straight from the
 * socket's bytes). A general client costs several times as much per command in JavaScript
 * around the same system calls. AUTH and SELECT are checked; it reconnects with backoff.
 */
export class RedisConnection {
  private socket: Socket | null = null
  private isReady = false
  private closed = false
  private attempt = 0
  private retry: NodeJS.Timeout | null = null
  private waiting: Waiting[] = []
  private readonly target: { host: string; port: number; tls: boolean; username: string; password: string; db: number }
  private readonly maxBufferedBytes: number

  constructor(
    url: string,
    private readonly log: Logger,
    private readonly events: RedisConnectionEvents,
    private readonly options: RedisConnectionOptions,
  ) {
    const parsed = new URL(url)
    this.target = {
      host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
      port: Number(parsed.port || 6379),
      tls: parsed.protocol === 'rediss:',
      username: decodeURIComponent(parsed.username),
      password: decodeURIComponent(parsed.password),
      db: Number(parsed.pathname.slice(1) || 0),
    }
    this.maxBufferedBytes = options.maxBufferedBytes ?? 16 * 1024 * 1024
    this.open()
  }

  get ready(): boolean {
    return this.isReady
  }

  /** Writes one command without waiting for its answer; false when not connected or too far behind (nothing is written then). */
  send(args: ReadonlyArray<string | Uint8Array>): boolean {
    const socket = this.socket
    if (!this.isReady || !socket || socket.writableLength > this.maxBufferedBytes) return false
    socket.write(encodeCommand(args))
    return true
  }

  /** Sends one command and resolves with its answer; rejects on an error reply or when the connection ends first. */
  request(args: ReadonlyArray<string | Uint8Array>): Promise<RespValue> {
    if (this.options.repliesOff) return Promise.reject(new Error('this connection has replies off'))
    const socket = this.socket
    if (!this.isReady || !socket) return Promise.reject(new Error(`redis ${this.options.name} connection is not ready`))
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject })
      socket.write(encodeCommand(args))
    })
  }

  /** Ends the connection; requests waiting for an answer are rejected. */
  close(): void {
    this.closed = true
    if (this.retry) clearTimeout(this.retry)
    this.isReady = false
    const socket = this.socket
    // A blocking read would hold a graceful end for its whole timeout.
    if (this.waiting.length > 0) socket?.destroy()
    else socket?.end()
    this.failWaiting(new Error('redis connection closed'))
  }

  private open(): void {
    const { host, port, tls, username, password, db } = this.target
    const socket = tls ? connectTls({ host, port, servername: host }) : connectTcp({ host, port })
    this.socket = socket
    socket.setNoDelay(true)
    const parser = new RespParser()
    const handshake: string[][] = []
    if (password) handshake.push(username ? ['AUTH', username, password] : ['AUTH', password])
    if (db > 0) handshake.push(['SELECT', String(db)])
    let handshaking = handshake.length
    let answered = handshaking === 0 && Boolean(this.options.repliesOff)
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      for (const command of handshake) socket.write(encodeCommand(command))
      // CLIENT REPLY OFF answers nothing; the handshake's answers come before it takes effect.
      if (this.options.repliesOff) socket.write(encodeCommand(['CLIENT', 'REPLY', 'OFF']))
      if (handshaking === 0) this.becomeReady()
    })
    socket.on('data', (chunk: Buffer) => {
      if (answered) return
      let replies: RespValue[]
      try {
        replies = parser.feed(chunk)
      } catch (error) {
        this.log.warn({ connection: this.options.name, err: (error as Error).message }, 'unreadable redis reply; reconnecting')
        socket.destroy()
        return
      }
      for (const reply of replies) {
        if (handshaking > 0) {
          handshaking--
          if (reply instanceof RespError) {
            this.log.warn({ connection: this.options.name, answer: reply.message.slice(0, 200) }, 'redis refused the connection; retrying')
            socket.destroy()
            return
          }
          if (handshaking === 0) {
            answered = Boolean(this.options.repliesOff)
            this.becomeReady()
          }
          continue
        }
        const waiting = this.waiting.shift()
        if (!waiting) continue
        if (reply instanceof RespError) waiting.reject(reply)
        else waiting.resolve(reply)
      }
    })
    socket.on('error', (error: Error) => this.log.warn({ connection: this.options.name, err: error.message }, 'redis connection error'))
    socket.on('close', () => {
      const wasReady = this.isReady
      this.isReady = false
      if (this.socket === socket) this.socket = null
      this.failWaiting(new Error('redis connection lost'))
      if (wasReady) this.events.lost()
      if (this.closed) return
      const delay = Math.min(100 * 2 ** Math.min(this.attempt++, 5), 3_000)
      this.retry = setTimeout(() => this.open(), delay)
      this.retry.unref()
    })
  }

  private failWaiting(error: Error): void {
    const waiting = this.waiting
    this.waiting = []
    for (const w of waiting) w.reject(error)
  }

  private becomeReady(): void {
    this.attempt = 0
    this.isReady = true
    this.events.ready()
  }
}
