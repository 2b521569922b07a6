import type Database from 'better-sqlite3'
import type { BatchEntry } from './document-storage.js'
import type { SqliteWebhooks } from './sqlite-webhooks.js'
import type { StagedRow, WriteAheadFile } from './write-ahead-file.js'

/** The journal is folded into the log at least this often while it holds anything… */
export const FOLD_INTERVAL_MS = 5_000
/** …and as soon as it holds this many updates. */
export const FOLD_AFTER_ROWS = 4_000
/**
 * In the background it is folded this many updates at a time, one step per turn of the event
 * loop: a fold of 4,000 took 5–20 ms, a stall every few seconds that showed in the lag p99.
 */
export const FOLD_STEP_ROWS = 500
/**
 * Updates the write-ahead file may hold while the database refuses to take them (a full or
 * broken disk): past this, appends fail like a failing commit would, and memory stays bounded.
 */
export const MAX_STAGED_ROWS = 10 * FOLD_AFTER_ROWS

/**
 * Where appends land first: a table in arrival order with no index, so a commit writes the
 * one page at its end whichever documents it holds. The log is clustered by document (that
 * is what makes loading one cheap), so appending there costs a page per document per commit:
 * with many rooms each edit was a page of its own. Folding moves the journal into the log
 * sorted by document, a page per document for many updates, and brings the catalogue's
 * updated_at and the webhook outbox up to date with it.
 *
 * Rows in the journal are as durable as rows in the log (same file, same commit). Whoever
 * reads the log, the catalogue or the outbox folds first (`fold` is cheap when empty); a
 * journal left by a crash is folded when the file is opened.
 *
 * With a write-ahead file (a server, the file's only writer), appends go to that file instead
 * and wait in memory; a fold moves them through the journal into the log in one transaction.
 * Rows the file still holds after a crash are put back when it is opened, those whose
 * sequence number the document's log has not reached yet (a fold step may have moved some).
 */
export class SqliteJournal {
  /** Updates journalled and not folded yet, as far as this process knows. */
  private rows = 0
  private timer: NodeJS.Timeout | null = null
  private step: NodeJS.Immediate | null = null
  private readonly insertRow: Database.Statement<[string, number, Uint8Array, string | null, number | null, number]>
  private readonly selectLastSeq: Database.Statement<[string, string], { seq: number | null }>
  private readonly commit: (entries: readonly BatchEntry[], now: number) => void
  /** Folds the updates with ids up to `last`; returns how many it moved. */
  private readonly foldUpTo: (last: number) => number
  private readonly firstId: Database.Statement<[], { id: number | null }>
  /** Last sequence number per document written since it was loaded: this process is the file's only writer. */
  private readonly lastSeq = new Map<string, number>()
  /** Appended to the write-ahead file and not in the database yet, oldest first. */
  private staged: StagedRow[] = []
  private readonly stage: (rows: readonly StagedRow[]) => void
  /** Puts staged rows in the journal and folds it, in one transaction; returns how many it moved. */
  private readonly foldStaged: (rows: readonly StagedRow[]) => number
  /** Why the last background fold failed; null once one succeeds. */
  private foldError: unknown = null

