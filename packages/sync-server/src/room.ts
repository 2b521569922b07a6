import { CLOSE, DELETED_REASON } from '@coedit/wire'
import type { Awareness } from 'y-protocols/awareness'
import type { DocumentStorage, StoredDocument } from './storage/document-storage.js'
import { ProtocolError, encodePermissionDenied, encodeSyncStep1 } from './protocol.js'
import { errorMessage } from './error-message.js'
import type { RoomOptions } from './room-options.js'
import { RoomPresence } from './room-presence.js'
import { WarmUp } from './room-warm-up.js'
import type { RoomMember } from './room-member.js'
import { PolicyViolation, handleMessage, type RoomPort } from './message-handler.js'
import { addsStructs, decodeOrRefuse } from './update-effect.js'
import { RoomDocument } from './room-document.js'
import { DEFAULT_PRESENCE_LIMITS, type AwarenessEntry, type PresenceLimits } from './awareness-update.js'
import { UpdateRelay, type RelayTarget } from './update-relay.js'
import { RoomLog } from './room-log.js'
import { RoomClusterLink, type ClusterLinkHost, type RemoteApplied } from './room-cluster-link.js'
import { RoomHistory } from './room-history.js'
import { isHistoryStore } from './storage/history-store.js'

export type { RoomMember } from './room-member.js'
export type { RoomOptions } from './room-options.js'

type RoomState =
  | { readonly kind: 'loading'; readonly queue: Array<{ session: RoomMember; data: Uint8Array }> }
  /**
   * Stored bytes are in; the Y.Doc is not built yet. Sync step 1 is answered from the bytes;
   * the server's own step 1 waits for the doc (`awaitingStep1`).
   */
  | { readonly kind: 'warming'; readonly awaitingStep1: Set<RoomMember> }
  | { readonly kind: 'ready' }
  | { readonly kind: 'failed' }
  | { readonly kind: 'unloaded' }

/** Origin of updates another server of the cluster accepted. */
const FROM_CLUSTER = Symbol('from-cluster')

/** A session of this room, or null for a change that came from another server. */
type Origin = RoomMember | null

/** Whether a frame is a sync step 2 or update, which need the Y.Doc (peeks two bytes). */
function changesDocument(data: Uint8Array): boolean {
  return data[0] === 0 && (data[1] === 1 || data[1] === 2)
}

/**
 * One document in memory: its Y.Doc, its presence, its sessions. Updates are stored before
 * they are relayed; updates that arrive in the same tick are stored in one batch and relayed
 * as one frame per recipient group.
 */
export class Room implements RoomPort<RoomMember>, ClusterLinkHost {
  readonly document: RoomDocument
  readonly awareness: Awareness
  readonly sessions = new Set<RoomMember>()
  private state: RoomState = { kind: 'loading', queue: [] }
  private unloadTimer: NodeJS.Timeout | null = null
  private needsReset = false
  private readonly warmUp: WarmUp = new WarmUp(this.sessions, () => this.build())
  private readonly waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = []
  private readonly link: RoomClusterLink
  private readonly relayTarget: RelayTarget<Origin> = {
    sessions: this.sessions,
    send: (session, frame) => session !== null && session.send(frame),
    sent: (frames, bytesEach) => this.options.metrics.recordSent(frames, bytesEach),
  }
  private readonly relay: UpdateRelay<Origin>
  private readonly writes: RoomLog<Origin>
  private readonly presence: RoomPresence<RoomMember>
  /** Versions and who edited since the last one; null when the store keeps no history. */
  readonly history: RoomHistory | null

  constructor(
    readonly name: string,
    private readonly options: RoomOptions,
  ) {
    this.document = new RoomDocument(options.maxDocumentBytes, () =>
      options.log.error({ room: name }, 'document changed outside a peer update; change not stored'),
    )
    this.relay = new UpdateRelay(this.relayTarget, options.relayWindowMs, (error) =>
      options.log.error({ room: name, err: errorMessage(error) }, 'relay batch could not be sent; dropped'),
    )
    const keepsHistory = options.history !== null && isHistoryStore(options.storage)
    this.writes = new RoomLog({
      name,
      storage: options.storage,
      metrics: options.metrics,
      log: options.log,
      compactAfterUpdates: options.compactAfterUpdates,
      compactAfterBytes: options.compactAfterBytes,
      commits: options.commits,
      // Authors are looked up only when they are kept (not with --history off or a store without history).
      authorOf: keepsHistory ? (origin) => (origin === null ? null : (origin.tokenName ?? this.presence.nameOf(origin))) : () => null,
      stored: (batch, meta) => {
        this.history?.edited(meta.authors)
        this.relay.push(batch)
        this.link.publishUpdates(batch.filter((item) => item.origin !== null).map((item) => item.update))
      },
      failed: (error) => this.failStore(error),
      snapshot: () => (this.state.kind === 'loading' || this.state.kind === 'failed' || this.disposed ? null : this.document.state()),
    })
    // Without a cluster nobody needs presence changes encoded for publishing.
    const publishPresence = options.cluster ? (update: Uint8Array) => this.link.publishPresence(update) : null
    this.presence = new RoomPresence(
      this.document.doc,
      { ...this.relayTarget, sessions: this.sessions, send: (session, frame) => session.send(frame) },
      undefined,
      publishPresence,
      (error) => options.log.error({ room: name, err: errorMessage(error) }, 'presence batch could not be sent; dropped'),
    )
    this.history =
      keepsHistory && options.history
        ? new RoomHistory(name, options.storage, options.history, () => this.document.doc.getText('text').toString(), options.log)
        : null
    this.link = new RoomClusterLink(name, options.cluster, options.storage, options.log, this)
    this.awareness = this.presence.awareness
    options.metrics.roomsLoaded.inc()
    this.load()
  }

