import * as Y from 'yjs'
import { randomBytes } from 'node:crypto'
import { CLOSE, DELETED_REASON } from '@coedit/wire'
import type { Logger } from 'pino'
import type { Room, RoomMember } from './room.js'
import type { DocumentStorage } from './storage/document-storage.js'
import { isDocumentCatalog, type DocumentCatalog, type DocumentRecord, type ListOptions } from './storage/document-catalog.js'
import { PolicyViolation } from './policy-violation.js'

/** What the API tells about a document. */
export interface DocumentInfo {
  readonly id: string
  /** Characters of its text. */
  readonly length: number
  /** Bytes stored for it. */
  readonly bytes: number
  readonly createdAt: string
  readonly updatedAt: string
  /** Connections open to it on this server. */
  readonly sessions: number
  /** The title people gave it in the editor (the shared field meta.title), or null: the first line stands in. */
  readonly title: string | null
}

/** What describing a document reads from its Y.Doc. */
function measure(doc: Y.Doc): { length: number; title: string | null } {
  const title = doc.getMap('meta').get('title')
  return { length: doc.getText('text').length, title: typeof title === 'string' && title.trim() ? title : null }
}

/** Why a document operation could not be done; `status` is the HTTP status that says so. */
export class DocumentError extends Error {
  override readonly name = 'DocumentError'
  constructor(
    readonly status: 400 | 404 | 409 | 410 | 413 | 501 | 503,
    message: string,
  ) {
    super(message)
  }
}

export interface DocumentHost {
  readonly storage: DocumentStorage
  readonly log: Logger
  /** The loaded room, loading it if needed. */
  roomFor(name: string): Room
  loadedRoom(name: string): Room | undefined
  /** Other servers may hold the same rooms. */
  readonly clustered: boolean
}

let nextMemberId = -1

/** The server itself as a participant: edits made through the API enter the room like a peer's. */
function apiMember(author: string | null): RoomMember {
  return {
    id: nextMemberId--,
    canEdit: true,
    tokenName: author,
    acceptsMessages: true,
    bufferedAmount: 0,
    toldViewOnly: false,
    awarenessClients: new Set(),
    holder: 'api',
    send: () => true,
    close: () => {},
  }
}

/**
 * Reads, edits, creates, lists and deletes documents for the HTTP API. Edits go through the
 * room as one Yjs transaction from a participant of the server's own: stored before they are
 * relayed, relayed to every peer (and the other servers of a cluster) like a person's edit.
 */
export class DocumentService {
  private readonly catalog: DocumentCatalog | null

  constructor(private readonly host: DocumentHost) {
    this.catalog = isDocumentCatalog(host.storage) ? host.storage : null
  }

  /** Whether the name belongs to a deleted document (asked at every upgrade: synchronous with SQLite). */
  isDeleted(name: string): boolean | Promise<boolean> {
    return this.catalog ? this.catalog.isDeleted(name) : false
  }

  /** The document a view link opens (null when none; a store without a catalogue has no view links). */
  documentOfView(viewId: string): Promise<string | null> {
    return Promise.resolve(this.catalog ? this.catalog.documentOfView(viewId) : null)
  }

  /** The document's view link id, made on first ask: opens it read-only without telling its name. */
  async viewLink(name: string): Promise<string> {
    await this.record(name)
    return this.requireCatalog().viewLink(name, randomBytes(16).toString('base64url'))
  }

  /** The current text; 404 when the document was never stored, 410 when it was deleted. */
  async text(name: string): Promise<string> {
    return this.read(name, (doc) => doc.getText('text').toString())
  }

  /** Reads the document as it is now: the room's Y.Doc when loaded, else one built from storage. */
  async read<T>(name: string, reader: (doc: Y.Doc) => T): Promise<T> {
    await this.record(name)
    const room = this.host.loadedRoom(name)
    if (room && !room.disposed) {
      await room.ready()
      // What the API reads is stored: an edit still waiting for its append (this tick's batch) is written first.
      await room.stored()
      return reader(room.document.doc)
    }
    // Not loaded: read the stored bytes without loading a room nobody is editing.
    const stored = await this.host.storage.load(name)
    const doc = new Y.Doc()
    try {
      for (const update of stored.updates) Y.applyUpdate(doc, update)
      return reader(doc)
    } finally {
      doc.destroy()
    }
  }

  async describe(name: string): Promise<DocumentInfo> {
    const record = await this.record(name)
    return this.info(record, await this.read(name, measure))
  }

  /** Replaces the text with a minimal edit (common prefix and suffix kept), creating the document if needed. */
  async replace(name: string, next: string, author: string | null = null): Promise<DocumentInfo> {
    await this.refuseDeleted(name)
    await this.ensureRecorded(name)
    await this.edit(name, author, (text) => {
      const current = text.toString()
      const { index, remove, insert } = minimalEdit(current, next)
      if (remove > 0) text.delete(index, remove)
      if (insert) text.insert(index, insert)
    })
    return this.describe(name)
  }

  async append(name: string, addition: string, author: string | null = null): Promise<DocumentInfo> {
    await this.refuseDeleted(name)
    await this.ensureRecorded(name)
    await this.edit(name, author, (text) => {
      if (addition) text.insert(text.length, addition)
    })
    return this.describe(name)
  }

