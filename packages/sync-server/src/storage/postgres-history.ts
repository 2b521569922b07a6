import type pg from 'pg'
import { distinctAuthors, foldRuns, versionsToThin, type AttributionRun, type NewVersion, type VersionPage, type VersionRecord } from './history-store.js'

/** Tables and columns history adds to the PostgreSQL schema (idempotent). */
export const HISTORY_SCHEMA = [
  'ALTER TABLE coedit_updates ADD COLUMN IF NOT EXISTS author text',
  'ALTER TABLE coedit_updates ADD COLUMN IF NOT EXISTS at bigint',
  'CREATE TABLE IF NOT EXISTS coedit_attribution (id bigserial PRIMARY KEY, name text NOT NULL, client bigint NOT NULL, clock_start bigint NOT NULL, clock_end bigint NOT NULL, author text, at bigint NOT NULL)',
  'CREATE INDEX IF NOT EXISTS coedit_attribution_name ON coedit_attribution (name, id)',
  'CREATE TABLE IF NOT EXISTS coedit_versions (id bigserial PRIMARY KEY, name text NOT NULL, at bigint NOT NULL, label text, authors text NOT NULL, length integer NOT NULL, text text NOT NULL)',
  'CREATE INDEX IF NOT EXISTS coedit_versions_name ON coedit_versions (name, id)',
]

type Transaction = <T>(isolation: 'READ COMMITTED' | 'REPEATABLE READ', work: (client: pg.PoolClient) => Promise<T>) => Promise<T>

interface VersionRow {
  id: string
  at: string
  label: string | null
  authors: string
  length: number
}

function versionFromRow(row: VersionRow): VersionRecord {
  return { id: Number(row.id), at: Number(row.at), name: row.label, authors: JSON.parse(row.authors) as string[], length: row.length }
}

interface LogRow {
  data: Buffer
  author: string | null
  at: string | null
}

const asLogRows = (rows: LogRow[]) => rows.map((row) => ({ data: new Uint8Array(row.data), author: row.author, at: row.at === null ? null : Number(row.at) }))

/**
 * History in PostgreSQL, shared by the servers of a cluster. Each server cuts versions for the
 * edits its own sessions made, so after a pause two servers may cut the same text at once: the
 * second then adds its authors to the first's version instead of making another.
 */
export class PostgresHistory {
  constructor(
    private readonly pool: pg.Pool,
    private readonly transaction: Transaction,
  ) {}

  /** Runs the log rows about to be deleted by compaction into attribution runs (inside its transaction). */
  async fold(client: pg.PoolClient, name: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return
    const rows = await client.query<LogRow>('SELECT data, author, at FROM coedit_updates WHERE id = ANY($1::bigint[]) ORDER BY id', [ids])
    const runs = foldRuns(asLogRows(rows.rows))
    if (runs.length === 0) return
    await client.query(
      'INSERT INTO coedit_attribution (name, client, clock_start, clock_end, author, at) SELECT $1, unnest($2::bigint[]), unnest($3::bigint[]), unnest($4::bigint[]), unnest($5::text[]), unnest($6::bigint[])',
      [name, runs.map((r) => r.client), runs.map((r) => r.start), runs.map((r) => r.end), runs.map((r) => r.author), runs.map((r) => r.at)],
    )
  }

  async remove(client: pg.PoolClient, name: string): Promise<void> {
    await client.query('DELETE FROM coedit_attribution WHERE name = $1', [name])
    await client.query('DELETE FROM coedit_versions WHERE name = $1', [name])
  }

  addVersion(name: string, version: NewVersion): Promise<VersionRecord> {
    return this.transaction('READ COMMITTED', async (client) => {
      await client.query("SELECT pg_advisory_xact_lock(hashtext('coedit-version:' || $1))", [name])
      const latest = await client.query<VersionRow & { text: string }>(
        'SELECT id, at, label, authors, length, text FROM coedit_versions WHERE name = $1 ORDER BY id DESC LIMIT 1',
        [name],
      )
      const last = latest.rows[0]
      if (last && version.name === null && last.label === null && last.text === version.text) {
        const authors = distinctAuthors([...(JSON.parse(last.authors) as string[]), ...version.authors])
        await client.query('UPDATE coedit_versions SET authors = $2 WHERE id = $1', [last.id, JSON.stringify(authors)])
        return { ...versionFromRow(last), authors }
      }
      const inserted = await client.query<{ id: string }>(
        'INSERT INTO coedit_versions (name, at, label, authors, length, text) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
        [name, version.at, version.name, JSON.stringify(version.authors), version.text.length, version.text],
      )
      return { id: Number(inserted.rows[0]!.id), at: version.at, name: version.name, authors: version.authors, length: version.text.length }
    })
  }

  async versions(name: string, { limit, before = Number.MAX_SAFE_INTEGER }: VersionPage): Promise<VersionRecord[]> {
    const result = await this.pool.query<VersionRow>(
      'SELECT id, at, label, authors, length FROM coedit_versions WHERE name = $1 AND id < $2 ORDER BY id DESC LIMIT $3',
      [name, before, limit],
    )
    return result.rows.map(versionFromRow)
  }

  async versionText(name: string, id: number): Promise<{ version: VersionRecord; text: string } | null> {
    const result = await this.pool.query<VersionRow & { text: string }>(
      'SELECT id, at, label, authors, length, text FROM coedit_versions WHERE name = $1 AND id = $2',
      [name, id],
    )
    const row = result.rows[0]
    return row ? { version: versionFromRow(row), text: row.text } : null
  }

  attribution(name: string): Promise<AttributionRun[]> {
    // One snapshot: a compaction between the two reads cannot move rows from one to the other unseen.
    return this.transaction('REPEATABLE READ', async (client) => {
      const folded = await client.query<{ client: string; clock_start: string; clock_end: string; author: string | null; at: string }>(
        'SELECT client, clock_start, clock_end, author, at FROM coedit_attribution WHERE name = $1 ORDER BY id',
        [name],
      )
      const logged = await client.query<LogRow>('SELECT data, author, at FROM coedit_updates WHERE name = $1 ORDER BY id', [name])
      const runs: AttributionRun[] = folded.rows.map((r) => ({
        client: Number(r.client),
        start: Number(r.clock_start),
        end: Number(r.clock_end),
        author: r.author,
        at: Number(r.at),
      }))
      return foldRuns(asLogRows(logged.rows), runs)
    })
  }

  async authorsSince(name: string, at: number): Promise<string[]> {
    const result = await this.pool.query<{ author: string | null }>(
      'SELECT DISTINCT author FROM coedit_updates WHERE name = $1 AND at >= $2 UNION SELECT DISTINCT author FROM coedit_attribution WHERE name = $1 AND at >= $2',
      [name, at],
    )
    return distinctAuthors(result.rows.map((row) => row.author))
  }

  async thinVersions(name: string, before: number): Promise<number> {
    const result = await this.pool.query<{ id: string; at: string; label: string | null }>(
      'SELECT id, at, label FROM coedit_versions WHERE name = $1 AND label IS NULL AND at < $2',
      [name, before],
    )
    const doomed = versionsToThin(
      result.rows.map((r) => ({ id: Number(r.id), at: Number(r.at), name: r.label })),
      before,
    )
    if (doomed.length > 0) await this.pool.query('DELETE FROM coedit_versions WHERE id = ANY($1::bigint[])', [doomed])
    return doomed.length
  }
}
