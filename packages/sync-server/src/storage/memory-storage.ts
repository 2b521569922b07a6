import type { DocumentStorage, StoredDocument } from './document-storage.js'
import { EMPTY_DOCUMENT } from './document-storage.js'
import { MemoryRevocations } from '../access/revocations.js'
import type { DocumentCatalog, DocumentRecord, ListOptions } from './document-catalog.js'

interface MemoryEntry {
  snapshot: Uint8Array | null
  log: Uint8Array[]
  logBytes: number
}

/** Keeps documents (and revocations) in this process only: for tests and throwaway servers. */
export class MemoryStorage extends MemoryRevocations implements DocumentStorage, DocumentCatalog {
  private readonly documents = new Map<string, MemoryEntry>()
  private readonly records = new Map<string, { createdAt: number; updatedAt: number; deletedAt: number | null }>()

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
  }

  check(): void {}

  close(): void {}
}
