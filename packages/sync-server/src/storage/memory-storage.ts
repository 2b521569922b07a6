import type { DocumentStorage, StoredDocument } from './document-storage.js'
import { EMPTY_DOCUMENT } from './document-storage.js'
import { MemoryRevocations } from '../access/revocations.js'
import type { DocumentCatalog, DocumentRecord, ListOptions } from './document-catalog.js'
import type { PromoteOptions, WebhookDelivery, WebhookStore } from './webhook-store.js'

interface MemoryEntry {
  snapshot: Uint8Array | null
  log: Uint8Array[]
  logBytes: number
}

/** Keeps documents (and revocations) in this process only: for tests and throwaway servers. */
export class MemoryStorage extends MemoryRevocations implements DocumentStorage, DocumentCatalog, WebhookStore {
  private readonly documents = new Map<string, MemoryEntry>()
  private readonly records = new Map<string, { createdAt: number; updatedAt: number; deletedAt: number | null }>()
  /** Webhook outbox (lost with the process, like everything here). */
  private changes: Map<string, { kind: 'changed' | 'deleted'; firstAt: number; lastAt: number }> | null = null
  private readonly deliveries = new Map<string, WebhookDelivery & { nextAt: number }>()

  load(name: string): StoredDocument {
    const entry = this.documents.get(name)
    if (!entry) return EMPTY_DOCUMENT
    const updates = entry.snapshot ? [entry.snapshot, ...entry.log] : [...entry.log]
    return { updates, logCount: entry.log.length, logBytes: entry.logBytes }
  }

  append(name: string, updates: readonly Uint8Array[]): void {
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
    for (const update of updates) {
      // Copy: the caller's bytes may be a view into a reused receive buffer.
      entry.log.push(update.slice())
      entry.logBytes += update.byteLength
    }
  }

  compact(name: string, state: Uint8Array): void {
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
    const record = this.records.get(name)
    this.records.set(name, { createdAt: record?.createdAt ?? at, updatedAt: record?.updatedAt ?? at, deletedAt: at })
    this.changes?.set(name, { kind: 'deleted', firstAt: at, lastAt: at })
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

  check(): void {}

  close(): void {}
}
