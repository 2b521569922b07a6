import type { DocumentStorage, StoredDocument } from './document-storage.js'
import { EMPTY_DOCUMENT } from './document-storage.js'
import { MemoryRevocations } from '../access/revocations.js'
import type { DocumentCatalog, DocumentRecord, ListOptions } from './document-catalog.js'
import type { PromoteOptions, WebhookDelivery, WebhookStore } from './webhook-store.js'
import {
  distinctAuthors,
  foldRuns,
  versionsToThin,
  type AppendMeta,
  type AttributionRun,
  type HistoryStore,
  type NewVersion,
  type VersionPage,
  type VersionRecord,
} from './history-store.js'

interface LogRow {
  readonly data: Uint8Array
  readonly author: string | null
  readonly at: number | null
}

interface MemoryEntry {
  snapshot: Uint8Array | null
  log: LogRow[]
  logBytes: number
}

interface MemoryHistory {
  runs: AttributionRun[]
  versions: Array<VersionRecord & { text: string }>
}

/** Keeps documents (and revocations) in this process only: for tests and throwaway servers. */
export class MemoryStorage extends MemoryRevocations implements DocumentStorage, DocumentCatalog, WebhookStore, HistoryStore {
  private readonly documents = new Map<string, MemoryEntry>()
  private readonly histories = new Map<string, MemoryHistory>()
  private nextVersionId = 1
  private readonly viewLinks = new Map<string, string>()
  private readonly viewOf = new Map<string, string>()
  private readonly records = new Map<string, { createdAt: number; updatedAt: number; deletedAt: number | null }>()
  /** Webhook outbox (lost with the process, like everything here). */
  private changes: Map<string, { kind: 'changed' | 'deleted'; firstAt: number; lastAt: number }> | null = null
  private readonly deliveries = new Map<string, WebhookDelivery & { nextAt: number }>()

  load(name: string): StoredDocument {
    const entry = this.documents.get(name)
    if (!entry) return EMPTY_DOCUMENT
    const logged = entry.log.map((row) => row.data)
    const updates = entry.snapshot ? [entry.snapshot, ...logged] : logged
    return { updates, logCount: entry.log.length, logBytes: entry.logBytes }
  }

  append(name: string, updates: readonly Uint8Array[], meta?: AppendMeta): void {
    let entry = this.documents.get(name)
    if (!entry) {
      entry = { snapshot: null, log: [], logBytes: 0 }
      this.documents.set(name, entry)
    }
    const now = Date.now()
    const record = this.records.get(name)
    if (record) record.updatedAt = now
    else this.records.set(name, { createdAt: now, updatedAt: now, deletedAt: null })
    const change = this.changes?.get(name)
    if (change) change.lastAt = now
    else this.changes?.set(name, { kind: 'changed', firstAt: now, lastAt: now })
    updates.forEach((update, i) => {
      // Copy: the caller's bytes may be a view into a reused receive buffer.
      entry.log.push({ data: update.slice(), author: meta?.authors[i] ?? null, at: meta?.at ?? null })
      entry.logBytes += update.byteLength
    })
  }

  compact(name: string, state: Uint8Array): void {
    const entry = this.documents.get(name)
    if (entry) foldRuns(entry.log, this.history(name).runs)
    this.documents.set(name, { snapshot: state.slice(), log: [], logBytes: 0 })
  }

  describe(name: string): DocumentRecord | null {
    const record = this.records.get(name)
    if (!record) return null
    const entry = this.documents.get(name)
    return { name, ...record, bytes: (entry?.snapshot?.byteLength ?? 0) + (entry?.logBytes ?? 0) }
  }

  isDeleted(name: string): boolean {
    return (this.records.get(name)?.deletedAt ?? null) !== null
  }

  list({ prefix = '', after = '', limit }: ListOptions): DocumentRecord[] {
    return [...this.records.keys()]
      .filter((name) => name.startsWith(prefix) && name > after && this.records.get(name)!.deletedAt === null)
      .sort()
      .slice(0, limit)
      .map((name) => this.describe(name)!)
  }

  create(name: string, at: number): boolean {
    if (this.records.has(name)) return false
    this.records.set(name, { createdAt: at, updatedAt: at, deletedAt: null })
    return true
  }

