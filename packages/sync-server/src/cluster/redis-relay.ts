import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type * as IORedis from 'ioredis'
import { loadDriver } from '../optional-driver.js'
import type { Logger } from 'pino'
import type { ClusterRelay, RemoteEvents, RoomChannel } from './cluster-relay.js'
import type { ServerMetrics } from '../metrics.js'
import type { OutgoingEntry } from './relay-outbox.js'
import { decodeEntries, encodeEntries } from './relay-entry.js'
import { RelayPublisher } from './relay-publisher.js'
import { RedisConnection } from './redis-connection.js'

export interface RedisRelayOptions {
  /** redis://host:port/db */
  readonly url: string
  readonly log: Logger
  /** Stream entries older than this are trimmed (they are stored already). Default 60 000 ms. */
  readonly retainMs?: number
  /** How often this server says it is alive, and checks the others. Default 2 000 ms. */
  readonly heartbeatMs?: number
  /** Messages held while Redis is away; past it they are dropped. Default 10 000. */
  readonly maxQueuedMessages?: number
  /** Bytes held while Redis is away. Default 16 MiB. */
  readonly maxQueuedBytes?: number
  /**
   * Under load (the last stream entry carried several messages), the next entry waits for
   * the rest of this window so many messages share it; a message after a single one goes at
   * once, so someone typing alone is never delayed. Default 5 ms.
   */
  readonly publishWindowMs?: number
}

interface Peer {
  /** Last entry read from its stream; '0-0' reads what the stream still holds. */
  lastId: string
  /** Rooms it spoke in, whose presence from it goes when it stops answering. */
  readonly rooms: Set<string>
  readonly knownSince: number
}

const OUT_PREFIX = 'coedit:out:'
const OUT = (server: string) => `${OUT_PREFIX}${server}`
/** Every server adds an entry here when it connects, so the others start reading its stream at once. */
const ANNOUNCE = 'coedit:servers'
/** The servers that announced themselves, for one that starts later. */
const PEERS = 'coedit:peers'
const ALIVE = (server: string) => `coedit:server:${server}`
const BLOCK_MS = 5_000
const BATCH = 512
const EMPTY = new Uint8Array(0)

/**
 * The cross-server relay on Redis Streams: one stream per server. A server adds every update
 * and presence change it accepts (after storing it) to its own stream, tagged with the room;
 * every other server reads all of them in one blocking XREAD, from where it left off, and
 * hands each entry to the room if it holds it. A read costs the same whether a server holds
 * one room or thousands, and nobody reads back what it wrote. Messages of one tick share one
 * XADD, trimmed to `retainMs`, written with replies off (RelayPublisher); each heartbeat
 * checks on another connection that they arrived.
 *
 * A room that loads asks the others for their presence in it (its stored state comes from
 * storage, which holds everything published). While Redis is away, publishes wait in a
 * bounded outbox; what does not fit is dropped and counted, and once Redis is back the other
 * servers are asked to reload those rooms from storage. Each server refreshes a key with a
 * short TTL; when another server's key is gone, the presence it relayed is removed.
 */
export class RedisRelay implements ClusterRelay {
  readonly serverId = randomUUID()
  private readonly commands: Redis
  /** The blocking stream read, on a plain socket (RedisConnection): it runs once per batch of messages. */
  private readonly reader: RedisConnection
  private readonly rooms = new Map<string, RemoteEvents>()
  private readonly peers = new Map<string, Peer>()
  /** Last announcement read; null until the reader has looked for the servers already running. */
  private announceId: string | null = null
  private readonly heartbeatMs: number
  private readonly retainMs: number
  private readonly heartbeat: NodeJS.Timeout
  private readonly publisher: RelayPublisher
  /** When the commands connection last became ready: a peer's key is judged missing only after that. */
  private connectedAt = 0
  private metrics: ServerMetrics | null = null
  private closed = false
  private wasDisconnected = false
  private readonly loop: Promise<void>
  /**
   * Redis's clock minus ours, learnt from TIME on every heartbeat. Stream
   * ids carry Redis's time, so trimming and lag are computed on it: a server whose clock runs
   * ahead would otherwise trim entries the others have not read yet.
   */
  private redisClockOffset: number | null = null
  /** Resolves the reader's wait when there is something to read (Redis ready). */
  private wake: (() => void) | null = null

