import * as Y from 'yjs'
import type { Logger } from 'pino'
import type { ClusterRelay, RoomChannel } from './cluster/cluster-relay.js'
import type { DocumentStorage, StoredDocument } from './storage/document-storage.js'
import { errorMessage } from './error-message.js'

/** What applying another server's update did. */
export interface RemoteApplied {
  readonly changed: boolean
  /** Parts that build on content this document lacks (yet). */
  readonly unapplied: readonly Uint8Array[]
}

/** How long parts may wait for what they build on before the room reloads from storage. */
const WAITING_LIMIT_MS = 2_000
const WAITING_LIMIT_PARTS = 1_000

/** What the link needs from its room. */
export interface ClusterLinkHost {
  /** Still loading: updates from other servers wait until it is done. */
  readonly loading: boolean
  /** Answering peers (loaded, or warming from stored bytes). */
  readonly serving: boolean
  readonly disposed: boolean
  /** Applies an update another server accepted. */
  applyRemote(update: Uint8Array): RemoteApplied
  /** Presence another server relayed, and a server that stopped answering. */
  applyRemotePresence(update: Uint8Array, server: string): void
  serverGone(server: string): void
  /** Another server deleted the document. */
  deletedElsewhere(): void
  /** The presence of this server's own sessions, or null when there is none. */
  localPresence(): Uint8Array | null
}

/**
 * A room's line to the other servers of a cluster: publishes what this server stored, hands
 * over what the others accepted (held while the room loads), and after a relay outage merges
 * in what shared storage holds. Without a cluster every method does nothing.
 */
export class RoomClusterLink {
  private readonly channel: RoomChannel | null
  private backlog: Uint8Array[] = []
  /** Parts of updates that arrived before what they build on, and since when. */
  private waiting: Uint8Array[] = []
  private waitingSince = 0
  /** Settles parts still waiting in a room that went quiet. */
  private waitingTimer: NodeJS.Timeout | null = null

  constructor(
    private readonly name: string,
    cluster: ClusterRelay | null,
    private readonly storage: DocumentStorage,
    private readonly log: Logger,
    private readonly host: ClusterLinkHost,
  ) {
    this.channel =
      cluster?.join(name, {
        update: (update) => this.receive(update),
        awareness: (update, server) => host.applyRemotePresence(update, server),
        serverGone: (server) => host.serverGone(server),
        resync: () => this.resync(),
        deleted: () => host.deletedElsewhere(),
        presenceWanted: () => {
          const presence = host.serving ? host.localPresence() : null
          if (presence) this.channel?.publishAwareness(presence)
        },
      }) ?? null
  }

  get active(): boolean {
    return this.channel !== null
  }

  /** This server's stored changes (those with a local origin), merged into one message. */
  publishUpdates(local: readonly Uint8Array[]): void {
    if (!this.channel || local.length === 0) return
    this.channel.publishUpdate(local.length === 1 ? local[0]! : Y.mergeUpdates(local as Uint8Array[]))
  }

  publishPresence(update: Uint8Array): void {
    this.channel?.publishAwareness(update)
  }

  publishDeleted(): void {
    this.channel?.publishDeleted?.()
  }

  /** The room has loaded: what arrived meanwhile applies now. */
  drainBacklog(): void {
    const backlog = this.backlog
    this.backlog = []
    for (const update of backlog) this.apply(update)
  }

  leave(): void {
    if (this.waitingTimer) clearTimeout(this.waitingTimer)
    this.waitingTimer = null
    this.channel?.leave()
  }

  private receive(update: Uint8Array): void {
    if (this.host.loading) this.backlog.push(update)
    else this.apply(update)
  }

  /**
   * Applies an update; parts that build on an edit another server's stream has not delivered
   * yet wait, and are tried again whenever something applies. Parts still waiting after
   * WAITING_LIMIT_MS (a message lost) make the room merge in what storage holds.
   */
  private apply(update: Uint8Array): void {
    let { changed, unapplied } = this.host.applyRemote(update)
    if (unapplied.length > 0) {
      if (this.waiting.length === 0) this.waitingSince = Date.now()
      this.waiting.push(...unapplied)
      // A room that goes quiet still settles them.
      this.waitingTimer ??= setTimeout(() => {
        this.waitingTimer = null
        if (this.waiting.length > 0 && !this.host.disposed) this.stopWaiting()
      }, WAITING_LIMIT_MS + 100)
      this.waitingTimer.unref()
    }
    while (changed && this.waiting.length > 0 && !this.host.disposed) {
      const waiting = this.waiting
      this.waiting = []
      ;({ changed, unapplied } = this.host.applyRemote(waiting.length === 1 ? waiting[0]! : Y.mergeUpdates(waiting)))
      this.waiting = [...unapplied]
    }
    if (this.waiting.length === 0 && this.waitingTimer) {
      clearTimeout(this.waitingTimer)
      this.waitingTimer = null
    }
    if (this.waiting.length > 0 && (Date.now() - this.waitingSince > WAITING_LIMIT_MS || this.waiting.length > WAITING_LIMIT_PARTS)) this.stopWaiting()
  }

  /** What waits has waited too long (a message was lost): storage has it all. */
  private stopWaiting(): void {
    this.log.warn({ room: this.name, parts: this.waiting.length }, 'updates from another server still lack what they build on; merging from storage')
    this.waiting = []
    this.resync()
  }

  /** The relay may have missed messages: what storage holds is merged in (Yjs ignores what we have). */
  private resync(): void {
    if (!this.host.serving || !this.storage.shared) return
    const failed = (error: unknown): void => this.log.warn({ room: this.name, err: errorMessage(error) }, 'resync failed')
    let result: ReturnType<DocumentStorage['load']>
    try {
      result = this.storage.load(this.name)
    } catch (error) {
      failed(error)
      return
    }
    const apply = (stored: StoredDocument): void => {
      if (this.host.disposed || stored.updates.length === 0) return
      this.apply(stored.updates.length === 1 ? stored.updates[0]! : Y.mergeUpdates(stored.updates as Uint8Array[]))
    }
    if (result instanceof Promise) result.then(apply, failed)
    else apply(result)
  }
}