  remove(name: string, at: number): void {
    this.documents.delete(name)
    this.histories.delete(name)
    const view = this.viewOf.get(name)
    if (view) this.viewLinks.delete(view)
    this.viewOf.delete(name)
    const record = this.records.get(name)
    this.records.set(name, { createdAt: record?.createdAt ?? at, updatedAt: record?.updatedAt ?? at, deletedAt: at })
    this.changes?.set(name, { kind: 'deleted', firstAt: at, lastAt: at })
  }

  viewLink(name: string, fresh: string): string {
    const existing = this.viewOf.get(name)
    if (existing) return existing
    this.viewOf.set(name, fresh)
    this.viewLinks.set(fresh, name)
    return fresh
  }

  documentOfView(viewId: string): string | null {
    return this.viewLinks.get(viewId) ?? null
  }

  enableWebhooks(): void {
    this.changes ??= new Map()
  }

  promoteChanges({ now, delayMs, maxHoldMs, urls, newId }: PromoteOptions): number {
    let promoted = 0
    for (const [doc, change] of this.changes ?? []) {
      if (change.kind === 'changed' && Math.min(change.firstAt + maxHoldMs, change.lastAt + delayMs) > now) continue
      this.changes!.delete(doc)
      promoted++
      const event = change.kind === 'deleted' ? 'document.deleted' : 'document.changed'
      for (const url of urls) {
        const id = newId()
        this.deliveries.set(id, { id, event, doc, at: change.kind === 'deleted' ? change.lastAt : now, url, attempts: 0, body: null, nextAt: now })
      }
    }
    return promoted
  }

  claimDeliveries(now: number, leaseMs: number, limit: number): WebhookDelivery[] {
    const due = [...this.deliveries.values()].filter((d) => d.nextAt <= now).slice(0, limit)
    for (const delivery of due) delivery.nextAt = now + leaseMs
    return due.map(({ nextAt: _nextAt, ...delivery }) => delivery)
  }

  deliveryDone(id: string): void {
    this.deliveries.delete(id)
  }

  deliveryFailed(id: string, nextAt: number, body: string): void {
    const delivery = this.deliveries.get(id)
    if (delivery) this.deliveries.set(id, { ...delivery, attempts: delivery.attempts + 1, nextAt, body })
  }

  pendingDeliveries(): number {
    return this.deliveries.size
  }

  addVersion(name: string, version: NewVersion): VersionRecord {
    const record = { id: this.nextVersionId++, at: version.at, name: version.name, authors: [...version.authors], length: version.text.length }
    this.history(name).versions.push({ ...record, text: version.text })
    return record
  }

  versions(name: string, { limit, before = Number.MAX_SAFE_INTEGER }: VersionPage): VersionRecord[] {
    const versions = this.histories.get(name)?.versions ?? []
    return versions
      .filter((v) => v.id < before)
      .reverse()
      .slice(0, limit)
      .map(({ text: _text, ...record }) => record)
  }

  versionText(name: string, id: number): { version: VersionRecord; text: string } | null {
    const found = this.histories.get(name)?.versions.find((v) => v.id === id)
    if (!found) return null
    const { text, ...version } = found
    return { version, text }
  }

  attribution(name: string): AttributionRun[] {
    return foldRuns(this.documents.get(name)?.log ?? [], [...(this.histories.get(name)?.runs ?? [])])
  }

  authorsSince(name: string, at: number): string[] {
    const logged = (this.documents.get(name)?.log ?? []).filter((row) => (row.at ?? 0) >= at)
    const folded = (this.histories.get(name)?.runs ?? []).filter((run) => run.at >= at)
    return distinctAuthors([...folded, ...logged].map((row) => row.author))
  }

  thinVersions(name: string, before: number): number {
    const history = this.histories.get(name)
    if (!history) return 0
    const doomed = new Set(versionsToThin(history.versions, before))
    history.versions = history.versions.filter((v) => !doomed.has(v.id))
    return doomed.size
  }

  private history(name: string): MemoryHistory {
    let history = this.histories.get(name)
    if (!history) this.histories.set(name, (history = { runs: [], versions: [] }))
    return history
  }

  check(): void {}

  close(): void {}
}
