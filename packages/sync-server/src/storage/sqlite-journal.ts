import type Database from 'better-sqlite3'
import type { BatchEntry } from './document-storage.js'
import type { SqliteWebhooks } from './sqlite-webhooks.js'

/** The journal is folded into the log at least this often while it holds anything… */
export const FOLD_INTERVAL_MS = 5_000
/** …and as soon as it holds this many updates. */
export const FOLD_AFTER_ROWS = 4_000
/**
 * In the background the log gains at most this many updates per turn of the event loop: a fold
 * of 4,000 at once took 5–20 ms, a stall every few seconds that showed in the lag p99.
 */
export const FOLD_STEP_ROWS = 100
/** Ids and documents of the journal read per turn while a background fold groups them. */
const FOLD_READ_ROWS = 1_000

/**
 * A background fold in progress: the updates up to `last`, grouped by document as they are
 * read, then moved into the log a few documents per step, then removed from the journal in
 * one last step with the catalogue and the outbox brought up to date.
 */
interface FoldCycle {
  readonly last: number
  /** Ids up to this one have been read into `byDoc`. */
  readUpTo: number
  readonly byDoc: Map<string, number[]>
  /** Documents still to move, once everything up to `last` is read. */
  pending: Array<[string, number[]]> | null
}

/**
 * Where appends land first: a table in arrival order with no index, so a commit writes the
 * one page at its end whichever documents it holds. The log is clustered by document (that
 * is what makes loading one cheap), so appending there costs a page per document per commit:
 * with many rooms each edit was a page of its own. Folding moves the journal into the log
 * document by document, so each page of the log is written once for all of its document's
 * updates (moving them in arrival order wrote a page per update with many busy rooms), and
 * brings the catalogue's updated_at and the webhook outbox up to date with it.
 *
 * Rows in the journal are as durable as rows in the log (same file, same commit). Loading a
 * document reads its rows here as they are (`unfolded`); whoever else reads the log, the
 * catalogue or the outbox folds first (`fold` is cheap when empty); a
 * journal left by a crash is folded when the file is opened. Moving into the log ignores rows
 * already there, so a fold cut short (a crash, a reader's fold) is simply done again.
 */
