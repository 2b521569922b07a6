import type * as Y from 'yjs'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness'
import { encodeAwarenessMessage } from './protocol.js'
import { decodeAwarenessUpdate, encodeAwarenessEntries, type AwarenessEntry } from './awareness-update.js'
import { PolicyViolation } from './policy-violation.js'
import { broadcast, type RelayTarget } from './update-relay.js'

export interface PresenceSession {
  /** Awareness client IDs this peer published; removed for everyone when it leaves. */
  readonly awarenessClients: Set<number>
  /** Sessions with the same holder may take a client id over from each other (a reconnect). */
  readonly holder: string
}

/** Client ids one session may publish presence for: a page has one; a few spare for reloads. */
export const MAX_CLIENT_IDS_PER_SESSION = 4

/** How long the clock of a departed client id is kept (y-protocols drops silent peers after 30 s). */
const FORGET_AFTER_MS = 30_000

interface AwarenessChange {
  readonly added: number[]
  readonly updated: number[]
  readonly removed: number[]
}

export interface PresenceOptions {
  /** Batching window per session in the room... */
  readonly windowPerSessionMs: number
  /** ...up to this. A room of 4 batches within 2 ms; a room of 500 within 250 ms. */
  readonly maxWindowMs: number
}

/** Origin of removals for a session that left this server: news for the other servers too. */
const LEFT = Symbol('left')
/** Origin of presence relayed by other servers: not published again. */
const REMOTE = Symbol('remote')

/**
 * A room's presence. Changes are batched and sent as one frame per window, and newcomers
 * get one snapshot of everyone per window; the window grows with the room, so 500 people
 * joining at once cost a few hundred frames instead of one per join per person.
 */
export class RoomPresence<S extends PresenceSession> {
  readonly awareness: Awareness
  private changed = new Set<number>()
  private origins = new Set<S | null>()
  private newcomers = new Set<S>()
  private scheduled: NodeJS.Timeout | NodeJS.Immediate | null = null
  private lastFlushAt = -Infinity
  /** Client IDs whose presence another server relayed, and which server. */
  private readonly remoteOwners = new Map<number, string>()
  /** Which session of this server owns each client id: only it may change that presence. */
  private readonly owners = new Map<number, S>()
  /**
   * Client ids whose holder left, and when. Their metadata (the clock that makes late echoes
   * of their presence stale) is kept for a while, then dropped.
   */
  private readonly departed = new Map<number, number>()
  /** Presence entries dropped because another session owns the client id. */
  spoofsDropped = 0

  constructor(
    doc: Y.Doc,
    private readonly target: RelayTarget<S>,
    private readonly options: PresenceOptions = { windowPerSessionMs: 0.5, maxWindowMs: 250 },
    /** Changes made by this server's sessions, for the other servers of a cluster. */
    private readonly publish: ((update: Uint8Array) => void) | null = null,
    /** Told when a batch could not be sent (it is dropped). */
    private readonly onError: ((error: unknown) => void) | null = null,
  ) {
    this.awareness = new Awareness(doc)
    // The server is not a participant: it must not appear in anyone's presence list.
    this.awareness.setLocalState(null)
    this.awareness.on('update', (change: AwarenessChange, origin: unknown) => this.onUpdate(change, origin))
  }

  /** The name a session shows in its presence (self-declared), or null before it has one. */
  nameOf(session: S): string | null {
    for (const client of session.awarenessClients) {
      const user = (this.awareness.getStates().get(client) as { user?: { name?: unknown } } | undefined)?.user
      if (typeof user?.name === 'string' && user.name.trim() !== '') return user.name.trim().slice(0, 100)
    }
    return null
  }