  // ClusterLinkHost: what the cluster link asks of the room.

  get loading(): boolean {
    return this.state.kind === 'loading'
  }

  get disposed(): boolean {
    return this.isDisposed
  }

  applyRemotePresence(update: Uint8Array, server: string): void {
    this.presence.applyRemote(update, server)
  }

  serverGone(server: string): void {
    this.presence.serverGone(server)
  }

  localPresence(): Uint8Array | null {
    return this.presence.localSnapshot()
  }

  /** Answering peers: loaded, or warming from stored bytes. */
  get serving(): boolean {
    return this.state.kind === 'ready' || this.state.kind === 'warming'
  }

  /** Client ids the room's presence keeps metadata for. */
  get presenceClients(): number {
    return this.presence.trackedClients
  }

  get isFailed(): boolean {
    return this.state.kind === 'failed'
  }

  join(session: RoomMember): void {
    this.cancelUnload()
    this.sessions.add(session)
    if (this.serving) this.greet(session)
    else if (this.state.kind === 'failed' || this.state.kind === 'unloaded') {
      session.close('load-failed', CLOSE.serverError, 'document failed to load')
    }
  }

  receive(session: RoomMember, data: Uint8Array): void {
    const state = this.state
    if (state.kind === 'loading') {
      if (state.queue.length >= this.options.maxQueuedMessages) {
        session.close('protocol', 1013, 'too many messages while the document loads')
        return
      }
      state.queue.push({ session, data })
      return
    }
    if (state.kind === 'warming' && changesDocument(data)) this.build()
    if (!this.serving || !session.acceptsMessages) return
    const warming = this.state.kind === 'warming'
    const outcome = handleMessage(this, session, data)
    if (warming && outcome.ok && data[0] === 0 && data[1] === 0) this.warmUp.answered()
    if (!outcome.ok) {
      this.options.log.warn(
        { room: this.name, session: session.id, code: outcome.code, reason: outcome.reason },
        outcome.cause === 'protocol' ? 'malformed message; closing session' : 'message refused; closing session',
      )
      session.close(outcome.cause, outcome.code, outcome.reason)
    }
    if (this.needsReset) this.reset()
  }

  leave(session: RoomMember): void {
    if (!this.sessions.delete(session)) return
    if (this.serving) this.presence.remove(session)
    if (this.sessions.size === 0) this.scheduleUnload()
  }

  // RoomPort: called by handleMessage.

  get presenceLimits(): PresenceLimits {
    return this.options.presenceLimits ?? DEFAULT_PRESENCE_LIMITS
  }

  applyUpdate(update: Uint8Array, origin: RoomMember, kind: 'sync-step-2' | 'update'): void {
    // A view-only peer's edits are dropped before any work on the document.
    if (!origin.canEdit) {
      this.dropViewOnlyUpdate(update, kind, origin)
      return
    }
    this.document.check(decodeOrRefuse(update), update.byteLength)
    const { changes, failure, incomplete } = this.document.integrate(update, origin)
    // What did integrate is a valid part of the document: stored and relayed like any change.
    for (const change of changes) this.writes.add(change, origin)
    if (failure) throw new ProtocolError(`Yjs update could not be applied: ${failure.message}`)
    if (incomplete) {
      this.options.metrics.incompleteUpdates.inc()
      throw new PolicyViolation('update-refused', 'update refers to content this document does not have; that part was dropped')
    }
  }

  /**
   * Dropped, never stored nor relayed; the peer hears why once. Its answer to sync step 1 is
   * counted only when it carries content the room lacks (a peer's answer always carries its
   * delete set, so its deletions are not compared: that would cost a scan of the document).
   */
  private dropViewOnlyUpdate(update: Uint8Array, kind: 'sync-step-2' | 'update', session: RoomMember): void {
    if (kind === 'sync-step-2' && !addsStructs(this.document.doc, decodeOrRefuse(update))) return
    this.options.metrics.viewOnlyUpdatesDropped.inc()
    if (session.toldViewOnly) return
    session.toldViewOnly = true
    this.options.log.info({ room: this.name, session: session.id }, 'dropping edits from a view-only session')
    session.send(encodePermissionDenied('view-only access: your edits are not saved or shared'))
  }

