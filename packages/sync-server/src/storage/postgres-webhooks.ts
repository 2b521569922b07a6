import type pg from 'pg'
import type { PromoteOptions, WebhookDelivery, WebhookEvent, WebhookStore } from './webhook-store.js'

type Transaction = <T>(work: (client: pg.PoolClient) => Promise<T>) => Promise<T>

interface DeliveryRow {
  id: string
  event: WebhookEvent
  doc: string
  at: string
  url: string
  attempts: number
  body: string | null
}

export const WEBHOOK_SCHEMA = [
  'CREATE TABLE IF NOT EXISTS coedit_webhook_changes (doc text NOT NULL, kind text NOT NULL, first_at bigint NOT NULL, last_at bigint NOT NULL, PRIMARY KEY (doc, kind))',
  'CREATE TABLE IF NOT EXISTS coedit_webhook_deliveries (id text PRIMARY KEY, event text NOT NULL, doc text NOT NULL, at bigint NOT NULL, url text NOT NULL, attempts integer NOT NULL DEFAULT 0, next_at bigint NOT NULL, body text)',
  'CREATE INDEX IF NOT EXISTS coedit_webhook_deliveries_next ON coedit_webhook_deliveries (next_at)',
]

/**
 * The webhook outbox in PostgreSQL, shared by a cluster: changes are promoted and deliveries
 * leased with FOR UPDATE SKIP LOCKED, so each event goes out from exactly one server.
 */
export class PostgresWebhooks implements Omit<WebhookStore, 'enableWebhooks'> {
  constructor(
    private readonly pool: pg.Pool,
    private readonly transaction: Transaction,
  ) {}

  /** Recorded with every stored edit (other servers may promote at any moment, so never skipped). */
  async record(client: pg.Pool | pg.PoolClient, doc: string, kind: 'changed' | 'deleted', at: number): Promise<void> {
    if (kind === 'deleted') await client.query("DELETE FROM coedit_webhook_changes WHERE doc = $1 AND kind = 'changed'", [doc])
    await client.query(
      'INSERT INTO coedit_webhook_changes (doc, kind, first_at, last_at) VALUES ($1, $2, $3, $3) ON CONFLICT (doc, kind) DO UPDATE SET last_at = GREATEST(coedit_webhook_changes.last_at, EXCLUDED.last_at)',
      [doc, kind, at],
    )
  }

  promoteChanges({ now, delayMs, maxHoldMs, urls, newId }: PromoteOptions): Promise<number> {
    return this.transaction(async (client) => {
      const due = await client.query<{ doc: string; kind: string; last_at: string }>(
        `DELETE FROM coedit_webhook_changes WHERE (doc, kind) IN (
          SELECT doc, kind FROM coedit_webhook_changes WHERE kind = 'deleted' OR LEAST(first_at + $1, last_at + $2) <= $3
          LIMIT 500 FOR UPDATE SKIP LOCKED
        ) RETURNING doc, kind, last_at`,
        [maxHoldMs, delayMs, now],
      )
      for (const change of due.rows) {
        const event = change.kind === 'deleted' ? 'document.deleted' : 'document.changed'
        const at = change.kind === 'deleted' ? Number(change.last_at) : now
        for (const url of urls) {
          await client.query('INSERT INTO coedit_webhook_deliveries (id, event, doc, at, url, next_at) VALUES ($1, $2, $3, $4, $5, $6)', [
            newId(),
            event,
            change.doc,
            at,
            url,
            now,
          ])
        }
      }
      return due.rows.length
    })
  }

  async claimDeliveries(now: number, leaseMs: number, limit: number): Promise<WebhookDelivery[]> {
    const result = await this.pool.query<DeliveryRow>(
      `UPDATE coedit_webhook_deliveries SET next_at = $1 WHERE id IN (
        SELECT id FROM coedit_webhook_deliveries WHERE next_at <= $2 ORDER BY next_at LIMIT $3 FOR UPDATE SKIP LOCKED
      ) RETURNING id, event, doc, at, url, attempts, body`,
      [now + leaseMs, now, limit],
    )
    return result.rows.map((row) => ({ ...row, at: Number(row.at) }))
  }

  async deliveryDone(id: string): Promise<void> {
    await this.pool.query('DELETE FROM coedit_webhook_deliveries WHERE id = $1', [id])
  }

  async deliveryFailed(id: string, nextAt: number, body: string): Promise<void> {
    await this.pool.query('UPDATE coedit_webhook_deliveries SET attempts = attempts + 1, next_at = $1, body = $2 WHERE id = $3', [nextAt, body, id])
  }

  async pendingDeliveries(): Promise<number> {
    return Number((await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM coedit_webhook_deliveries')).rows[0]!.n)
  }
}