  constructor(private readonly options: RedisRelayOptions) {
    this.retainMs = options.retainMs ?? 60_000
    this.publisher = new RelayPublisher({
      url: options.url,
      stream: OUT(this.serverId),
      log: options.log,
      retainMs: this.retainMs,
      windowMs: options.publishWindowMs ?? 5,
      maxQueuedMessages: options.maxQueuedMessages ?? 10_000,
      maxQueuedBytes: options.maxQueuedBytes ?? 16 * 1024 * 1024,
      redisNow: () => (this.redisClockOffset === null ? null : Date.now() + this.redisClockOffset),
    })
    const retry = (attempt: number) => Math.min(100 * 2 ** Math.min(attempt, 6), 3_000)
    const { Redis: Client } = loadDriver<typeof IORedis>('ioredis', '@coedit/sync-server/redis')
    // No offline queue: while Redis is away, publishes wait in the publisher's bounded outbox.
    this.commands = new Client(options.url, { retryStrategy: retry, maxRetriesPerRequest: null, enableOfflineQueue: false })
    this.commands.on('error', (error: Error) => options.log.warn({ connection: 'commands', err: error.message }, 'redis connection error'))
    this.commands.on('close', () => {
      if (!this.closed) this.wasDisconnected = true
    })
    this.commands.on('ready', () => void this.commandsReady())
    this.reader = new RedisConnection(
      options.url,
      options.log,
      {
        ready: () => {
          this.wake?.()
          if (this.wasDisconnected) this.reconnected()
        },
        lost: () => {
          if (!this.closed) this.wasDisconnected = true
        },
      },
      { name: 'reader' },
    )
    this.heartbeatMs = options.heartbeatMs ?? 2_000
    this.heartbeat = setInterval(() => void this.beat(), this.heartbeatMs)
    this.heartbeat.unref()
    this.loop = this.read()
  }

  bindMetrics(metrics: ServerMetrics): void {
    this.metrics = metrics
    this.publisher.bindMetrics(metrics)
  }

  join(room: string, events: RemoteEvents): RoomChannel {
    this.rooms.set(room, events)
    // Updates come from storage, which the room loads now; presence is asked for.
    this.publish(room, 'h', EMPTY)
    return {
      publishUpdate: (update) => this.publish(room, 'u', update),
      publishAwareness: (update) => this.publish(room, 'a', update),
      publishDeleted: () => this.publish(room, 'd', EMPTY),
      leave: () => {
        if (this.rooms.get(room) !== events) return
        this.rooms.delete(room)
        for (const peer of this.peers.values()) peer.rooms.delete(room)
      },
    }
  }

