import type pg from 'pg'
import * as Y from 'yjs'
import type { DocumentStorage, StoredDocument } from './document-storage.js'
import { TOUCH_INTERVAL_MS, type DocumentCatalog, type DocumentRecord, type ListOptions } from './document-catalog.js'
import { PostgresWebhooks, WEBHOOK_SCHEMA } from './postgres-webhooks.js'
import type { PromoteOptions, WebhookDelivery, WebhookStore } from './webhook-store.js'
import { HISTORY_SCHEMA, PostgresHistory } from './postgres-history.js'
import type { AppendMeta, AttributionRun, HistoryStore, NewVersion, VersionPage, VersionRecord } from './history-store.js'
import { loadDriver } from '../optional-driver.js'
import { revocationFromRow, type Revocation, type RevocationRow, type RevocationStore, type StoredRevocation } from '../access/revocations.js'

export interface PostgresStorageOptions {
  /** postgres://user:password@host:port/database */
  readonly connectionString: string
  /** Pool size. Default 10. */
  readonly maxConnections?: number
}

/** Two servers starting at once must not both create the tables; this key serializes that. */
const SCHEMA_LOCK = 0x636f6564 // 'coed'

/**
 * Documents in PostgreSQL, shared by every server of a cluster: a snapshot per document and
 * an append-only log of updates. Compaction folds the rows it read into the snapshot and
 * deletes exactly those rows, under a per-document advisory lock, so rows other servers
 * append meanwhile stay, and two servers compacting at once cannot both run.
 */
export class PostgresStorage implements DocumentStorage, RevocationStore, DocumentCatalog, WebhookStore, HistoryStore {
  readonly shared = true
  private readonly pool: pg.Pool
  private readonly ready: Promise<void>
  /** Calls for one document run in the order they were made (the storage contract). */
  private readonly queues = new Map<string, Promise<unknown>>()
  /** When this server last wrote each document's updated_at (once a second at most). */
  private readonly touched = new Map<string, number>()
  private webhooks: PostgresWebhooks | null = null
  private readonly history: PostgresHistory

