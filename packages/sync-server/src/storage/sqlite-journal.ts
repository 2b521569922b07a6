import type Database from 'better-sqlite3'
import type { BatchEntry } from './document-storage.js'
import type { SqliteWebhooks } from './sqlite-webhooks.js'

/** The journal is folded into the log at least this often while it holds anything… */
export const FOLD_INTERVAL_MS = 5_000
/** …and as soon as it holds this many updates. */
export const FOLD_AFTER_ROWS = 4_000
/**
 * In the background it is folded this many updates at a time, one step per turn of the event
 * loop: a fold of 4,000 took 5–20 ms, a stall every few seconds that showed in the lag p99.
 * With many rooms each update of a step lands on a page of the log of its own, so a step of
 * 500 still took about 4 ms (13 at worst); 100 take about 1 ms for the same CPU per update.
 */
export const FOLD_STEP_ROWS = 100

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

  constructor(db: Database.Database, webhooks: () => SqliteWebhooks | null) {
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
    // A journal left by a crash.
    this.rows = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM journal').get()?.n ?? 0
    this.fold()
  }

  /** Appends every entry in one transaction; durable when it returns. */
  append(entries: readonly BatchEntry[]): void {
    const lone = entries.length === 1 && entries[0]!.updates.length === 1 ? entries[0]! : null
    // A lone statement is its own transaction: BEGIN and COMMIT around it only cost time.
    if (lone) this.insert(lone.name, lone.updates[0]!, lone.meta?.authors[0] ?? null, lone.meta?.at ?? null, Date.now())
    else this.commit(entries, Date.now())
    for (const entry of entries) this.rows += entry.updates.length
    if (this.step) return
    if (this.rows >= FOLD_AFTER_ROWS) this.stepSoon()
    else if (!this.timer) {
      this.timer = setTimeout(() => this.stepSoon(), FOLD_INTERVAL_MS)
      this.timer.unref()
    }
  }

  /** Moves everything journalled into the log, now; nothing to do when the journal is empty. */
  fold(): void {
    this.cancel()
    if (this.rows === 0) return
    this.foldUpTo(Number.MAX_SAFE_INTEGER)
    this.rows = 0
  }

  /** The document's log is read afresh (loaded, compacted, removed): its sequence is looked up again. */
  forget(name: string): void {
    this.lastSeq.delete(name)
  }

  close(): void {
    this.cancel()
  }

  private insert(name: string, update: Uint8Array, author: string | null, at: number | null, now: number): void {
    this.insertRow.run(name, this.nextSeq(name), update, author, at, now)
  }

  private nextSeq(name: string): number {
    const last = this.lastSeq.get(name) ?? this.selectLastSeq.get(name, name)?.seq ?? 0
    this.lastSeq.set(name, last + 1)
    return last + 1
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
      const first = this.firstId.get()?.id ?? null
      moved = first === null ? 0 : this.foldUpTo(first + FOLD_STEP_ROWS - 1)
    } catch {
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
