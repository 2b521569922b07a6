import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type * as IORedis from 'ioredis'
import { loadDriver } from '../optional-driver.js'
import type { Logger } from 'pino'
import type { ClusterRelay, RemoteEvents, RoomChannel } from './cluster-relay.js'
import type { ServerMetrics } from '../metrics.js'

export interface RedisRelayOptions {
  /** redis://host:port/db */
  readonly url: string
  readonly log: Logger
  /** Stream entries older than this are trimmed (they are stored already). Default 60 000 ms. */
  readonly retainMs?: number
  /** How often this server says it is alive, and checks the others. Default 2 000 ms. */
  readonly heartbeatMs?: number
}

interface Subscription {
  readonly events: RemoteEvents
  /** Last stream entry seen; '0-0' reads what the stream still holds, so a late joiner misses nothing. */
  lastId: string
}

const STREAM = (room: string) => `coedit:room:${room}`
const ALIVE = (server: string) => `coedit:server:${server}`
const BLOCK_MS = 5_000
const BATCH = 512

/**
 * The cross-server relay on Redis Streams: one stream per room. Every update and awareness
 * change a server accepts (after storing it) is added to the room's stream; every server
 * holding the room reads the stream from where it left off, so a hiccup means catching up,
 * not diverging. Streams keep `retainMs` of history (everything in them is stored) and
 * expire when idle. Each server refreshes a key with a short TTL; when another server's key
 * is gone, the presence it relayed is removed.
 */
export class RedisRelay implements ClusterRelay {
  readonly serverId = randomUUID()
  private readonly commands: Redis
  private readonly reader: Redis
  private readonly rooms = new Map<string, Subscription>()
  /** Servers heard from, the rooms they spoke in, and when they were first heard. */
  private readonly peers = new Map<string, { rooms: Set<string>; firstHeard: number }>()
  private readonly heartbeatMs: number
  private readonly retainMs: number
  private readonly heartbeat: NodeJS.Timeout
  private readerId: number | null = null
  private metrics: ServerMetrics | null = null
  private closed = false
  private wasDisconnected = false
  private readonly loop: Promise<void>
  /**
   * Redis's clock minus ours, learnt from the ids Redis gives our entries. Stream ids carry
   * Redis's time, so trimming and lag are computed on it: a server whose clock runs ahead
   * would otherwise trim entries the others have not read yet.
   */
  private redisClockOffset: number | null = null
  /** Resolves the reader's wait when there is something to read (a room joined, Redis ready). */
  private wake: (() => void) | null = null

  constructor(private readonly options: RedisRelayOptions) {
    this.retainMs = options.retainMs ?? 60_000
    const retry = (attempt: number) => Math.min(100 * 2 ** Math.min(attempt, 6), 3_000)
    const { Redis: Client } = loadDriver<typeof IORedis>('ioredis', '@coedit/sync-server/redis')
    this.commands = new Client(options.url, { retryStrategy: retry, maxRetriesPerRequest: null, lazyConnect: false })
    this.reader = new Client(options.url, { retryStrategy: retry, maxRetriesPerRequest: null })
    for (const [name, connection] of [
      ['commands', this.commands],
      ['reader', this.reader],
    ] as const) {
      connection.on('error', (error: Error) => options.log.warn({ connection: name, err: error.message }, 'redis connection error'))
      connection.on('close', () => {
        if (!this.closed) this.wasDisconnected = true
      })
    }
    // Say "alive" as soon as the connection is up, before this server's first message.
    this.commands.on('ready', () => void this.beat())
    this.reader.on('ready', () => {
      this.readerId = null
      this.wake?.()
      if (this.wasDisconnected) this.reconnected()
    })
    this.heartbeatMs = options.heartbeatMs ?? 2_000
    this.heartbeat = setInterval(() => void this.beat(), this.heartbeatMs)
    this.heartbeat.unref()
    this.loop = this.read()
  }

  bindMetrics(metrics: ServerMetrics): void {
    this.metrics = metrics
  }

  join(room: string, events: RemoteEvents): RoomChannel {
    this.rooms.set(room, { events, lastId: '0-0' })
    this.wake?.()
    this.interruptRead()
    return {
      publishUpdate: (update) => this.publish(room, 'u', update),
      publishAwareness: (update) => this.publish(room, 'a', update),
      publishDeleted: () => this.publish(room, 'd', new Uint8Array(0)),
      leave: () => {
        if (this.rooms.get(room)?.events === events) this.rooms.delete(room)
      },
    }
  }