  constructor(
    db: Database.Database,
    webhooks: () => SqliteWebhooks | null,
    private readonly aheadFile: WriteAheadFile | null = null,
    left: readonly StagedRow[] = [],
  ) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS journal (
        id INTEGER PRIMARY KEY,
        doc TEXT NOT NULL,
        seq INTEGER NOT NULL,
        data BLOB NOT NULL,
        author TEXT,
        at INTEGER,
        written_at INTEGER NOT NULL
      );
    `)
    this.insertRow = db.prepare('INSERT INTO journal (doc, seq, data, author, at, written_at) VALUES (?, ?, ?, ?, ?, ?)')
    this.selectLastSeq = db.prepare(
      'SELECT max(seq) AS seq FROM (SELECT max(seq) AS seq FROM log WHERE doc = ? UNION ALL SELECT max(seq) AS seq FROM journal WHERE doc = ?)',
    )
    this.commit = db.transaction((entries: readonly BatchEntry[], now: number) => {
      for (const { name, updates, meta } of entries) {
        for (let i = 0; i < updates.length; i++) this.insert(name, updates[i]!, meta?.authors[i] ?? null, meta?.at ?? null, now)
      }
    })
    const moveToLog = db.prepare<[number]>(
      'INSERT INTO log (doc, seq, data, author, at) SELECT doc, seq, data, author, at FROM journal WHERE id <= ? ORDER BY doc, seq',
    )
    const touched = db.prepare<[number], { doc: string; first: number; last: number }>(
      'SELECT doc, min(written_at) AS first, max(written_at) AS last FROM journal WHERE id <= ? GROUP BY doc',
    )
    const touch = db.prepare<[string, number, number]>(
      'INSERT INTO documents (doc, created_at, updated_at) VALUES (?, ?, ?) ON CONFLICT(doc) DO UPDATE SET updated_at = max(updated_at, excluded.updated_at)',
    )
    const clear = db.prepare<[number]>('DELETE FROM journal WHERE id <= ?')
    this.foldUpTo = db.transaction((last: number): number => {
      const outbox = webhooks()
      for (const doc of touched.all(last)) {
        touch.run(doc.doc, doc.first, doc.last)
        outbox?.record(doc.doc, 'changed', doc.last)
      }
      moveToLog.run(last)
      return clear.run(last).changes
    })
    this.firstId = db.prepare('SELECT min(id) AS id FROM journal')
    this.stage = db.transaction((rows: readonly StagedRow[]) => {
      for (const row of rows) this.insertRow.run(row.doc, row.seq, row.data, row.author, row.at, row.writtenAt)
    })
    this.foldStaged = db.transaction((rows: readonly StagedRow[]): number => {
      this.stage(rows)
      return this.foldUpTo(Number.MAX_SAFE_INTEGER)
    })
    // What a crash left in the write-ahead file, minus what a fold step had already moved.
    const reached = new Map<string, number>()
    const putBack = left.filter((row) => {
      if (!reached.has(row.doc)) reached.set(row.doc, this.selectLastSeq.get(row.doc, row.doc)?.seq ?? 0)
      return row.seq > reached.get(row.doc)!
    })
    this.stage(putBack)
    aheadFile?.clear()
    // A journal left by a crash.
    this.rows = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM journal').get()?.n ?? 0
    this.fold()
  }

  /** Appends every entry in one transaction; durable when it returns. */
  append(entries: readonly BatchEntry[]): void {
    if (this.aheadFile) this.appendAhead(entries)
    else this.appendHere(entries)
    for (const entry of entries) this.rows += entry.updates.length
    if (this.step) return
    if (this.rows >= FOLD_AFTER_ROWS) this.stepSoon()
    else if (!this.timer) {
      this.timer = setTimeout(() => this.stepSoon(), FOLD_INTERVAL_MS)
      this.timer.unref()
    }
  }

  private appendAhead(entries: readonly BatchEntry[]): void {
    if (this.staged.length >= MAX_STAGED_ROWS) {
      const why = this.foldError instanceof Error ? this.foldError.message : String(this.foldError)
      throw new Error(`${this.staged.length} updates are waiting for the database, which does not take them: ${why}`)
    }
    const now = Date.now()
    const rows: StagedRow[] = []
    // Numbered here, remembered once written: a failed write must not use up sequence numbers.
    const last = new Map<string, number>()
    for (const { name, updates, meta } of entries) {
      let seq = last.get(name) ?? this.peekSeq(name)
      for (let i = 0; i < updates.length; i++) {
        rows.push({ doc: name, seq: ++seq, data: updates[i]!, author: meta?.authors[i] ?? null, at: meta?.at ?? null, writtenAt: now })
      }
      last.set(name, seq)
    }
    this.aheadFile!.append(rows)
    for (const [doc, seq] of last) this.lastSeq.set(doc, seq)
    for (const row of rows) this.staged.push(row)
  }

  private appendHere(entries: readonly BatchEntry[]): void {
    const lone = entries.length === 1 && entries[0]!.updates.length === 1 ? entries[0]! : null
    // A lone statement is its own transaction: BEGIN and COMMIT around it only cost time.
    if (lone) this.insert(lone.name, lone.updates[0]!, lone.meta?.authors[0] ?? null, lone.meta?.at ?? null, Date.now())
    else this.commit(entries, Date.now())
  }

  /** Moves everything journalled into the log, now; nothing to do when the journal is empty. */
  fold(): void {
    this.cancel()
    if (this.rows === 0) return
    this.foldStaged(this.staged)
    this.staged = []
    this.aheadFile?.clear()
    this.rows = 0
  }

  /** The document's log is read afresh (loaded, compacted, removed): its sequence is looked up again. */
  forget(name: string): void {
    this.lastSeq.delete(name)
  }

  close(): void {
    this.cancel()
    this.aheadFile?.close()
  }

  private insert(name: string, update: Uint8Array, author: string | null, at: number | null, now: number): void {
    this.insertRow.run(name, this.nextSeq(name), update, author, at, now)
  }

  private nextSeq(name: string): number {
    const next = this.peekSeq(name) + 1
    this.lastSeq.set(name, next)
    return next
  }

  /** The document's last sequence number: its log and journal, or what was last written. */
  private peekSeq(name: string): number {
    return this.lastSeq.get(name) ?? this.selectLastSeq.get(name, name)?.seq ?? 0
  }

  private stepSoon(): void {
    this.cancel()
    this.step = setImmediate(() => this.foldStep())
    this.step.unref()
  }

  /** One background step; the next follows on the next turn while anything is left. */
  private foldStep(): void {
    this.step = null
    let moved: number
    try {
      if (this.staged.length > 0) {
        // From memory, through the journal, in one transaction; the file empties with the last step.
        const step = this.staged.slice(0, FOLD_STEP_ROWS)
        moved = this.foldStaged(step)
        this.staged.splice(0, step.length)
        if (this.staged.length === 0) this.aheadFile?.clear()
      } else {
        const first = this.firstId.get()?.id ?? null
        moved = first === null ? 0 : this.foldUpTo(first + FOLD_STEP_ROWS - 1)
      }
      this.foldError = null
    } catch (error) {
      this.foldError = error
      // The rows stay in the journal, where every reader finds them by folding first; the next
      // append schedules another try.
      return
    }
    // Nothing moved: the journal is empty (another process opening the file folded it).
    this.rows = moved === 0 ? 0 : Math.max(0, this.rows - moved)
    if (this.rows > 0) this.stepSoon()
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer)
    if (this.step) clearImmediate(this.step)
    this.timer = null
    this.step = null
  }
}