  /** Creates a document (with a first text, if given); 409 when the name is taken. */
  async create(name: string, initial: string, author: string | null = null): Promise<DocumentInfo> {
    const catalog = this.requireCatalog()
    if (!(await catalog.create(name, Date.now()))) {
      const existing = await catalog.describe(name)
      throw existing?.deletedAt != null
        ? new DocumentError(410, 'that id belonged to a deleted document')
        : new DocumentError(409, 'a document with that id exists')
    }
    if (initial) await this.edit(name, author, (text) => text.insert(0, initial))
    return this.describe(name)
  }

  /** Deletes the document: its sessions are closed (4410), its content removed, its name kept as deleted. */
  async delete(name: string): Promise<void> {
    const catalog = this.requireCatalog()
    await this.record(name)
    // In a cluster the room is joined (loaded) so the other servers hear of the deletion.
    const room = this.host.loadedRoom(name) ?? (this.host.clustered ? this.host.roomFor(name) : undefined)
    room?.announceDeleted()
    if (room) await room.drop(CLOSE.deleted, DELETED_REASON)
    await catalog.remove(name, Date.now())
    this.host.log.info({ room: name }, 'document deleted')
  }

  async list(options: ListOptions): Promise<DocumentInfo[]> {
    const records = await this.requireCatalog().list(options)
    // Lengths of loaded rooms are free; others are counted from the stored bytes.
    return Promise.all(records.map(async (record) => this.info(record, await this.read(record.name, measure))))
  }

  private info(record: DocumentRecord, { length, title }: { length: number; title: string | null }): DocumentInfo {
    const room = this.host.loadedRoom(record.name)
    return {
      id: record.name,
      length,
      bytes: record.bytes,
      createdAt: new Date(record.createdAt).toISOString(),
      updatedAt: new Date(record.updatedAt).toISOString(),
      sessions: room && !room.disposed ? [...room.sessions].filter((s) => s.id >= 0).length : 0,
      title,
    }
  }

  /** The document's record; 404 when it was never stored, 410 when it was deleted. */
  async record(name: string): Promise<DocumentRecord> {
    const record = this.catalog ? await this.catalog.describe(name) : null
    if (record?.deletedAt != null) throw new DocumentError(410, 'this document was deleted')
    if (record) return record
    // A store without a catalogue: a document exists when something is stored for it.
    if (!this.catalog && (await this.host.storage.load(name)).updates.length > 0) {
      const now = Date.now()
      return { name, createdAt: now, updatedAt: now, bytes: 0, deletedAt: null }
    }
    throw new DocumentError(404, 'no document with this id has been stored')
  }

  /** A write creates the document even when it changes nothing (an empty PUT makes an empty document). */
  private async ensureRecorded(name: string): Promise<void> {
    if (this.catalog && !(await this.catalog.describe(name))) await this.catalog.create(name, Date.now())
  }

  private async refuseDeleted(name: string): Promise<void> {
    if (await this.isDeleted(name)) throw new DocumentError(410, 'this document was deleted')
  }

  private requireCatalog(): DocumentCatalog {
    if (!this.catalog) throw new DocumentError(501, 'this server’s storage keeps no catalogue of documents')
    return this.catalog
  }

  private async edit(name: string, author: string | null, change: (text: Y.Text) => void): Promise<void> {
    const room = this.host.roomFor(name)
    const member = apiMember(author)
    room.join(member)
    const scratch = new Y.Doc()
    try {
      await room.ready()
      // A copy of the room's document takes the change, so the room's own doc changes only
      // through applyUpdate: checked against the caps, stored, then relayed.
      Y.applyUpdate(scratch, Y.encodeStateAsUpdate(room.document.doc))
      const updates: Uint8Array[] = []
      scratch.on('update', (update: Uint8Array) => updates.push(update))
      scratch.transact(() => change(scratch.getText('text')))
      if (updates.length > 0) room.applyUpdate(updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates), member, 'update')
      await room.stored()
    } catch (error) {
      if (error instanceof PolicyViolation) throw new DocumentError(error.closeCause === 'document-too-large' ? 413 : 400, error.message)
      if (error instanceof DocumentError) throw error
      throw new DocumentError(503, `the document could not be edited: ${(error as Error).message}`)
    } finally {
      room.leave(member)
      scratch.destroy()
    }
  }
}

/** The single edit turning `current` into `next`: what lies between their common prefix and suffix. */
export function minimalEdit(current: string, next: string): { index: number; remove: number; insert: string } {
  const max = Math.min(current.length, next.length)
  let prefix = 0
  while (prefix < max && current.charCodeAt(prefix) === next.charCodeAt(prefix)) prefix++
  let suffix = 0
  while (suffix < max - prefix && current.charCodeAt(current.length - 1 - suffix) === next.charCodeAt(next.length - 1 - suffix)) suffix++
  // Never split a surrogate pair: a half character would not survive UTF-8.
  if (prefix > 0 && isHighSurrogate(current.charCodeAt(prefix - 1))) prefix--
  if (suffix > 0 && isLowSurrogate(current.charCodeAt(current.length - suffix))) suffix--
  return { index: prefix, remove: current.length - prefix - suffix, insert: next.slice(prefix, next.length - suffix) }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff
}
