import type * as Y from 'yjs'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness'
import { encodeAwarenessMessage } from './protocol.js'
import { decodeAwarenessUpdate } from './awareness-update.js'
import { broadcast, type RelayTarget } from './update-relay.js'

export interface PresenceSession {
  /** Awareness client IDs this peer published; removed for everyone when it leaves. */
  readonly awarenessClients: Set<number>
}

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

  constructor(
    doc: Y.Doc,
    private readonly target: RelayTarget<S>,
    private readonly options: PresenceOptions = { windowPerSessionMs: 0.5, maxWindowMs: 250 },
    /** Changes made by this server's sessions, for the other servers of a cluster. */
    private readonly publish: ((update: Uint8Array) => void) | null = null,
  ) {
    this.awareness = new Awareness(doc)
    // The server is not a participant: it must not appear in anyone's presence list.
    this.awareness.setLocalState(null)
    this.awareness.on('update', (change: AwarenessChange, origin: unknown) => this.onUpdate(change, origin))
  }

  apply(update: Uint8Array, origin: S): void {
    applyAwarenessUpdate(this.awareness, update, origin)
  }

  /** A session just joined: it gets everyone's presence with the next batch. */
  welcome(session: S): void {
    if (this.awareness.states.size === 0) return
    this.newcomers.add(session)
    this.schedule()
  }

  /** Everyone's presence as one message, or null when nobody has any. */
  snapshot(): Uint8Array | null {
    if (this.awareness.states.size === 0) return null
    return encodeAwarenessMessage(encodeAwarenessUpdate(this.awareness, [...this.awareness.states.keys()]))
  }

  /** A session left: its states go, and everyone still here hears it in the next batch. */
  remove(session: S): void {
    this.newcomers.delete(session)
    // Origin null: the departure is news for everyone, including sessions that sent nothing.
    if (session.awarenessClients.size > 0) removeAwarenessStates(this.awareness, [...session.awarenessClients], LEFT)
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
      const recipients: RelayTarget<S> = newcomers.size === 0 ? this.target : { ...this.target, sessions: new Set([...this.target.sessions].filter((s) => !newcomers.has(s))) }
      broadcast(frame, onlyOrigin ?? null, recipients)
    }
    if (newcomers.size > 0) {
      const snapshot = this.snapshot()
      if (!snapshot) return
      let sent = 0
      for (const session of newcomers) if (this.target.sessions.has(session) && this.target.send(session, snapshot)) sent++
      this.target.sent(sent, snapshot.byteLength)
    }
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
      for (const id of change.added) session.awarenessClients.add(id)
      for (const id of change.updated) session.awarenessClients.add(id)
      for (const id of change.removed) session.awarenessClients.delete(id)
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
    const window = Math.min(this.options.maxWindowMs, this.target.sessions.size * this.options.windowPerSessionMs)
    const wait = this.lastFlushAt + window - performance.now()
    this.scheduled = wait <= 0 ? setImmediate(() => this.flush()) : setTimeout(() => this.flush(), wait)
  }
}
