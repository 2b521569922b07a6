import type { DocumentStorage, StoredDocument } from './document-storage.js'
import { EMPTY_DOCUMENT } from './document-storage.js'
import { MemoryRevocations } from '../access/revocations.js'

interface MemoryEntry {
  snapshot: Uint8Array | null
  log: Uint8Array[]
  logBytes: number
}

/** Keeps documents (and revocations) in this process only: for tests and throwaway servers. */
export class MemoryStorage extends MemoryRevocations implements DocumentStorage {
  private readonly documents = new Map<string, MemoryEntry>()

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
    for (const update of updates) {
      // Copy: the caller's bytes may be a view into a reused receive buffer.
      entry.log.push(update.slice())
      entry.logBytes += update.byteLength
    }
  }

  compact(name: string, state: Uint8Array): void {
    this.documents.set(name, { snapshot: state.slice(), log: [], logBytes: 0 })
  }

  check(): void {}

  close(): void {}
}
