import type Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { BatchEntry, DocumentStorage, StoredDocument } from './document-storage.js'
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
import { type DocumentCatalog, type DocumentRecord, type ListOptions } from './document-catalog.js'
import { SqliteWebhooks } from './sqlite-webhooks.js'
import { SqliteJournal } from './sqlite-journal.js'
import { SqliteCheckpointer, type CheckpointProgress } from './sqlite-checkpointer.js'
import type { PromoteOptions, WebhookDelivery, WebhookStore } from './webhook-store.js'
import { loadDriver } from '../optional-driver.js'
import { revocationFromRow, type Revocation, type RevocationRow, type RevocationStore, type StoredRevocation } from '../access/revocations.js'

export interface SqliteStorageOptions {
  /** Path of the database file; its directory is created if missing. */
  readonly file: string
  /**
   * false (default): WAL with synchronous=NORMAL. Every committed append survives a crash or
   * kill of the process; a power loss may lose the last moments.
   * true: synchronous=FULL, an fsync per append, which also survives power loss.
   */
  readonly fsync?: boolean
  /**
   * true (default): WAL checkpoints run on a thread of their own (see SqliteCheckpointer), not
   * in the middle of an append. false: SQLite's default, the committing statement checkpoints.
   */
  readonly backgroundCheckpoints?: boolean
  /** Told when the background checkpoints fail (the store then checkpoints as it appends). */
  readonly onWarning?: (message: string) => void
}

/**
 * The embedded default: one SQLite file holding every document as a snapshot plus an
 * append-only log of updates (appended through a journal, folded into the log in the
 * background and before any read). better-sqlite3 is synchronous, so an append is on disk
 * before the room relays the update in the same tick.
 */
export class SqliteStorage implements DocumentStorage, RevocationStore, DocumentCatalog, WebhookStore, HistoryStore {
  private readonly db: Database.Database
  private readonly selectSnapshot: Database.Statement<[string], { data: Buffer }>
  private readonly selectLog: Database.Statement<[string], { seq: number; data: Buffer }>
  private readonly replaceWithSnapshot: (name: string, state: Uint8Array) => void
  private readonly journal: SqliteJournal
  private readonly checkpointer: SqliteCheckpointer | null
  private readonly removeAll: (name: string, at: number) => void
  private readonly selectDeleted: Database.Statement<[string], { deleted_at: number | null }>
  /** The webhook outbox, once enabled: edits and deletions are recorded with them. */
  private webhooks: SqliteWebhooks | null = null