  check(): void {
    if (this.commands.status !== 'ready') throw new Error(`redis is ${this.commands.status}`)
  }

  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.heartbeat)
    await this.commands.del(ALIVE(this.serverId)).catch(() => {})
    this.reader.disconnect()
    this.wake?.()
    await this.loop
    await this.commands.quit().catch(() => this.commands.disconnect())
  }

  private publish(room: string, type: EntryType, data: Uint8Array): void {
    const key = STREAM(room)
    // Until Redis's clock is known nothing is trimmed: '0-0' keeps every entry.
    const oldest = this.redisClockOffset === null ? '0-0' : `${Math.max(0, Math.floor(Date.now() + this.redisClockOffset - this.retainMs))}-0`
    const sentAt = Date.now()
    // Published after the update is stored; were Redis away, ioredis queues the command and the
    // others resync from storage when it is back.
    this.commands
      .multi()
      .xadd(key, 'MINID', '~', oldest, '*', 's', this.serverId, 't', type, 'd', Buffer.from(data.buffer, data.byteOffset, data.byteLength))
      .pexpire(key, this.retainMs * 2)
      .exec()
      .then(
        (results) => {
          const id = results?.[0]?.[1]
          if (typeof id === 'string') this.redisClockOffset = Number(id.split('-')[0]) - (sentAt + Date.now()) / 2
          this.metrics?.relayPublished.inc({ type })
        },
        (error: Error) => this.options.log.warn({ room, err: error.message }, 'relay publish failed'),
      )
  }

  private async read(): Promise<void> {
    while (!this.closed) {
      if (this.rooms.size === 0 || this.reader.status !== 'ready') {
        // Nothing to read: sleep until a room joins or the connection is back, not in a poll.
        await new Promise<void>((resolve) => (this.wake = resolve))
        this.wake = null
        continue
      }
      const rooms = [...this.rooms]
      try {
        this.readerId ??= Number(await this.reader.call('CLIENT', 'ID'))
        const reply = (await this.reader.xreadBuffer(
          'COUNT',
          BATCH,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          ...rooms.map(([room]) => STREAM(room)),
          ...rooms.map(([, sub]) => sub.lastId),
        )) as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null
        if (reply) for (const [key, entries] of reply) this.deliver(key.toString().slice('coedit:room:'.length), entries)
      } catch (error) {
        if (this.closed) return
        this.options.log.debug({ err: (error as Error).message }, 'relay read interrupted')
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
  }

  private deliver(room: string, entries: Array<[Buffer, Buffer[]]>): void {
    const sub = this.rooms.get(room)
    if (!sub) return
    for (const [rawId, fields] of entries) {
      const id = rawId.toString()
      sub.lastId = id
      const entry = fieldsOf(fields)
      if (!entry || entry.server === this.serverId) continue
      this.metrics?.relayConsumed.inc({ type: entry.type })
      this.metrics?.relayLag.observe(Math.max(0, Date.now() + (this.redisClockOffset ?? 0) - Number(id.split('-')[0])) / 1000)
      let peer = this.peers.get(entry.server)
      if (!peer) this.peers.set(entry.server, (peer = { rooms: new Set(), firstHeard: Date.now() }))
      peer.rooms.add(room)
      if (entry.type === 'u') sub.events.update(entry.data)
      else if (entry.type === 'a') sub.events.awareness(entry.data, entry.server)
      else sub.events.deleted?.()
    }
  }

  /** A new room must be read at once, not after the current blocking read times out. */
  private interruptRead(): void {
    if (this.readerId === null || this.commands.status !== 'ready') return
    void this.commands.call('CLIENT', 'UNBLOCK', String(this.readerId)).catch(() => {})
  }

  private reconnected(): void {
    this.wasDisconnected = false
    this.metrics?.relayReconnects.inc()
    this.options.log.info({ rooms: this.rooms.size }, 'redis is back; resyncing rooms from storage')
    for (const sub of this.rooms.values()) sub.events.resync()
  }

  private async beat(): Promise<void> {
    if (this.closed || this.commands.status !== 'ready') return
    const ttl = this.heartbeatMs * 3
    try {
      await this.commands.set(ALIVE(this.serverId), '1', 'PX', ttl)
      const peers = [...this.peers.keys()]
      if (peers.length === 0) return
      const alive = await this.commands.mget(...peers.map(ALIVE))
      const now = Date.now()
      peers.forEach((server, i) => {
        const peer = this.peers.get(server)
        // A key that is missing for longer than its TTL means the server stopped refreshing it.
        if (alive[i] !== null || !peer || now - peer.firstHeard < ttl) return
        const rooms = peer.rooms
        this.peers.delete(server)
        this.options.log.warn({ server, rooms: rooms.size }, 'server stopped answering; removing its presence')
        for (const room of rooms) this.rooms.get(room)?.events.serverGone(server)
      })
    } catch (error) {
      this.options.log.debug({ err: (error as Error).message }, 'relay heartbeat failed')
    }
  }
}

/** u: a document update; a: presence; d: the document was deleted. */
type EntryType = 'u' | 'a' | 'd'

function fieldsOf(fields: Buffer[]): { server: string; type: EntryType; data: Uint8Array } | null {
  let server: string | null = null
  let type: string | null = null
  let data: Buffer | null = null
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.toString()
    if (name === 's') server = fields[i + 1]!.toString()
    else if (name === 't') type = fields[i + 1]!.toString()
    else if (name === 'd') data = fields[i + 1]!
  }
  if (server === null || (type !== 'u' && type !== 'a' && type !== 'd') || data === null) return null
  return { server, type, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }
}