  constructor(options: PostgresStorageOptions) {
    const { Pool } = loadDriver<typeof pg>('pg', '@coedit/sync-server/postgres')
    this.pool = new Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10 })
    // An idle client losing its server must not crash the process; the next query reports it.
    this.pool.on('error', () => {})
    this.history = new PostgresHistory(this.pool, (isolation, work) => this.transaction(isolation, work))
    this.ready = this.createSchema()
    this.ready.catch(() => {})
  }

  load(name: string): Promise<StoredDocument> {
    return this.inOrder(name, () =>
      this.transaction('REPEATABLE READ', async (client) => {
        // One snapshot of the database: a compaction between the two reads cannot hide rows.
        const snapshot = await client.query<{ snapshot: Buffer }>('SELECT snapshot FROM coedit_documents WHERE name = $1', [name])
        const log = await client.query<{ data: Buffer }>('SELECT data FROM coedit_updates WHERE name = $1 ORDER BY id', [name])
        const updates: Uint8Array[] = []
        const first = snapshot.rows[0]?.snapshot
        if (first) updates.push(new Uint8Array(first))
        let logBytes = 0
        for (const row of log.rows) {
          updates.push(new Uint8Array(row.data))
          logBytes += row.data.byteLength
        }
        return { updates, logCount: log.rows.length, logBytes }
      }),
    )
  }

  append(name: string, updates: readonly Uint8Array[], meta?: AppendMeta): Promise<void> {
    const data = updates.map((update) => Buffer.from(update))
    const rows = 'SELECT $1, unnest($2::bytea[]), unnest($3::text[]), $4'
    const values: unknown[] = [name, data, updates.map((_, i) => meta?.authors[i] ?? null), meta?.at ?? null]
    return this.inOrder(name, async () => {
      await this.ready
      const now = Date.now()
      // The catalogue's updated_at is written at most once a second per document, in the same
      // statement as the rows (one round trip per append, on one server or several).
      const touch = now - (this.touched.get(name) ?? -Infinity) >= TOUCH_INTERVAL_MS
      if (touch) this.touched.set(name, now)
      const insert = touch
        ? `WITH appended AS (INSERT INTO coedit_updates (name, data, author, at) ${rows} RETURNING 1) ` +
          'INSERT INTO coedit_catalog (name, created_at, updated_at) VALUES ($1, $5, $5) ' +
          'ON CONFLICT (name) DO UPDATE SET updated_at = GREATEST(coedit_catalog.updated_at, EXCLUDED.updated_at)'
        : `INSERT INTO coedit_updates (name, data, author, at) ${rows}`
      const parameters = touch ? [...values, now] : values
      if (this.webhooks) {
        // The change is recorded in the same transaction as the edit: a crash loses neither alone.
        const webhooks = this.webhooks
        await this.transaction('READ COMMITTED', async (client) => {
          await client.query(insert, parameters)
          await webhooks.record(client, name, 'changed', now)
        })
      } else {
        await this.pool.query(insert, parameters)
      }
    })
  }

  async describe(name: string): Promise<DocumentRecord | null> {
    await this.ready
    const result = await this.pool.query<{ created_at: string; updated_at: string; deleted_at: string | null; bytes: string }>(
      `SELECT created_at, updated_at, deleted_at,
        coalesce((SELECT length(snapshot) FROM coedit_documents WHERE name = $1), 0) + coalesce((SELECT sum(length(data)) FROM coedit_updates WHERE name = $1), 0) AS bytes
      FROM coedit_catalog WHERE name = $1`,
      [name],
    )
    const row = result.rows[0]
    return row
      ? {
          name,
          createdAt: Number(row.created_at),
          updatedAt: Number(row.updated_at),
          deletedAt: row.deleted_at === null ? null : Number(row.deleted_at),
          bytes: Number(row.bytes),
        }
      : null
  }

  async isDeleted(name: string): Promise<boolean> {
    await this.ready
    const result = await this.pool.query<{ deleted_at: string | null }>('SELECT deleted_at FROM coedit_catalog WHERE name = $1', [name])
    return (result.rows[0]?.deleted_at ?? null) !== null
  }

  async list({ prefix = '', after = '', limit }: ListOptions): Promise<DocumentRecord[]> {
    await this.ready
    const result = await this.pool.query<{ name: string }>(
      'SELECT name FROM coedit_catalog WHERE deleted_at IS NULL AND left(name, $2) = $1 AND name > $3 ORDER BY name COLLATE "C" LIMIT $4',
      [prefix, prefix.length, after, limit],
    )
    const records = await Promise.all(result.rows.map((row) => this.describe(row.name)))
    return records.filter((record): record is DocumentRecord => record !== null)
  }

  async create(name: string, at: number): Promise<boolean> {
    await this.ready
    const result = await this.pool.query('INSERT INTO coedit_catalog (name, created_at, updated_at) VALUES ($1, $2, $2) ON CONFLICT (name) DO NOTHING', [
      name,
      at,
    ])
    return (result.rowCount ?? 0) === 1
  }

  remove(name: string, at: number): Promise<void> {
    this.touched.delete(name)
    return this.inOrder(name, () =>
      this.transaction('READ COMMITTED', async (client) => {
        await client.query('DELETE FROM coedit_documents WHERE name = $1', [name])
        await client.query('DELETE FROM coedit_updates WHERE name = $1', [name])
        await this.history.remove(client, name)
        await client.query('DELETE FROM coedit_view_links WHERE name = $1', [name])
        await client.query(
          'INSERT INTO coedit_catalog (name, created_at, updated_at, deleted_at) VALUES ($1, $2, $2, $2) ON CONFLICT (name) DO UPDATE SET deleted_at = EXCLUDED.deleted_at',
          [name, at],
        )
        await this.webhooks?.record(client, name, 'deleted', at)
      }),
    )
  }

  async viewLink(name: string, fresh: string): Promise<string> {
    await this.ready
    await this.pool.query('INSERT INTO coedit_view_links (view_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING', [fresh, name])
    return (await this.pool.query<{ view_id: string }>('SELECT view_id FROM coedit_view_links WHERE name = $1', [name])).rows[0]!.view_id
  }

  async documentOfView(viewId: string): Promise<string | null> {
    await this.ready
    return (await this.pool.query<{ name: string }>('SELECT name FROM coedit_view_links WHERE view_id = $1', [viewId])).rows[0]?.name ?? null
  }

  enableWebhooks(): void {
    this.webhooks ??= new PostgresWebhooks(this.pool, (work) => this.transaction('READ COMMITTED', work))
  }

  async promoteChanges(options: PromoteOptions): Promise<number> {
    return this.webhooks ? this.webhooks.promoteChanges(options) : 0
  }

  async claimDeliveries(now: number, leaseMs: number, limit: number): Promise<WebhookDelivery[]> {
    await this.ready
    return this.webhooks ? this.webhooks.claimDeliveries(now, leaseMs, limit) : []
  }

  async deliveryDone(id: string): Promise<void> {
    await this.webhooks?.deliveryDone(id)
  }

  async deliveryFailed(id: string, nextAt: number, body: string): Promise<void> {
    await this.webhooks?.deliveryFailed(id, nextAt, body)
  }

  async pendingDeliveries(): Promise<number> {
    await this.ready
    return this.webhooks ? this.webhooks.pendingDeliveries() : 0
  }

  compact(name: string, state: Uint8Array): Promise<void> {
    return this.inOrder(name, () =>
      this.transaction('READ COMMITTED', async (client) => {
        const lock = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_xact_lock(hashtext('coedit:' || $1)) AS locked", [name])
        // Another server is compacting this document: its snapshot will hold what ours would.
        if (!lock.rows[0]?.locked) return
        const rows = await client.query<{ id: string; data: Buffer }>('SELECT id, data FROM coedit_updates WHERE name = $1 ORDER BY id', [name])
        const previous = await client.query<{ snapshot: Buffer }>('SELECT snapshot FROM coedit_documents WHERE name = $1', [name])
        const parts: Uint8Array[] = []
        const old = previous.rows[0]?.snapshot
        if (old) parts.push(new Uint8Array(old))
        for (const row of rows.rows) parts.push(new Uint8Array(row.data))
        // The in-memory state may hold what other servers relayed; merging it in is harmless.
        parts.push(state)
        const merged = Y.mergeUpdates(parts)
        await client.query('INSERT INTO coedit_documents (name, snapshot) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET snapshot = EXCLUDED.snapshot', [
          name,
          Buffer.from(merged),
        ])
        // Exactly the rows folded in: rows appended since (by any server) stay in the log.
        await this.history.fold(
          client,
          name,
          rows.rows.map((row) => row.id),
        )
        if (rows.rows.length > 0) await client.query('DELETE FROM coedit_updates WHERE id = ANY($1::bigint[])', [rows.rows.map((row) => row.id)])
      }),
    )
  }

  async addRevocation(revocation: Revocation): Promise<void> {
    await this.transaction('READ COMMITTED', async (client) => {
      // A newer cut-off for a document covers everything an older one did.
      if (revocation.kind === 'doc') await client.query("DELETE FROM coedit_revocations WHERE kind = 'doc' AND doc = $1", [revocation.doc])
      await client.query('INSERT INTO coedit_revocations (kind, token_id, doc, issued_before, expires_at) VALUES ($1, $2, $3, $4, $5)', [
        revocation.kind,
        revocation.kind === 'token' ? revocation.id : null,
        revocation.kind === 'doc' ? revocation.doc : null,
        revocation.kind === 'doc' ? revocation.before : null,
        revocation.expiresAt,
      ])
    })
  }

  async revocationsAfter(after: number): Promise<StoredRevocation[]> {
    await this.ready
    const result = await this.pool.query<RevocationRow>(
      'SELECT seq, kind, token_id, doc, issued_before, expires_at FROM coedit_revocations WHERE seq > $1 ORDER BY seq',
      [after],
    )
    return result.rows.map(revocationFromRow)
  }

  async pruneRevocations(now: number): Promise<number> {
    await this.ready
    return (await this.pool.query('DELETE FROM coedit_revocations WHERE expires_at <= $1', [now])).rowCount ?? 0
  }

  async addVersion(name: string, version: NewVersion): Promise<VersionRecord> {
    return this.history.addVersion(name, version)
  }

  async versions(name: string, page: VersionPage): Promise<VersionRecord[]> {
    await this.ready
    return this.history.versions(name, page)
  }

  async versionText(name: string, id: number): Promise<{ version: VersionRecord; text: string } | null> {
    await this.ready
    return this.history.versionText(name, id)
  }

  async attribution(name: string): Promise<AttributionRun[]> {
    return this.history.attribution(name)
  }

  async authorsSince(name: string, at: number): Promise<string[]> {
    await this.ready
    return this.history.authorsSince(name, at)
  }

  async thinVersions(name: string, before: number): Promise<number> {
    await this.ready
    return this.history.thinVersions(name, before)
  }

  async check(): Promise<void> {
    await this.ready
    await this.pool.query('SELECT 1')
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()])
    await this.pool.end()
  }

  private async createSchema(): Promise<void> {
    await this.transaction(
      'READ COMMITTED',
      async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK])
        await client.query('CREATE TABLE IF NOT EXISTS coedit_documents (name text PRIMARY KEY, snapshot bytea NOT NULL)')
        await client.query('CREATE TABLE IF NOT EXISTS coedit_updates (id bigserial PRIMARY KEY, name text NOT NULL, data bytea NOT NULL)')
        await client.query('CREATE INDEX IF NOT EXISTS coedit_updates_name_id ON coedit_updates (name, id)')
        for (const statement of WEBHOOK_SCHEMA) await client.query(statement)
        for (const statement of HISTORY_SCHEMA) await client.query(statement)
        await client.query('CREATE TABLE IF NOT EXISTS coedit_view_links (view_id text PRIMARY KEY, name text NOT NULL UNIQUE)')
        const existed = (await client.query<{ found: string | null }>("SELECT to_regclass('coedit_catalog') AS found")).rows[0]?.found != null
        await client.query(
          'CREATE TABLE IF NOT EXISTS coedit_catalog (name text COLLATE "C" PRIMARY KEY, created_at bigint NOT NULL, updated_at bigint NOT NULL, deleted_at bigint)',
        )
        // Databases from before the catalogue: every stored document gets its row, once.
        if (!existed)
          await client.query(
            'INSERT INTO coedit_catalog (name, created_at, updated_at) SELECT name, $1, $1 FROM (SELECT name FROM coedit_documents UNION SELECT DISTINCT name FROM coedit_updates) AS stored ON CONFLICT DO NOTHING',
            [Date.now()],
          )
        await client.query(
          'CREATE TABLE IF NOT EXISTS coedit_revocations (seq bigserial PRIMARY KEY, kind text ' +
            'NOT NULL, token_id text, doc text, issued_before bigint, expires_at bigint NOT NULL)',
        )
      },
      false,
    )
  }

  private async transaction<T>(isolation: 'READ COMMITTED' | 'REPEATABLE READ', work: (client: pg.PoolClient) => Promise<T>, waitForSchema = true): Promise<T> {
    if (waitForSchema) await this.ready
    const client = await this.pool.connect()
    try {
      await client.query(`BEGIN ISOLATION LEVEL ${isolation}`)
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }

  private inOrder<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(name) ?? Promise.resolve()
    const next = previous.then(work, work)
    const settled = next.then(
      () => {},
      () => {},
    )
    this.queues.set(name, settled)
    void settled.then(() => {
      if (this.queues.get(name) === settled) this.queues.delete(name)
    })
    return next
  }
}
