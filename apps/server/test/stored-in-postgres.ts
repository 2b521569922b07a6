import * as Y from 'yjs'
import pg from 'pg'

/** Runs `work` on a fresh connection to the test's PostgreSQL, closed after. */
async function withDatabase<T>(url: string, work: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: url })
  await db.connect()
  try {
    return await work(db)
  } finally {
    await db.end()
  }
}

/** A document's text as PostgreSQL holds it (snapshot and log), read without any server. */
export function storedText(url: string, room: string): Promise<string> {
  return withDatabase(url, async (db) => {
    const doc = new Y.Doc()
    const snapshot = await db.query<{ snapshot: Buffer }>('SELECT snapshot FROM coedit_documents WHERE name = $1', [room])
    const log = await db.query<{ data: Buffer }>('SELECT data FROM coedit_updates WHERE name = $1 ORDER BY id', [room])
    for (const row of [...snapshot.rows.map((r) => r.snapshot), ...log.rows.map((r) => r.data)]) Y.applyUpdate(doc, new Uint8Array(row))
    const text = doc.getText('text').toString()
    doc.destroy()
    return text
  })
}

/** Rows of a document's update log not yet folded into its snapshot. */
export function logRows(url: string, room: string): Promise<number> {
  return withDatabase(url, async (db) => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM coedit_updates WHERE name = $1', [room])).rows[0]!.n))
}