  check(): void {
    if (this.commands.status !== 'ready') throw new Error(`redis is ${this.commands.status}`)
    if (!this.publisher.ready) throw new Error('redis is reconnecting (publishing)')
  }

  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.heartbeat)
    // What this server stored last still reaches the others.
    this.publisher.close()
    if (this.commands.status === 'ready') await Promise.all([this.commands.del(ALIVE(this.serverId)), this.commands.srem(PEERS, this.serverId)]).catch(() => {})
    this.reader.close()
    this.wake?.()
    await this.loop
    await this.commands.quit().catch(() => this.commands.disconnect())
  }

  // Publishing.

  private publish(room: string, type: EntryType, data: Uint8Array): void {
    this.publisher.publish({ room, type, data })
  }

  /** Writes carry no answer: the stream's newest entry shows whether they arrived. */
  private async confirmPublished(newestEntryMs: number | null, redisNow: number): Promise<void> {
    const lost = this.publisher.confirm(newestEntryMs, redisNow)
    if (lost.length === 0) return
    this.metrics?.relayDropped.inc({ type: 'u' }, lost.length)
    this.options.log.warn({ rooms: lost.length }, 'relay messages did not reach redis; the other servers reload those rooms')
    const ask = encodeEntries(lost.map((room) => ({ room, type: 's', data: EMPTY })))
    await this.commands.xadd(OUT(this.serverId), '*', 'b', Buffer.from(ask.buffer, ask.byteOffset, ask.byteLength))
  }

  private learnClock(redisMs: number, sentAt: number): void {
    this.redisClockOffset = redisMs - (sentAt + Date.now()) / 2
  }

  /** Connected (again): say who we are, so the others read our stream. */
  private async commandsReady(): Promise<void> {
    this.connectedAt = Date.now()
    try {
      const sentAt = Date.now()
      const [seconds, micros] = (await this.commands.time()) as [string | number, string | number]
      this.learnClock(Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000), sentAt)
      // The heartbeat lists us in the set of servers; the announcement after it wakes the others.
      await this.beat()
      await this.commands.xadd(ANNOUNCE, 'MAXLEN', '~', '1000', '*', 's', this.serverId)
    } catch (error) {
      this.options.log.debug({ err: (error as Error).message }, 'relay announcement failed')
    }
  }

  // Reading.

  private async read(): Promise<void> {
    while (!this.closed) {
      if (!this.reader.ready) {
        // Sleep until the connection is back, not in a poll.
        await new Promise<void>((resolve) => (this.wake = resolve))
        this.wake = null
        continue
      }
      try {
        if (this.announceId === null) await this.discover()
        const peers = [...this.peers]
        const reply = (await this.reader.request([
          'XREAD',
          'COUNT',
          String(BATCH),
          'BLOCK',
          String(BLOCK_MS),
          'STREAMS',
          ANNOUNCE,
          ...peers.map(([server]) => OUT(server)),
          this.announceId!,
          ...peers.map(([, peer]) => peer.lastId),
        ])) as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null
        if (reply)
          for (const [key, entries] of reply) {
            const name = key.toString()
            if (name === ANNOUNCE) this.announced(entries)
            else this.deliver(name.slice(OUT_PREFIX.length), entries)
          }
      } catch (error) {
        if (this.closed) return
        this.options.log.debug({ err: (error as Error).message }, 'relay read interrupted')
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
  }

  /**
   * The servers already running: announcements are read from the newest one on, and the set
   * of servers is read after it, so a server announcing meanwhile is found one way or the other.
   */
  private async discover(): Promise<void> {
    const newest = (await this.commands.xrevrange(ANNOUNCE, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>
    const members = await this.commands.smembers(PEERS)
    for (const server of members) this.addPeer(server)
    this.announceId = newest[0]?.[0] ?? '0-0'
  }

  private addPeer(server: string): void {
    if (server === this.serverId || this.peers.has(server)) return
    this.peers.set(server, { lastId: '0-0', rooms: new Set(), knownSince: Date.now() })
  }

  private announced(entries: Array<[Buffer, Buffer[]]>): void {
    for (const [id, fields] of entries) {
      this.announceId = id.toString()
      for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]!.toString() === 's') this.addPeer(fields[i + 1]!.toString())
    }
  }

  private deliver(server: string, entries: Array<[Buffer, Buffer[]]>): void {
    const peer = this.peers.get(server)
    if (!peer) return
    for (const [rawId, fields] of entries) {
      const id = rawId.toString()
      peer.lastId = id
      const lagSeconds = Math.max(0, Date.now() + (this.redisClockOffset ?? 0) - Number(id.split('-')[0])) / 1000
      for (const message of messagesOf(fields, this.options.log)) {
        const events = this.rooms.get(message.room)
        if (!events) continue
        this.metrics?.relayConsumed.inc({ type: message.type })
        this.metrics?.relayLag.observe(lagSeconds)
        peer.rooms.add(message.room)
        if (message.type === 'u') events.update(message.data)
        else if (message.type === 'a') events.awareness(message.data, server)
        else if (message.type === 'h') events.presenceWanted?.()
        else if (message.type === 's') events.resync()
        else if (message.type === 'd') events.deleted?.()
      }
    }
  }

  private reconnected(): void {
    this.wasDisconnected = false
    this.metrics?.relayReconnects.inc()
    // Redis may have restarted empty: look for the running servers again.
    this.announceId = null
    this.options.log.info({ rooms: this.rooms.size }, 'redis is back; resyncing rooms from storage')
    for (const events of this.rooms.values()) events.resync()
  }

  // Liveness.

  private async beat(): Promise<void> {
    if (this.closed || this.commands.status !== 'ready') return
    const ttl = this.heartbeatMs * 3
    try {
      // Our stream outlives us by at most twice the retention. Listing ourselves again heals a
      // list another server pruned wrongly (it judged us gone while Redis was restarting).
      const sentAt = Date.now()
      const [, , members, , newest, time] = await Promise.all([
        this.commands.set(ALIVE(this.serverId), '1', 'PX', ttl),
        this.commands.pexpire(OUT(this.serverId), this.retainMs * 2),
        this.commands.smembers(PEERS),
        this.commands.sadd(PEERS, this.serverId),
        this.commands.xrevrange(OUT(this.serverId), '+', '-', 'COUNT', 1) as Promise<Array<[string, string[]]>>,
        this.commands.time() as Promise<[string | number, string | number]>,
      ])
      const redisNow = Number(time[0]) * 1_000 + Math.floor(Number(time[1]) / 1_000)
      this.learnClock(redisNow, sentAt)
      await this.confirmPublished(newest[0] ? Number(newest[0][0].split('-')[0]) : null, redisNow)
      for (const server of members) this.addPeer(server)
      const peers = [...this.peers.keys()]
      if (peers.length === 0) return
      const alive = await this.commands.mget(...peers.map(ALIVE))
      const now = Date.now()
      peers.forEach((server, i) => {
        const peer = this.peers.get(server)
        // A key missing for longer than its TTL (counted from when we, too, could see Redis)
        // means the server stopped refreshing it.
        if (alive[i] !== null || !peer || now - Math.max(peer.knownSince, this.connectedAt) < ttl) return
        this.peers.delete(server)
        void this.commands.srem(PEERS, server).catch(() => {})
        this.options.log.warn({ server, rooms: peer.rooms.size }, 'server stopped answering; removing its presence')
        for (const room of peer.rooms) this.rooms.get(room)?.serverGone(server)
      })
    } catch (error) {
      this.options.log.debug({ err: (error as Error).message }, 'relay heartbeat failed')
    }
  }
}

/** u: a document update; a: presence; h: a server loaded the room and asks for presence; s: reload the room from storage; d: the document was deleted. */
type EntryType = 'u' | 'a' | 'h' | 's' | 'd'

/** The messages of one stream entry; an entry that cannot be read is logged and skipped. */
function messagesOf(fields: Buffer[], log: Logger): OutgoingEntry[] {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i]!.toString() !== 'b') continue
    const data = fields[i + 1]!
    try {
      return decodeEntries(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'unreadable relay entry skipped')
      return []
    }
  }
  return []
}