  constructor(options: SqliteStorageOptions) {
    mkdirSync(dirname(options.file), { recursive: true })
    const Sqlite = loadDriver<typeof Database>('better-sqlite3', '@coedit/sync-server/sqlite')
    this.db = new Sqlite(options.file)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma(`synchronous = ${options.fsync ? 'FULL' : 'NORMAL'}`)
    this.db.pragma('busy_timeout = 5000')
    this.db.pragma('journal_size_limit = 67108864')
    const warn = options.onWarning ?? ((message: string) => process.emitWarning(message, 'CoeditSqliteWarning'))
    this.checkpointer = options.backgroundCheckpoints === false ? null : new SqliteCheckpointer(this.db, options.file, warn)
    const hadCatalog = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'documents'").get() !== undefined
    // The log is clustered by (doc, seq) in one b-tree (WITHOUT ROWID): loading a document
    // reads its pages only. Appends reach it through the journal (sqlite-journal.ts).
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS snapshots (
        doc TEXT PRIMARY KEY,
        data BLOB NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS log (
        doc TEXT NOT NULL,
        seq INTEGER NOT NULL,
        data BLOB NOT NULL,
        author TEXT,
        at INTEGER,
        PRIMARY KEY (doc, seq)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS attribution (
        doc TEXT NOT NULL,
        n INTEGER NOT NULL,
        client INTEGER NOT NULL,
        clock_start INTEGER NOT NULL,
        clock_end INTEGER NOT NULL,
        author TEXT,
        at INTEGER NOT NULL,
        PRIMARY KEY (doc, n)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS versions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        doc TEXT NOT NULL,
        at INTEGER NOT NULL,
        name TEXT,
        authors TEXT NOT NULL,
        length INTEGER NOT NULL,
        text TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS versions_by_doc ON versions (doc, id);
      CREATE TABLE IF NOT EXISTS view_links (
        view_id TEXT PRIMARY KEY,
        doc TEXT NOT NULL UNIQUE
      );
      CREATE TABLE IF NOT EXISTS documents (
        doc TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        deleted_at INTEGER
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS revocations (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        token_id TEXT,
        doc TEXT,
        issued_before INTEGER,
        expires_at INTEGER NOT NULL
      );
    `)
    // Files from before history: log rows gain who wrote them and when (unknown for old rows).
    const logColumns = this.db.prepare<[], { name: string }>('PRAGMA table_info(log)').all()
    if (!logColumns.some((column) => column.name === 'author')) this.db.exec('ALTER TABLE log ADD COLUMN author TEXT; ALTER TABLE log ADD COLUMN at INTEGER;')
    // Files from before the catalogue: every stored document gets its row, once.
    if (!hadCatalog)
      this.db.exec(`
      INSERT OR IGNORE INTO documents (doc, created_at, updated_at) SELECT doc, updated_at, updated_at FROM snapshots;
      INSERT OR IGNORE INTO documents (doc, created_at, updated_at) SELECT DISTINCT doc, ${Date.now()}, ${Date.now()} FROM log;
    `)
    this.selectDeleted = this.db.prepare('SELECT deleted_at FROM documents WHERE doc = ?')
    this.selectSnapshot = this.db.prepare('SELECT data FROM snapshots WHERE doc = ?')
    this.selectLog = this.db.prepare('SELECT seq, data FROM log WHERE doc = ? ORDER BY seq')
    const upsertSnapshot = this.db.prepare<[string, Uint8Array, number]>(
      'INSERT INTO snapshots (doc, data, updated_at) VALUES (?, ?, ?) ON CONFLICT(doc) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at',
    )
    const deleteLog = this.db.prepare<[string]>('DELETE FROM log WHERE doc = ?')
    const deleteSnapshot = this.db.prepare<[string]>('DELETE FROM snapshots WHERE doc = ?')
    const markDeleted = this.db.prepare<[string, number, number, number]>(
      'INSERT INTO documents (doc, created_at, updated_at, deleted_at) VALUES (?, ?, ?, ?) ON CONFLICT(doc) DO UPDATE SET deleted_at = excluded.deleted_at',
    )
    const deleteRuns = this.db.prepare<[string]>('DELETE FROM attribution WHERE doc = ?')
    const deleteVersions = this.db.prepare<[string]>('DELETE FROM versions WHERE doc = ?')
    const deleteViewLink = this.db.prepare<[string]>('DELETE FROM view_links WHERE doc = ?')
    this.removeAll = this.db.transaction((name: string, at: number) => {
      deleteSnapshot.run(name)
      deleteLog.run(name)
      deleteRuns.run(name)
      deleteVersions.run(name)
      deleteViewLink.run(name)
      markDeleted.run(name, at, at, at)
      this.webhooks?.record(name, 'deleted', at)
    })
    // Compaction folds the log's authors into runs first: history outlives the log.
    const selectLogMeta = this.db.prepare<[string], { data: Buffer; author: string | null; at: number | null }>(
      'SELECT data, author, at FROM log WHERE doc = ? ORDER BY seq',
    )
    const selectLastRun = this.db.prepare<[string], { n: number | null }>('SELECT max(n) AS n FROM attribution WHERE doc = ?')
    const insertRun = this.db.prepare<[string, number, number, number, number, string | null, number]>(
      'INSERT INTO attribution (doc, n, client, clock_start, clock_end, author, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    )
    this.replaceWithSnapshot = this.db.transaction((name: string, state: Uint8Array) => {
      let n = selectLastRun.get(name)?.n ?? 0
      for (const run of foldRuns(selectLogMeta.iterate(name))) insertRun.run(name, ++n, run.client, run.start, run.end, run.author, run.at)
      upsertSnapshot.run(name, state, Date.now())
      deleteLog.run(name)
    })
    this.journal = new SqliteJournal(this.db, () => this.webhooks)
  }

  /**
   * Reads the journal's updates of this document where they are rather than folding them
   * first: a fold of a full journal took 8–10 ms, a stall for every room loaded while others edit.
   */
  load(name: string): StoredDocument {
    this.journal.forget(name)
    const updates: Uint8Array[] = []
    const snapshot = this.selectSnapshot.get(name)
    if (snapshot) updates.push(snapshot.data)
    let logBytes = 0
    let logCount = 0
    let lastSeq = 0
    const add = (row: { seq: number; data: Buffer }): void => {
      updates.push(row.data)
      logBytes += row.data.byteLength
      logCount++
      lastSeq = row.seq
    }
    for (const row of this.selectLog.iterate(name)) add(row)
    // A fold under way may have copied some into the log already: those are older than the rest.
    for (const row of this.journal.unfolded(name, lastSeq)) add(row)
    return { updates, logCount, logBytes }
  }

  append(name: string, updates: readonly Uint8Array[], meta?: AppendMeta): void {
    this.journal.append([{ name, updates, meta }])
  }

  /** Several documents' updates in one commit (the server's group commit). */
  appendBatch(entries: readonly BatchEntry[]): void {
    this.journal.append(entries)
  }

  describe(name: string): DocumentRecord | null {
    this.journal.fold()
    const row = this.db
      .prepare<[string, string, string], { created_at: number; updated_at: number; deleted_at: number | null; bytes: number }>(
        `SELECT created_at, updated_at, deleted_at,
          coalesce((SELECT length(data) FROM snapshots WHERE doc = ?), 0) + coalesce((SELECT sum(length(data)) FROM log WHERE doc = ?), 0) AS bytes
        FROM documents WHERE doc = ?`,
      )
      .get(name, name, name)
    return row ? { name, createdAt: row.created_at, updatedAt: row.updated_at, deletedAt: row.deleted_at, bytes: row.bytes } : null
  }

  isDeleted(name: string): boolean {
    return (this.selectDeleted.get(name)?.deleted_at ?? null) !== null
  }

  list({ prefix = '', after = '', limit }: ListOptions): DocumentRecord[] {
    this.journal.fold()
    const rows = this.db
      .prepare<[number, string, string, number], { doc: string }>(
        'SELECT doc FROM documents WHERE deleted_at IS NULL AND substr(doc, 1, ?) = ? AND doc > ? ORDER BY doc LIMIT ?',
      )
      .all(prefix.length, prefix, after, limit)
    return rows.map((row) => this.describe(row.doc)!)
  }

  create(name: string, at: number): boolean {
    this.journal.fold()
    return this.db.prepare('INSERT INTO documents (doc, created_at, updated_at) VALUES (?, ?, ?) ON CONFLICT(doc) DO NOTHING').run(name, at, at).changes === 1
  }

  remove(name: string, at: number): void {
    this.journal.fold()
    this.removeAll(name, at)
    this.journal.forget(name)
  }

  compact(name: string, state: Uint8Array): void {
    this.journal.fold()
    this.replaceWithSnapshot(name, state)
    this.journal.forget(name)
  }

  check(): void {
    this.db.prepare('SELECT 1').get()
  }

  addVersion(name: string, version: NewVersion): VersionRecord {
    const authors = JSON.stringify(version.authors)
    const { lastInsertRowid } = this.db
      .prepare('INSERT INTO versions (doc, at, name, authors, length, text) VALUES (?, ?, ?, ?, ?, ?)')
      .run(name, version.at, version.name, authors, version.text.length, version.text)
    return { id: Number(lastInsertRowid), at: version.at, name: version.name, authors: version.authors, length: version.text.length }
  }

  versions(name: string, { limit, before = Number.MAX_SAFE_INTEGER }: VersionPage): VersionRecord[] {
    return this.db
      .prepare<[string, number, number], VersionRow>('SELECT id, at, name, authors, length FROM versions WHERE doc = ? AND id < ? ORDER BY id DESC LIMIT ?')
      .all(name, before, limit)
      .map(versionFromRow)
  }

  versionText(name: string, id: number): { version: VersionRecord; text: string } | null {
    const row = this.db
      .prepare<[string, number], VersionRow & { text: string }>('SELECT id, at, name, authors, length, text FROM versions WHERE doc = ? AND id = ?')
      .get(name, id)
    return row ? { version: versionFromRow(row), text: row.text } : null
  }

  attribution(name: string): AttributionRun[] {
    this.journal.fold()
    const runs = this.db
      .prepare<[string], AttributionRun>('SELECT client, clock_start AS "start", clock_end AS "end", author, at FROM attribution WHERE doc = ? ORDER BY n')
      .all(name)
    const logged = this.db.prepare<[string], { data: Buffer; author: string | null; at: number | null }>(
      'SELECT data, author, at FROM log WHERE doc = ? ORDER BY seq',
    )
    return foldRuns(logged.iterate(name), runs)
  }

  authorsSince(name: string, at: number): string[] {
    // Asked as each room loads (history): the journal is read as it is, not folded.
    const rows = this.db
      .prepare<[string, number, string, number, string, number], { author: string | null }>(
        `SELECT DISTINCT author FROM log WHERE doc = ? AND at >= ?
        UNION SELECT DISTINCT author FROM attribution WHERE doc = ? AND at >= ?
        UNION SELECT DISTINCT author FROM journal WHERE doc = ? AND at >= ?`,
      )
      .all(name, at, name, at, name, at)
    return distinctAuthors(rows.map((row) => row.author))
  }

  thinVersions(name: string, before: number): number {
    const automatic = this.db
      .prepare<[string, number], { id: number; at: number; name: string | null }>('SELECT id, at, name FROM versions WHERE doc = ? AND name IS NULL AND at < ?')
      .all(name, before)
    const doomed = versionsToThin(automatic, before)
    const remove = this.db.prepare('DELETE FROM versions WHERE id = ?')
    this.db.transaction(() => {
      for (const id of doomed) remove.run(id)
    })()
    return doomed.length
  }

  viewLink(name: string, fresh: string): string {
    this.db.prepare('INSERT INTO view_links (view_id, doc) VALUES (?, ?) ON CONFLICT DO NOTHING').run(fresh, name)
    return this.db.prepare<[string], { view_id: string }>('SELECT view_id FROM view_links WHERE doc = ?').get(name)!.view_id
  }

  documentOfView(viewId: string): string | null {
    return this.db.prepare<[string], { doc: string }>('SELECT doc FROM view_links WHERE view_id = ?').get(viewId)?.doc ?? null
  }

  enableWebhooks(): void {
    this.webhooks ??= new SqliteWebhooks(this.db)
  }

  promoteChanges(options: PromoteOptions): number {
    // Edits still in the journal are recorded as changes when it folds.
    this.journal.fold()
    return this.webhooks?.promote(options).length ?? 0
  }

  claimDeliveries(now: number, leaseMs: number, limit: number): WebhookDelivery[] {
    return this.webhooks?.claimDeliveries(now, leaseMs, limit) ?? []
  }

  deliveryDone(id: string): void {
    this.webhooks?.deliveryDone(id)
  }

  deliveryFailed(id: string, nextAt: number, body: string): void {
    this.webhooks?.deliveryFailed(id, nextAt, body)
  }

  pendingDeliveries(): number {
    return this.webhooks?.pendingDeliveries() ?? 0
  }

  addRevocation(revocation: Revocation): void {
    const insert = this.db.transaction(() => {
      // A newer cut-off for a document covers everything an older one did.
      if (revocation.kind === 'doc') this.db.prepare("DELETE FROM revocations WHERE kind = 'doc' AND doc = ?").run(revocation.doc)
      this.db
        .prepare('INSERT INTO revocations (kind, token_id, doc, issued_before, expires_at) VALUES (?, ?, ?, ?, ?)')
        .run(
          revocation.kind,
          revocation.kind === 'token' ? revocation.id : null,
          revocation.kind === 'doc' ? revocation.doc : null,
          revocation.kind === 'doc' ? revocation.before : null,
          revocation.expiresAt,
        )
    })
    insert()
  }

  revocationsAfter(after: number): StoredRevocation[] {
    const rows = this.db
      .prepare<[number], RevocationRow>('SELECT seq, kind, token_id, doc, issued_before, expires_at FROM revocations WHERE seq > ? ORDER BY seq')
      .all(after)
    return rows.map(revocationFromRow)
  }

  pruneRevocations(now: number): number {
    return this.db.prepare('DELETE FROM revocations WHERE expires_at <= ?').run(now).changes
  }

  /** What the background checkpoints have done (null when they are off). */
  get checkpointProgress(): CheckpointProgress | null {
    return this.checkpointer?.progress ?? null
  }

  close(): void {
    if (!this.db.open) return
    this.journal.fold()
    this.journal.close()
    this.checkpointer?.stop()
    this.db.close()
  }
}

interface VersionRow {
  id: number
  at: number
  name: string | null
  authors: string
  length: number
}

function versionFromRow(row: VersionRow): VersionRecord {
  return { id: row.id, at: row.at, name: row.name, authors: JSON.parse(row.authors) as string[], length: row.length }
}