export class SqliteJournal {
  /** Updates journalled and not folded yet, as far as this process knows. */
  private rows = 0
  private timer: NodeJS.Timeout | null = null
  private step: NodeJS.Immediate | null = null
  private cycle: FoldCycle | null = null
  private readonly insertRow: Database.Statement<[string, number, Uint8Array, string | null, number | null, number]>
  private readonly selectLastSeq: Database.Statement<[string, string], { seq: number | null }>
  private readonly commit: (entries: readonly BatchEntry[], now: number) => void
  /** Folds the updates with ids up to `last`: into the log, the catalogue and the outbox; returns how many. */
  private readonly foldUpTo: (last: number) => number
  private readonly readIds: Database.Statement<[number, number, number], { id: number; doc: string }>
  /** Moves the updates with the ids in a JSON array into the log. */
  private readonly moveIds: (ids: string) => void
  /** The end of a background fold: catalogue, outbox, and the journal's rows up to `last` gone. */
  private readonly finishUpTo: (last: number) => number
  private readonly lastId: Database.Statement<[], { id: number | null }>
  private readonly selectUnfolded: Database.Statement<[string, number], { seq: number; data: Buffer }>
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
      'INSERT OR IGNORE INTO log (doc, seq, data, author, at) SELECT doc, seq, data, author, at FROM journal WHERE id <= ? ORDER BY doc, seq',
    )
    const moveIdsToLog = db.prepare<[string]>(
      'INSERT OR IGNORE INTO log (doc, seq, data, author, at) SELECT doc, seq, data, author, at FROM journal WHERE id IN (SELECT value FROM json_each(?)) ORDER BY doc, seq',
    )
    const touched = db.prepare<[number], { doc: string; first: number; last: number }>(
      'SELECT doc, min(written_at) AS first, max(written_at) AS last FROM journal WHERE id <= ? GROUP BY doc',
    )
    const touch = db.prepare<[string, number, number]>(
      'INSERT INTO documents (doc, created_at, updated_at) VALUES (?, ?, ?) ON CONFLICT(doc) DO UPDATE SET updated_at = max(updated_at, excluded.updated_at)',
    )
    const clear = db.prepare<[number]>('DELETE FROM journal WHERE id <= ?')
    const finish = (last: number): number => {
      const outbox = webhooks()
      for (const doc of touched.all(last)) {
        touch.run(doc.doc, doc.first, doc.last)
        outbox?.record(doc.doc, 'changed', doc.last)
      }
      return clear.run(last).changes
    }
    this.foldUpTo = db.transaction((last: number): number => {
      moveToLog.run(last)
      return finish(last)
    })
    // One statement is its own transaction.
    this.moveIds = (ids: string) => void moveIdsToLog.run(ids)
    this.finishUpTo = db.transaction(finish)
    this.readIds = db.prepare('SELECT id, doc FROM journal WHERE id > ? AND id <= ? ORDER BY id LIMIT ?')
    this.lastId = db.prepare('SELECT max(id) AS id FROM journal')
    // No index on doc (it would cost every append a second page): a scan of a few thousand rows.
    this.selectUnfolded = db.prepare('SELECT seq, data FROM journal WHERE doc = ? AND seq > ? ORDER BY seq')
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
    else this.foldLater()
  }

  /** Moves everything journalled into the log, now; nothing to do when the journal is empty. */
  fold(): void {
    this.cancel()
    if (this.rows === 0) return
    this.foldUpTo(Number.MAX_SAFE_INTEGER)
    this.rows = 0
  }

  /** A document's journalled updates after `afterSeq`, oldest first, without folding them. */
  unfolded(name: string, afterSeq: number): IterableIterator<{ seq: number; data: Buffer }> {
    return this.selectUnfolded.iterate(name, afterSeq)
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
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (this.step) clearImmediate(this.step)
    this.step = setImmediate(() => this.foldStep())
    this.step.unref()
  }

  /** One background step; the next follows on the next turn until the cycle is done. */
  private foldStep(): void {
    this.step = null
    try {
      if (this.advance()) this.stepSoon()
    } catch {
      // The rows stay in the journal, where every reader finds them by folding first; the next
      // append starts another cycle.
      this.cycle = null
    }
  }

  /** Does one step of the cycle (starting one if none runs); false when the cycle is over. */
  private advance(): boolean {
    const cycle = (this.cycle ??= this.startCycle())
    if (!cycle) return false
    if (!cycle.pending) {
      const rows = this.readIds.all(cycle.readUpTo, cycle.last, FOLD_READ_ROWS)
      for (const { id, doc } of rows) {
        const ids = cycle.byDoc.get(doc)
        if (ids) ids.push(id)
        else cycle.byDoc.set(doc, [id])
      }
      cycle.readUpTo = rows.length === FOLD_READ_ROWS ? rows[rows.length - 1]!.id : cycle.last
      if (cycle.readUpTo === cycle.last) cycle.pending = [...cycle.byDoc].reverse()
      return true
    }
    if (cycle.pending.length > 0) {
      const ids: number[] = []
      // Whole documents per step; one with more than a step's updates goes in parts of its own.
      while (cycle.pending.length > 0 && ids.length < FOLD_STEP_ROWS) {
        const docIds = cycle.pending[cycle.pending.length - 1]![1]
        const room = FOLD_STEP_ROWS - ids.length
        if (docIds.length <= room) ids.push(...cycle.pending.pop()![1])
        else if (ids.length === 0) ids.push(...docIds.splice(0, room))
        else break
      }
      this.moveIds(JSON.stringify(ids))
      return true
    }
    const moved = this.finishUpTo(cycle.last)
    this.cycle = null
    // Nothing moved: the journal was emptied meanwhile (another process opening the file folded it).
    this.rows = moved === 0 ? 0 : Math.max(0, this.rows - moved)
    if (this.rows >= FOLD_AFTER_ROWS) return true
    if (this.rows > 0) this.foldLater()
    return false
  }

  private startCycle(): FoldCycle | null {
    const last = this.lastId.get()?.id ?? null
    if (last === null) {
      this.rows = 0
      return null
    }
    return { last, readUpTo: 0, byDoc: new Map(), pending: null }
  }

  private foldLater(): void {
    if (this.timer) return
    this.timer = setTimeout(() => this.stepSoon(), FOLD_INTERVAL_MS)
    this.timer.unref()
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer)
    if (this.step) clearImmediate(this.step)
    this.timer = null
    this.step = null
    this.cycle = null
  }
}