  applyAwareness(update: Uint8Array, entries: readonly AwarenessEntry[], origin: RoomMember): void {
    const dropped = this.presence.spoofsDropped
    this.presence.apply(update, entries, origin)
    if (this.presence.spoofsDropped > dropped) this.options.metrics.presenceSpoofsDropped.inc(this.presence.spoofsDropped - dropped)
  }

  syncStep2For(stateVector: Uint8Array): Uint8Array {
    // Store what is pending first, so a peer is never sent an edit the server could still lose.
    this.writes.flush()
    // Until the doc is built (warming), the stored bytes answer.
    return this.document.step2For(stateVector, this.state.kind !== 'warming')
  }

  awarenessSnapshot(): Uint8Array | null {
    return this.presence.snapshot()
  }

  /** First half of a shutdown: store what is pending and start closing every session. */
  beginShutdown(code: number, reason: string): void {
    this.writes.flush()
    this.relay.flush()
    this.presence.flush()
    for (const session of this.sessions) session.close('shutdown', code, reason)
  }

  /** Second half, once sessions have closed: store what they sent meanwhile, compact, unload. */
  async finishShutdown(): Promise<void> {
    this.cancelUnload()
    this.writes.flush()
    await this.writes.settled()
    await this.history?.flush()
    if (this.serving && this.writes.unsnapshotted > 0) this.writes.compact()
    await this.writes.settled()
    this.state = { kind: 'unloaded' }
    this.dispose()
  }

  // What the document API needs: the room's Y.Doc once built, stored edits, deletion.