  /**
   * Applies a session's presence. A client id belongs to the first session that sends it;
   * entries for an id another session owns are dropped, unless both sessions have the same
   * holder (a client reconnecting before its old session was evicted takes its id over).
   */
  apply(update: Uint8Array, entries: readonly AwarenessEntry[], origin: S): void {
    const kept: AwarenessEntry[] = []
    for (const entry of entries) {
      // Stock clients send every presence change they receive back to the server: an entry
      // that would change nothing is an echo, not a claim on the client id.
      if (!this.wouldApply(entry)) continue
      const owner = this.owners.get(entry.clientId)
      if (entry.state === null) {
        // Only the owner may take its presence away; an echo of someone's departure changes nothing.
        if (owner === origin) kept.push(entry)
        else if (owner !== undefined) this.spoofsDropped++
        continue
      }
      if (owner !== undefined && owner !== origin) {
        if (owner.holder !== origin.holder) {
          this.spoofsDropped++
          continue
        }
        owner.awarenessClients.delete(entry.clientId)
      }
      if (owner !== origin && !origin.awarenessClients.has(entry.clientId) && origin.awarenessClients.size >= MAX_CLIENT_IDS_PER_SESSION) {
        throw new PolicyViolation('presence-refused', `presence for more than ${MAX_CLIENT_IDS_PER_SESSION} client ids from one connection`)
      }
      this.owners.set(entry.clientId, origin)
      origin.awarenessClients.add(entry.clientId)
      this.departed.delete(entry.clientId)
      kept.push(entry)
    }
    if (kept.length === 0) return
    applyAwarenessUpdate(this.awareness, kept.length === entries.length ? update : encodeAwarenessEntries(kept), origin)
  }

  /** y-protocols' rule: a newer clock, or the same clock removing a state that is there. */
  private wouldApply({ clientId, clock, state }: AwarenessEntry): boolean {
    const current = this.awareness.meta.get(clientId)?.clock
    if (current === undefined) return true
    return current < clock || (current === clock && state === null && this.awareness.states.has(clientId))
  }

  /** A session just joined: it gets everyone's presence with the next batch. */
  welcome(session: S): void {
    if (this.awareness.states.size === 0) return
    this.newcomers.add(session)
    this.schedule()
  }

  /** The presence of this server's own sessions (for a server that just loaded the room), or null. */
  localSnapshot(): Uint8Array | null {
    const ids = [...this.owners.keys()].filter((id) => this.awareness.states.has(id))
    return ids.length === 0 ? null : encodeAwarenessUpdate(this.awareness, ids)
  }

  /** Everyone's presence as one message, or null when nobody has any. */
  snapshot(): Uint8Array | null {
    if (this.awareness.states.size === 0) return null
    return encodeAwarenessMessage(encodeAwarenessUpdate(this.awareness, [...this.awareness.states.keys()]))
  }

  /** A session left: its states go, and everyone still here hears it in the next batch. */
  remove(session: S): void {
    this.newcomers.delete(session)
    const ids = [...session.awarenessClients].filter((id) => this.owners.get(id) === session)
    const now = performance.now()
    for (const id of ids) {
      this.owners.delete(id)
      this.departed.set(id, now)
    }
    // Origin LEFT: the departure is news for everyone, including sessions that sent nothing.
    const present = ids.filter((id) => this.awareness.states.has(id))
    if (present.length > 0) removeAwarenessStates(this.awareness, present, LEFT)
    this.schedule()
  }

  /** Presence another server relayed. */
  applyRemote(update: Uint8Array, server: string): void {
    let entries: ReturnType<typeof decodeAwarenessUpdate>
    try {
      entries = decodeAwarenessUpdate(update)
    } catch {
      return
    }
    for (const entry of entries) {
      if (entry.state === null) this.remoteOwners.delete(entry.clientId)
      else this.remoteOwners.set(entry.clientId, server)
    }
    applyAwarenessUpdate(this.awareness, update, REMOTE)
  }

  /** A server died: the presence it relayed goes, except clients that reconnected here. */
  serverGone(server: string): void {
    const gone: number[] = []
    for (const [clientId, owner] of this.remoteOwners) {
      if (owner !== server) continue
      this.remoteOwners.delete(clientId)
      if (this.awareness.states.has(clientId)) gone.push(clientId)
    }
    if (gone.length > 0) removeAwarenessStates(this.awareness, gone, REMOTE)
  }

