import { EventEmitter } from 'node:events'
import { REVOKED_REASON } from '@coedit/wire'
import type { Logger } from 'pino'
import type { MaybePromise } from '../storage/document-storage.js'
import { MAX_TOKEN_LIFETIME_MS, tokenIdExpiry, type Clock } from './access-token.js'

/**
 * A revoked token (by its id), or every token for one document issued before a time. Both
 * carry when they may be forgotten: once every token they could name has expired.
 */
export type Revocation =
  | { readonly kind: 'token'; readonly id: string; readonly expiresAt: number }
  | { readonly kind: 'doc'; readonly doc: string; readonly before: number; readonly expiresAt: number }

export interface StoredRevocation {
  /** Increases with each revocation stored. */
  readonly seq: number
  readonly revocation: Revocation
}

/**
 * Where revocations are kept so every server (and a later start) sees them. The SQLite,
 * PostgreSQL and memory storages implement it beside their documents.
 */
export interface RevocationStore {
  addRevocation(revocation: Revocation): MaybePromise<void>
  /** Revocations with a seq above `after`, oldest first. */
  revocationsAfter(after: number): MaybePromise<readonly StoredRevocation[]>
  /** Forgets revocations whose tokens have all expired by `now`; returns how many. */
  pruneRevocations(now: number): MaybePromise<number>
}

export function isRevocationStore(value: unknown): value is RevocationStore {
  const candidate = value as Partial<RevocationStore> | null
  return typeof candidate?.addRevocation === 'function' && typeof candidate.revocationsAfter === 'function' && typeof candidate.pruneRevocations === 'function'
}

export function revokeToken(id: string): Revocation {
  const expiresAt = tokenIdExpiry(id)
  if (expiresAt === null) throw new RangeError(`'${id}' is not a Coedit token id (coedit token prints it as "id")`)
  return { kind: 'token', id, expiresAt }
}

export function revokeDocument(doc: string, before: number): Revocation {
  if (doc === '') throw new RangeError('doc must not be empty')
  return { kind: 'doc', doc, before, expiresAt: before + MAX_TOKEN_LIFETIME_MS }
}

/** What a revocation check needs to know about a token. */
export interface TokenIdentity {
  readonly id: string | null
  readonly issuedAt: number | null
}

export { REVOKED_REASON }

export interface RevocationListOptions {
  /** How often the store is read for revocations made elsewhere (the CLI, other servers). Default 1 000 ms. */
  readonly pollMs?: number
  readonly clock?: Clock
  readonly log?: Logger
}

/** Inserts can commit out of seq order on a shared database; this many seqs are re-read. */
const REREAD = 100
const PRUNE_EVERY_MS = 3_600_000

/**
 * The revocations in force, kept in memory for a synchronous check at every upgrade and
 * refreshed from the store every `pollMs`, so a revocation made by the CLI or another server
 * takes effect here within a poll. Emits `revoked` for each new one, so open sessions holding
 * a revoked token can be closed.
 */
export class RevocationList extends EventEmitter<{ revoked: [Revocation] }> {
  private readonly tokens = new Map<string, number>()
  /** Per document, the latest "issued before" cut-off. */
  private readonly documents = new Map<string, { before: number; expiresAt: number }>()
  private readonly seen = new Set<number>()
  private highest = 0
  private poller: NodeJS.Timeout | null = null
  private lastPrune = -Infinity
  private polling: Promise<void> | null = null
  private readonly clock: Clock

  constructor(
    private readonly store: RevocationStore,
    private readonly options: RevocationListOptions = {},
  ) {
    super()
    this.clock = options.clock ?? Date.now
  }

  /** Loads what the store holds and starts polling it. */
  async start(): Promise<void> {
    await this.refresh()
    const every = this.options.pollMs ?? 1_000
    this.poller = setInterval(() => void this.refresh(), every)
    this.poller.unref()
  }

  close(): void {
    if (this.poller) clearInterval(this.poller)
    this.poller = null
  }

