import type Database from 'better-sqlite3'
import type { PromoteOptions, WebhookDelivery, WebhookEvent, WebhookStore } from './webhook-store.js'

interface DeliveryRow {
  id: string
  event: WebhookEvent
  doc: string
  at: number
  url: string
  attempts: number
  body: string | null
}

/** The webhook outbox in the SQLite file (one process writes it, so leases need no locking). */
export class SqliteWebhooks implements Omit<WebhookStore, 'enableWebhooks'> {
  private readonly recordStatement: Database.Statement<[string, string, number, number]>

  constructor(private readonly db: Database.Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS webhook_changes (
        doc TEXT NOT NULL,
        kind TEXT NOT NULL,
        first_at INTEGER NOT NULL,
        last_at INTEGER NOT NULL,
        PRIMARY KEY (doc, kind)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS webhook_deliveries (
        id TEXT PRIMARY KEY,
        event TEXT NOT NULL,
        doc TEXT NOT NULL,
        at INTEGER NOT NULL,
        url TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        body TEXT
      );
      CREATE INDEX IF NOT EXISTS webhook_deliveries_next ON webhook_deliveries (next_at);
    `)
    this.recordStatement = db.prepare(
      'INSERT INTO webhook_changes (doc, kind, first_at, last_at) VALUES (?, ?, ?, ?) ON CONFLICT(doc, kind) DO UPDATE SET last_at = excluded.last_at',
    )
  }

  /** Called inside the transaction that folds edits into the log (or stores the deletion). */
  record(doc: string, kind: 'changed' | 'deleted', at: number): void {
    if (kind === 'deleted') this.db.prepare("DELETE FROM webhook_changes WHERE doc = ? AND kind = 'changed'").run(doc)
    this.recordStatement.run(doc, kind, at, at)
  }

  /** Returns the documents whose changes were promoted, so their next edit is recorded again. */
  promote({ now, delayMs, maxHoldMs, urls, newId }: PromoteOptions): string[] {
    const promote = this.db.transaction(() => {
      const due = this.db
        .prepare<[number, number, number], { doc: string; kind: string; last_at: number }>(
          "SELECT doc, kind, last_at FROM webhook_changes WHERE kind = 'deleted' OR min(first_at + ?, last_at + ?) <= ? LIMIT 500",
        )
        .all(maxHoldMs, delayMs, now)
      const insert = this.db.prepare<[string, string, string, number, string, number]>(
        'INSERT INTO webhook_deliveries (id, event, doc, at, url, next_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      const remove = this.db.prepare<[string, string]>('DELETE FROM webhook_changes WHERE doc = ? AND kind = ?')
      for (const change of due) {
        const event = change.kind === 'deleted' ? 'document.deleted' : 'document.changed'
        for (const url of urls) insert.run(newId(), event, change.doc, change.kind === 'deleted' ? change.last_at : now, url, now)
        remove.run(change.doc, change.kind)
      }
      return due.map((change) => change.doc)
    })
    return promote()
  }

  promoteChanges(options: PromoteOptions): number {
    return this.promote(options).length
  }

  claimDeliveries(now: number, leaseMs: number, limit: number): WebhookDelivery[] {
    const claim = this.db.transaction(() => {
      const rows = this.db
        .prepare<[number, number], DeliveryRow>(
          'SELECT id, event, doc, at, url, attempts, body FROM webhook_deliveries WHERE next_at <= ? ORDER BY next_at LIMIT ?',
        )
        .all(now, limit)
      const lease = this.db.prepare<[number, string]>('UPDATE webhook_deliveries SET next_at = ? WHERE id = ?')
      for (const row of rows) lease.run(now + leaseMs, row.id)
      return rows
    })
    return claim()
  }

  deliveryDone(id: string): void {
    this.db.prepare('DELETE FROM webhook_deliveries WHERE id = ?').run(id)
  }

  deliveryFailed(id: string, nextAt: number, body: string): void {
    this.db.prepare('UPDATE webhook_deliveries SET attempts = attempts + 1, next_at = ?, body = ? WHERE id = ?').run(nextAt, body, id)
  }

  pendingDeliveries(): number {
    return this.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM webhook_deliveries').get()!.n
  }
}