  /** Sends what is batched now. */
  flush(): void {
    if (this.scheduled) {
      clearTimeout(this.scheduled as NodeJS.Timeout)
      clearImmediate(this.scheduled as NodeJS.Immediate)
    }
    this.scheduled = null
    this.lastFlushAt = performance.now()
    const newcomers = this.newcomers
    this.newcomers = new Set()
    if (this.changed.size > 0) {
      const frame = encodeAwarenessMessage(encodeAwarenessUpdate(this.awareness, [...this.changed]))
      // A peer knows its own presence: skip it when it is the only source of this batch.
      const [onlyOrigin] = this.origins.size === 1 ? this.origins : [null]
      this.changed = new Set()
      this.origins = new Set()
      const recipients: RelayTarget<S> =
        newcomers.size === 0 ? this.target : { ...this.target, sessions: new Set([...this.target.sessions].filter((s) => !newcomers.has(s))) }
      broadcast(frame, onlyOrigin ?? null, recipients)
    }
    if (newcomers.size > 0) {
      const snapshot = this.snapshot()
      if (snapshot) {
        let sent = 0
        for (const session of newcomers) if (this.target.sessions.has(session) && this.target.send(session, snapshot)) sent++
        this.target.sent(sent, snapshot.byteLength)
      }
    }
    this.forgetDeparted()
  }

  /**
   * y-protocols keeps a clock per client id for as long as the room lives, even after the
   * client left. Ids nobody has held for FORGET_AFTER_MS are forgotten, so ids that come and go
   * cannot grow the room's memory; until then their clock keeps late echoes of them stale.
   */
  private forgetDeparted(now = performance.now()): void {
    for (const [id, since] of this.departed) {
      if (now - since < FORGET_AFTER_MS) break
      this.departed.delete(id)
      if (!this.changed.has(id) && !this.awareness.states.has(id) && !this.owners.has(id) && !this.remoteOwners.has(id)) this.awareness.meta.delete(id)
    }
  }

  /** Client ids with presence metadata (states and departed ones not yet forgotten). */
  get trackedClients(): number {
    return this.awareness.meta.size
  }

  destroy(): void {
    if (this.scheduled) {
      clearTimeout(this.scheduled as NodeJS.Timeout)
      clearImmediate(this.scheduled as NodeJS.Immediate)
    }
    this.scheduled = null
    this.awareness.destroy()
  }

  private onUpdate(change: AwarenessChange, origin: unknown): void {
    const session = origin !== null && typeof origin === 'object' && this.target.sessions.has(origin as S) ? (origin as S) : null
    if (session) {
      // A client that moved here from another server is this server's to announce now.
      for (const id of session.awarenessClients) this.remoteOwners.delete(id)
    }
    if (this.publish && (session || origin === LEFT)) {
      this.publish(encodeAwarenessUpdate(this.awareness, [...change.added, ...change.updated, ...change.removed]))
    }
    for (const id of change.added) this.changed.add(id)
    for (const id of change.updated) this.changed.add(id)
    for (const id of change.removed) this.changed.add(id)
    this.origins.add(session)
    this.schedule()
  }

  private schedule(): void {
    if (this.scheduled) return
    if (this.changed.size === 0 && this.newcomers.size === 0) return
    const window = Math.min(this.options.maxWindowMs, this.target.sessions.size * this.options.windowPerSessionMs)
    const wait = this.lastFlushAt + window - performance.now()
    this.scheduled = wait <= 0 ? setImmediate(() => this.safeFlush()) : setTimeout(() => this.safeFlush(), wait)
  }

  /** On a timer nothing may throw out of the process: a failed batch is dropped and logged. */
  private safeFlush(): void {
    try {
      this.flush()
    } catch (error) {
      this.changed = new Set()
      this.origins = new Set()
      this.onError?.(error)
    }
  }
}