  /** Resolves once the Y.Doc is built (building it now if the room is warming); rejects if it cannot be. */
  ready(): Promise<void> {
    if (this.state.kind === 'warming') this.build()
    if (this.state.kind === 'ready') return Promise.resolve()
    if (this.state.kind !== 'loading') return Promise.reject(new Error('document failed to load'))
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }))
  }

  /** Resolves once every change taken so far is stored (and so relayed). */
  async stored(): Promise<void> {
    this.writes.flush()
    await this.writes.settled()
  }

  deletedElsewhere(): void {
    void this.drop(CLOSE.deleted, DELETED_REASON)
  }

  /** The document is being deleted here: the other servers of a cluster close their sessions too. */
  announceDeleted(): void {
    this.link.publishDeleted()
  }

  /** Closes every session with `code` and leaves memory without storing anything more. */
  async drop(code: number, reason: string): Promise<void> {
    for (const session of this.sessions) session.close('deleted', code, reason)
    this.state = { kind: 'unloaded' }
    this.forget()
    await this.writes.settled().catch(() => {})
    this.dispose()
  }

  private settleWaiters(): void {
    const ok = this.state.kind === 'ready'
    if (this.state.kind === 'loading' || this.state.kind === 'warming') return
    for (const waiter of this.waiters.splice(0)) {
      if (ok) waiter.resolve()
      else waiter.reject(new Error('document failed to load'))
    }
  }

  // Loading.

  private load(): void {
    let result: ReturnType<DocumentStorage['load']>
    try {
      result = this.options.storage.load(this.name)
    } catch (error) {
      this.failLoad(error)
      return
    }
    if (result instanceof Promise)
      result.then(
        (stored) => this.finishLoad(stored),
        (error: unknown) => this.failLoad(error),
      )
    else this.finishLoad(result)
  }

  private finishLoad(stored: StoredDocument): void {
    const loading = this.state
    if (loading.kind !== 'loading') return
    this.writes.loaded(stored.logCount, stored.logBytes)
    if (stored.updates.length === 0) {
      this.state = { kind: 'ready' }
    } else {
      // Answer joiners from the stored bytes first; rebuilding a Y.Doc of a large document
      // takes far longer than sending it, and the joiners do not need the server's copy.
      try {
        this.document.setStored(stored.updates)
      } catch (error) {
        this.failLoad(error)
        return
      }
      this.state = { kind: 'warming', awaitingStep1: new Set() }
      this.warmUp.start()
    }
    for (const session of this.sessions) this.greet(session)
    this.settleWaiters()
    for (const { session, data } of loading.queue) this.receive(session, data)
    this.link.drainBacklog()
    if (this.state.kind === 'ready') this.writes.maybeCompact()
  }

  /** Builds the Y.Doc from the stored bytes; needed before any change can be applied. */
  private build(): void {
    this.warmUp.cancel()
    if (this.state.kind !== 'warming' || !this.document.hasStored) return
    try {
      this.document.build()
    } catch (error) {
      this.failLoad(error)
      return
    }
    const greeted = this.state.awaitingStep1
    this.state = { kind: 'ready' }
    for (const session of greeted) if (this.sessions.has(session)) session.send(encodeSyncStep1(this.document.stateVector()))
    this.settleWaiters()
    this.writes.maybeCompact()
  }

  private failLoad(error: unknown): void {
    // Never serve an empty document in place of one that exists but could not be read:
    // peers would sync their copy against nothing and the stored one would be shadowed.
    this.options.metrics.storageErrors.inc({ operation: 'load' })
    this.options.log.error({ room: this.name, err: errorMessage(error) }, 'document failed to load; refusing connections')
    this.state = { kind: 'failed' }
    for (const session of this.sessions) session.close('load-failed', CLOSE.serverError, 'document failed to load')
    this.dispose()
  }

  private greet(session: RoomMember): void {
    if (this.state.kind === 'warming') this.state.awaitingStep1.add(session)
    else session.send(encodeSyncStep1(this.document.stateVector()))
    this.presence.welcome(session)
  }

  // Updates: store, then relay.

  /**
   * An update another server accepted (and, with shared storage, stored). Returns whether it
   * changed the document, and the parts that wait for content still on its way (servers'
   * streams are read side by side, so an edit can arrive before the one it builds on).
   */
  applyRemote(update: Uint8Array): RemoteApplied {
    if (this.state.kind === 'warming') this.build()
    if (this.state.kind !== 'ready') return { changed: false, unapplied: [] }
    const { changes, failure, unapplied } = this.document.integrate(update, FROM_CLUSTER)
    if (failure) {
      // Another server accepted it: failing here means this copy cannot be trusted.
      this.needsReset = true
      this.options.log.error({ room: this.name, err: failure.message }, 'update from another server could not be applied; reloading the room')
    }
    for (const change of changes) {
      // With shared storage the other server stored it; otherwise this server keeps its own copy.
      if (this.options.storage.shared) this.relay.push([{ update: change, origin: null }])
      else this.writes.add(change, null)
    }
    if (this.needsReset) this.reset()
    return { changed: changes.length > 0, unapplied }
  }

  private failStore(error: unknown): void {
    // The edit is in memory but not on disk, so it must not be relayed. Closing everyone and
    // dropping the document makes peers reconnect and push their edits into a fresh load.
    this.options.log.error({ room: this.name, err: errorMessage(error) }, 'storing an update failed; closing the room')
    this.closeAllAndDispose('storage-failed', CLOSE.serverError, 'storage failed; reconnect')
  }

  private reset(): void {
    this.needsReset = false
    this.options.log.error({ room: this.name }, 'document state no longer trusted after a failed update; reloading')
    this.writes.flush()
    this.closeAllAndDispose('room-reset', CLOSE.serverError, 'document reloaded; reconnect')
  }

  private closeAllAndDispose(cause: 'storage-failed' | 'room-reset', code: number, reason: string): void {
    this.state = { kind: 'failed' }
    for (const session of this.sessions) session.close(cause, code, reason)
    this.dispose()
  }

  // Unloading.

  private scheduleUnload(): void {
    this.cancelUnload()
    this.unloadTimer = setTimeout(() => this.unload(), this.options.unloadDelayMs)
    this.unloadTimer.unref()
  }

  private cancelUnload(): void {
    if (this.unloadTimer) clearTimeout(this.unloadTimer)
    this.unloadTimer = null
  }

  private unload(): void {
    this.unloadTimer = null
    if (this.sessions.size > 0 || !this.serving) return
    this.writes.flush()
    // The last version is cut from the live text before the doc goes (stored after the edits).
    const versioned = this.history?.flush()
    this.state = { kind: 'unloaded' }
    // Forget the room at once so a new session loads a fresh copy, while this one finishes
    // storing: back ends apply one document's calls in order, so that load sees everything.
    this.forget()
    void Promise.all([this.writes.settled(), versioned]).then(
      () => {
        if (this.writes.unsnapshotted > 0) this.writes.compact()
        this.dispose()
      },
      () => this.dispose(),
    )
  }

  private forgotten = false
  private isDisposed = false

  private forget(): void {
    if (this.forgotten) return
    this.forgotten = true
    this.options.onUnloaded(this)
  }

  private dispose(): void {
    if (this.isDisposed) return
    this.isDisposed = true
    for (const waiter of this.waiters.splice(0)) waiter.reject(new Error('document left memory before it was ready'))
    this.cancelUnload()
    this.warmUp.cancel()
    this.history?.dispose()
    this.forget()
    this.link.leave()
    this.writes.close()
    this.relay.dispose()
    this.presence.destroy()
    this.document.destroy()
    this.options.metrics.roomsLoaded.dec()
  }
}
