import { connect as connectTcp, type Socket } from 'node:net'
import { connect as connectTls } from 'node:tls'
import type { Logger } from 'pino'

export interface RedisWriterEvents {
  /** Connected and replies are off: `send` writes from now on. */
  ready(): void
  /** The connection ended: what was written since the last confirmation may not have arrived. */
  lost(): void
}

/**
 * A Redis connection that only writes: after AUTH and SELECT (whose answers it checks) it
 * turns replies off (CLIENT REPLY OFF), so a publish costs one write and no read, and the
 * process is not woken for an answer nobody needs. Whether writes arrived is checked by the
 * caller on another connection (the stream's newest entry). Reconnects with backoff.
 */
export class RedisWriter {
  private socket: Socket | null = null
  private isReady = false
  private closed = false
  private attempt = 0
  private retry: NodeJS.Timeout | null = null
  private readonly target: { host: string; port: number; tls: boolean; username: string; password: string; db: number }

  constructor(
    url: string,
    private readonly log: Logger,
    private readonly events: RedisWriterEvents,
    /** Bytes written but not yet taken by the kernel past which `send` refuses (backpressure). */
    private readonly maxBufferedBytes = 16 * 1024 * 1024,
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
    this.open()
  }

  get ready(): boolean {
    return this.isReady
  }

  /** Writes one command; false when not connected or too far behind (nothing is written then). */
  send(args: ReadonlyArray<string | Uint8Array>): boolean {
    const socket = this.socket
    if (!this.isReady || !socket || socket.writableLength > this.maxBufferedBytes) return false
    socket.cork()
    socket.write(`*${args.length}\r\n`)
    for (const arg of args) {
      if (typeof arg === 'string') socket.write(`$${Buffer.byteLength(arg)}\r\n${arg}\r\n`)
      else {
        socket.write(`$${arg.byteLength}\r\n`)
        socket.write(arg)
        socket.write('\r\n')
      }
    }
    socket.uncork()
    return true
  }

  close(): void {
    this.closed = true
    if (this.retry) clearTimeout(this.retry)
    this.isReady = false
    this.socket?.end()
  }

  private open(): void {
    const { host, port, tls, username, password, db } = this.target
    const socket = tls ? connectTls({ host, port, servername: host }) : connectTcp({ host, port })
    this.socket = socket
    socket.setNoDelay(true)
    const handshake: string[][] = []
    if (password) handshake.push(username ? ['AUTH', username, password] : ['AUTH', password])
    if (db > 0) handshake.push(['SELECT', String(db)])
    let answers = ''
    let expected = handshake.length
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      for (const command of handshake) this.writeRaw(socket, command)
      // CLIENT REPLY OFF answers nothing; the handshake's answers come before it takes effect.
      this.writeRaw(socket, ['CLIENT', 'REPLY', 'OFF'])
      if (expected === 0) this.becomeReady()
    })
    socket.on('data', (chunk: Buffer) => {
      if (expected === 0) return
      answers += chunk.toString('latin1')
      let end: number
      while (expected > 0 && (end = answers.indexOf('\r\n')) >= 0) {
        const line = answers.slice(0, end)
        answers = answers.slice(end + 2)
        expected--
        if (!line.startsWith('+')) {
          this.log.warn({ answer: line.slice(0, 200) }, 'redis refused the relay writer; retrying')
          socket.destroy()
          return
        }
      }
      if (expected === 0) this.becomeReady()
    })
    socket.on('error', (error: Error) => this.log.warn({ connection: 'writer', err: error.message }, 'redis connection error'))
    socket.on('close', () => {
      const wasReady = this.isReady
      this.isReady = false
      if (this.socket === socket) this.socket = null
      if (wasReady) this.events.lost()
      if (this.closed) return
      const delay = Math.min(100 * 2 ** Math.min(this.attempt++, 5), 3_000)
      this.retry = setTimeout(() => this.open(), delay)
      this.retry.unref()
    })
  }

  private becomeReady(): void {
    this.attempt = 0
    this.isReady = true
    this.events.ready()
  }

  private writeRaw(socket: Socket, command: readonly string[]): void {
    socket.write(`*${command.length}\r\n${command.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`)
  }
}