  /** Why a token may not open `room`, or null when it may. */
  check(token: TokenIdentity, room: string): string | null {
    if (token.id !== null && this.tokens.has(token.id)) return REVOKED_REASON
    const cut = this.documents.get(room)
    // A token that does not say when it was signed predates ids: a document revocation covers it.
    if (cut && (token.issuedAt ?? 0) < cut.before) return REVOKED_REASON
    return null
  }

  /** Whether a revocation names this token for this room. */
  static covers(revocation: Revocation, token: TokenIdentity, room: string): boolean {
    if (revocation.kind === 'token') return token.id === revocation.id
    return revocation.doc === room && (token.issuedAt ?? 0) < revocation.before
  }

  /** Stores a revocation and applies it here at once (the other servers pick it up on their next poll). */
  async revoke(revocation: Revocation): Promise<void> {
    await this.store.addRevocation(revocation)
    this.apply(revocation)
  }

  /** Reads revocations stored since the last look; at most one read at a time. */
  refresh(): Promise<void> {
    this.polling ??= this.read().finally(() => (this.polling = null))
    return this.polling
  }

  private async read(): Promise<void> {
    try {
      const rows = await this.store.revocationsAfter(Math.max(0, this.highest - REREAD))
      for (const { seq, revocation } of rows) {
        if (this.seen.has(seq)) continue
        this.seen.add(seq)
        this.highest = Math.max(this.highest, seq)
        this.apply(revocation)
      }
      for (const seq of this.seen) if (seq < this.highest - REREAD) this.seen.delete(seq)
      const now = this.clock()
      if (now - this.lastPrune >= PRUNE_EVERY_MS) {
        this.lastPrune = now
        await this.prune(now)
      }
    } catch (error) {
      this.options.log?.warn({ err: (error as Error).message }, 'could not read revocations; will retry')
    }
  }

  private async prune(now: number): Promise<void> {
    for (const [id, expiresAt] of this.tokens) if (expiresAt <= now) this.tokens.delete(id)
    for (const [doc, cut] of this.documents) if (cut.expiresAt <= now) this.documents.delete(doc)
    const pruned = await this.store.pruneRevocations(now)
    if (pruned > 0) this.options.log?.info({ pruned }, 'forgot revocations whose tokens have all expired')
  }

  private apply(revocation: Revocation): void {
    if (revocation.expiresAt <= this.clock()) return
    if (revocation.kind === 'token') {
      if (this.tokens.has(revocation.id)) return
      this.tokens.set(revocation.id, revocation.expiresAt)
    } else {
      const current = this.documents.get(revocation.doc)
      if (current && current.before >= revocation.before) return
      this.documents.set(revocation.doc, { before: revocation.before, expiresAt: revocation.expiresAt })
    }
    this.emit('revoked', revocation)
  }
}

/** Revocations in this process only (MemoryStorage, tests). */
export class MemoryRevocations implements RevocationStore {
  private rows: StoredRevocation[] = []
  private next = 1

  addRevocation(revocation: Revocation): void {
    if (revocation.kind === 'doc') this.rows = this.rows.filter((row) => !(row.revocation.kind === 'doc' && row.revocation.doc === revocation.doc))
    this.rows.push({ seq: this.next++, revocation })
  }

  revocationsAfter(after: number): readonly StoredRevocation[] {
    return this.rows.filter((row) => row.seq > after)
  }

  pruneRevocations(now: number): number {
    const before = this.rows.length
    this.rows = this.rows.filter((row) => row.revocation.expiresAt > now)
    return before - this.rows.length
  }
}

export interface RevocationRow {
  readonly seq: number | string
  readonly kind: string
  readonly token_id: string | null
  readonly doc: string | null
  readonly issued_before: number | string | null
  readonly expires_at: number | string
}

/** A stored row as a revocation (PostgreSQL hands bigints back as strings). */
export function revocationFromRow(row: RevocationRow): StoredRevocation {
  const seq = Number(row.seq)
  const expiresAt = Number(row.expires_at)
  if (row.kind === 'doc') return { seq, revocation: { kind: 'doc', doc: row.doc ?? '', before: Number(row.issued_before), expiresAt } }
  return { seq, revocation: { kind: 'token', id: row.token_id ?? '', expiresAt } }
}
