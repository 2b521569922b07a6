import type { AppendMeta } from './history-store.js'

export type MaybePromise<T> = T | Promise<T>

/** One document's part of a commit that holds several. */
export interface BatchEntry {
  readonly name: string
  readonly updates: readonly Uint8Array[]
  readonly meta?: AppendMeta
}

/** What a back end returns for one document: the snapshot (if any) followed by the log. */
export interface StoredDocument {
  /** Yjs updates in the order they were stored; applying all of them rebuilds the document. */
  readonly updates: readonly Uint8Array[]
  /** Updates appended since the last snapshot: the room compacts once these pass its thresholds. */
  readonly logCount: number
  readonly logBytes: number
}

/**
 * Where documents live between room loads. Synchronous back ends (the embedded SQLite one)
 * let the room append in the same tick it relays; asynchronous ones (network databases)
 * return promises and the room relays only after they resolve.
 *
 * Contract:
 * - `append` must be durable when it returns (or resolves): the room relays right after.
 * - `compact(name, state)` replaces every update appended before the call with `state`,
 *   which already contains them. Asynchronous back ends must apply calls for one document
 *   in the order they were made.
 * - `load` of a document never stored returns no updates; a failure must throw, never
 *   return an empty document in place of one it could not read.
 */
export interface DocumentStorage {
  /**
   * Several servers read and write the same store (PostgreSQL): an update another server
   * relayed is already stored there and is not appended again.
   */
  readonly shared?: boolean
  load(name: string): MaybePromise<StoredDocument>
  /** `meta` says who wrote each update and when; a store that keeps history records it with them. */
  append(name: string, updates: readonly Uint8Array[], meta?: AppendMeta): MaybePromise<void>
  /**
   * Optional, synchronous stores only: several documents' appends in one commit, durable when
   * it returns (all or none). The server then stores the edits of every room that arrive
   * together in one call (`commitWindowMs`).
   */
  appendBatch?(entries: readonly BatchEntry[]): void
  compact(name: string, state: Uint8Array): MaybePromise<void>
  /** Throws when the back end cannot serve requests; used by /healthz. */
  check(): MaybePromise<void>
  close(): MaybePromise<void>
}

export const EMPTY_DOCUMENT: StoredDocument = Object.freeze({ updates: [], logCount: 0, logBytes: 0 })
