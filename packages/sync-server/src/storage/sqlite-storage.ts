import type Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { DocumentStorage, StoredDocument } from './document-storage.js'
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
}

/**
 * The embedded default: one SQLite file holding every document as a snapshot plus an
 * append-only log of updates. better-sqlite3 is synchronous, so an append is on disk before
 * the room relays the update in the same tick.
 */
export class SqliteStorage implements DocumentStorage, RevocationStore {
  private readonly db: Database.Database
  private readonly selectSnapshot: Database.Statement<[string], { data: Buffer }>
  private readonly selectLog: Database.Statement<[string], { data: Buffer }>
  private readonly appendMany: (name: string, updates: readonly Uint8Array[]) => void
  private readonly appendOne: (name: string, update: Uint8Array) => unknown
  private readonly replaceWithSnapshot: (name: string, state: Uint8Array) => void
  /** Last sequence number per loaded document: this process is the file's only writer. */
  private readonly lastSeq = new Map<string, number>()

  constructor(options: SqliteStorageOptions) {
    mkdirSync(dirname(options.file), { recursive: true })
    const Sqlite = loadDriver<typeof Database>('better-sqlite3', '@coedit/sync-server/sqlite')
    this.db = new Sqlite(options.file)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma(`synchronous = ${options.fsync ? 'FULL' : 'NORMAL'}`)
    this.db.pragma('busy_timeout = 5000')
    this.db.pragma('journal_size_limit = 67108864')
    // The log is clustered by (doc, seq) in one b-tree (WITHOUT ROWID): appending an update
    // writes one page, not a table page, an index page and a sequence page.
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
        PRIMARY KEY (doc, seq)
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
    this.selectSnapshot = this.db.prepare('SELECT data FROM snapshots WHERE doc = ?')
    this.selectLog = this.db.prepare('SELECT data FROM log WHERE doc = ? ORDER BY seq')
    const selectLastSeq = this.db.prepare<[string], { seq: number | null }>('SELECT max(seq) AS seq FROM log WHERE doc = ?')
    const insertUpdate = this.db.prepare<[string, number, Uint8Array]>('INSERT INTO log (doc, seq, data) VALUES (?, ?, ?)')
    const upsertSnapshot = this.db.prepare<[string, Uint8Array, number]>(
      'INSERT INTO snapshots (doc, data, updated_at) VALUES (?, ?, ?) ON CONFLICT(doc) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at',
    )
    const deleteLog = this.db.prepare<[string]>('DELETE FROM log WHERE doc = ?')
    const nextSeq = (name: string): number => {
      const last = this.lastSeq.get(name) ?? selectLastSeq.get(name)?.seq ?? 0
      this.lastSeq.set(name, last + 1)
      return last + 1
    }
    // One transaction per batch: a tick's worth of updates costs one commit, not one each.
    this.appendOne = (name: string, update: Uint8Array) => insertUpdate.run(name, nextSeq(name), update)
    this.appendMany = this.db.transaction((name: string, updates: readonly Uint8Array[]) => {
      for (const update of updates) insertUpdate.run(name, nextSeq(name), update)
    })
    this.replaceWithSnapshot = this.db.transaction((name: string, state: Uint8Array) => {
      upsertSnapshot.run(name, state, Date.now())
      deleteLog.run(name)
    })
  }

  load(name: string): StoredDocument {
    this.lastSeq.delete(name)
    const updates: Uint8Array[] = []
    const snapshot = this.selectSnapshot.get(name)
    if (snapshot) updates.push(snapshot.data)
    let logBytes = 0
    let logCount = 0
    for (const row of this.selectLog.iterate(name)) {
      updates.push(row.data)
      logBytes += row.data.byteLength
      logCount++
    }
    return { updates, logCount, logBytes }
  }

  append(name: string, updates: readonly Uint8Array[]): void {
    // A lone statement is its own transaction; BEGIN and COMMIT around it only cost time.
    if (updates.length === 1) this.appendOne(name, updates[0]!)
    else this.appendMany(name, updates)
  }

  compact(name: string, state: Uint8Array): void {
    this.replaceWithSnapshot(name, state)
    this.lastSeq.delete(name)
  }

  check(): void {
    this.db.prepare('SELECT 1').get()
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

  close(): void {
    if (this.db.open) this.db.close()
  }
}
