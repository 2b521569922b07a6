import type { MaybePromise } from './document-storage.js'

/** What a store knows of one document besides its content. */
export interface DocumentRecord {
  readonly name: string
  /** When it was first stored (ms since the epoch). */
  readonly createdAt: number
  /** When an edit was last stored (ms; kept to the second, so a crash may lose the last second of it). */
  readonly updatedAt: number
  /** Bytes the store holds for it: snapshot plus log. */
  readonly bytes: number
  /** When it was deleted, or null. A deleted name stays taken, so an old copy cannot bring it back. */
  readonly deletedAt: number | null
}

export interface ListOptions {
  /** Only names starting with this. */
  readonly prefix?: string
  /** Only names sorting after this (the last name of the previous page). */
  readonly after?: string
  readonly limit: number
}

/**
 * The documents a store holds: created on the first stored edit (or explicitly), listed,
 * deleted. Every store the server ships implements it; a custom DocumentStorage without it
 * still syncs, but the document API answers 501 for what needs it.
 */
export interface DocumentCatalog {
  describe(name: string): MaybePromise<DocumentRecord | null>
  /** Cheap: asked on every WebSocket upgrade. */
  isDeleted(name: string): MaybePromise<boolean>
  list(options: ListOptions): MaybePromise<DocumentRecord[]>
  /** Registers an empty document; false when the name is taken (stored or deleted). */
  create(name: string, at: number): MaybePromise<boolean>
  /** Drops content and everything kept about it (its view link too), keeping the name as deleted. */
  remove(name: string, at: number): MaybePromise<void>
  /** The document's view link id: the one it has, else `fresh`, stored now. */
  viewLink(name: string, fresh: string): MaybePromise<string>
  /** The document a view link id opens, or null. */
  documentOfView(viewId: string): MaybePromise<string | null>
}

export function isDocumentCatalog(value: unknown): value is DocumentCatalog {
  const candidate = value as Partial<DocumentCatalog> | null
  return typeof candidate?.describe === 'function' && typeof candidate.list === 'function' && typeof candidate.remove === 'function'
}

/** How often a document's updatedAt is written while edits keep coming. */
export const TOUCH_INTERVAL_MS = 1_000
