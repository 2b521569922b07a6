import { afterEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import * as Y from 'yjs'
import Database from 'better-sqlite3'
import { SqliteStorage } from '../src/sqlite.js'
import { FOLD_AFTER_ROWS, FOLD_STEP_ROWS } from '../src/storage/sqlite-journal.js'
import { tempDir } from '@coedit/test-utils'

const dirs: Array<{ remove(): void }> = []
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove()
})

/** A database file in a fresh directory, removed after the test. */
function freshFile(name = 'coedit.db'): string {
  const dir = tempDir()
  dirs.push(dir)
  return join(dir.path, name)
}

/** A second, read-only connection that counts rows as the store's own connection leaves them. */
function rowCounter(file: string): { count(table: string): number; close(): void } {
  const peek = new Database(file, { readonly: true })
  return { count: (table) => peek.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${table}`).get()!.n, close: () => peek.close() }
}

/** Lets the event loop turn until the journal is empty; returns the log's row count after each turn. */
async function logAfterEachTurn(rows: { count(table: string): number }): Promise<number[]> {
  const logged: number[] = []
  const deadline = Date.now() + 10_000
  while (rows.count('journal') > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setImmediate(resolve))
    logged.push(rows.count('log'))
  }
  return logged
}

/** How much the log grew in each turn that moved anything. */
function gainsOf(logged: readonly number[]): number[] {
  return logged.map((n, i) => n - (logged[i - 1] ?? 0)).filter((gain) => gain > 0)
}

/** The updates of typing these pieces one after another into a fresh document's text 't'. */
function typed(pieces: readonly string[]): Uint8Array[] {
  const doc = new Y.Doc()
  const updates: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => updates.push(u))
  for (const piece of pieces) doc.getText('t').insert(doc.getText('t').length, piece)
  return updates
}

function textOf(updates: readonly Uint8Array[]): string {
  const doc = new Y.Doc()
  for (const u of updates) Y.applyUpdate(doc, u)
  return doc.getText('t').toString()
}

describe('SqliteStorage', () => {
  it('appends, reloads after reopening, and compacts into one snapshot', () => {
    const dir = tempDir()
    dirs.push(dir)
    const file = join(dir.path, 'nested', 'coedit.db')
    const doc = new Y.Doc()
    const updates: Uint8Array[] = []
    doc.on('update', (u: Uint8Array) => updates.push(u))
    const text = doc.getText('t')
    for (const word of ['one ', 'two ', 'three']) text.insert(text.length, word)

    const first = new SqliteStorage({ file })
    first.append('doc', updates.slice(0, 2))
    first.append('doc', updates.slice(2))
    first.append('other', [updates[0]!])
    first.close()

    const second = new SqliteStorage({ file })
    const loaded = second.load('doc')
    expect(loaded.logCount).toBe(3)
    expect(loaded.logBytes).toBe(updates.reduce((n, u) => n + u.byteLength, 0))
    expect(textOf(loaded.updates)).toBe('one two three')

    second.compact('doc', Y.encodeStateAsUpdate(doc))
    text.insert(0, '0 ')
    second.append('doc', [updates[updates.length - 1]!])
    const compacted = second.load('doc')
    expect(compacted.logCount).toBe(1)
    expect(compacted.updates).toHaveLength(2)
    expect(textOf(compacted.updates)).toBe('0 one two three')
    expect(textOf(second.load('other').updates)).toBe('one ')
    expect(second.load('missing')).toEqual({ updates: [], logCount: 0, logBytes: 0 })
    second.close()
  })

  it('reports an unusable database through check()', () => {
    const dir = tempDir()
    dirs.push(dir)
    const storage = new SqliteStorage({ file: join(dir.path, 'coedit.db'), fsync: true })
    expect(() => storage.check()).not.toThrow()
    storage.close()
    expect(() => storage.check()).toThrow()
  })

  it('appends through the journal: one commit holds several documents, every reader sees it, a crash leaves nothing behind', () => {
    const dir = tempDir()
    dirs.push(dir)
    const file = join(dir.path, 'coedit.db')
    const doc = new Y.Doc()
    const updates: Uint8Array[] = []
    doc.on('update', (u: Uint8Array) => updates.push(u))
    const text = doc.getText('t')
    for (const word of ['alpha ', 'beta ', 'gamma']) text.insert(text.length, word)

    const storage = new SqliteStorage({ file })
    const at = Date.now()
    storage.appendBatch([
      { name: 'a', updates: updates.slice(0, 2), meta: { at, authors: ['Ann', 'Ann'] } },
      { name: 'b', updates: [updates[0]!], meta: { at, authors: [null] } },
    ])
    // Readers of the catalogue, the log and authorship see what is still in the journal.
    expect(storage.list({ limit: 10 }).map((d) => d.name)).toEqual(['a', 'b'])
    expect(storage.describe('a')?.updatedAt).toBe(storage.describe('a')?.createdAt)
    expect(storage.create('a', at)).toBe(false)
    expect(storage.authorsSince('a', at)).toEqual(['Ann'])
    expect(textOf(storage.load('a').updates)).toBe('alpha beta ')
    // Sequence numbers go on after a fold: the last update lands after the first two.
    storage.append('a', [updates[2]!], { at, authors: ['Bo'] })
    storage.appendBatch([{ name: 'b', updates: [updates[1]!, updates[2]!] }])
    // A process that dies here never folds: the rows stay in the journal, and whoever opens
    // the file next folds them before anything reads the log.
    const reopened = new SqliteStorage({ file })
    const a = reopened.load('a')
    expect(textOf(a.updates)).toBe('alpha beta gamma')
    expect(a.logCount).toBe(3)
    expect(textOf(reopened.load('b').updates)).toBe('alpha beta gamma')
    expect(reopened.attribution('a').map((run) => run.author)).toEqual(['Ann', 'Bo'])
    reopened.compact('a', Y.encodeStateAsUpdate(doc))
    expect(reopened.load('a')).toMatchObject({ logCount: 0 })
    reopened.append('a', [updates[2]!])
    expect(reopened.load('a')).toMatchObject({ logCount: 1 })
    reopened.remove('b', Date.now())
    expect(reopened.load('b').updates).toHaveLength(0)
    reopened.close()
    storage.close()
  })

  it('folds a full journal into the log in small steps off the append, document by document, and loses nothing', async () => {
    const file = freshFile()
    const storage = new SqliteStorage({ file, backgroundCheckpoints: false })
    const rows = rowCounter(file)
    const docs = new Map<string, Y.Doc>()
    for (let i = 0; i < FOLD_AFTER_ROWS; i++) {
      const name = `room-${i % 7}`
      let doc = docs.get(name)
      if (!doc) docs.set(name, (doc = new Y.Doc()))
      let update: Uint8Array | null = null
      doc.once('update', (u: Uint8Array) => (update = u))
      doc.getText('t').insert(doc.getText('t').length, 'x')
      storage.appendBatch([{ name, updates: [update!] }])
    }
    // The append that fills the journal does not fold it there and then…
    expect(rows.count('journal')).toBe(FOLD_AFTER_ROWS)
    expect(rows.count('log')).toBe(0)
    // …the next turns of the event loop do, a few documents at a time.
    const gains = gainsOf(await logAfterEachTurn(rows))
    expect(rows.count('journal')).toBe(0)
    expect(rows.count('log')).toBe(FOLD_AFTER_ROWS)
    // 7 documents of ~571 updates each: more than a step, so each goes in parts of its own.
    expect(Math.max(...gains)).toBeLessThanOrEqual(FOLD_STEP_ROWS)
    expect(gains).toHaveLength(7 * Math.ceil(Math.floor(FOLD_AFTER_ROWS / 7) / FOLD_STEP_ROWS))
    for (const [name, doc] of docs) expect(textOf(storage.load(name).updates)).toBe(doc.getText('t').toString())
    rows.close()
    storage.close()
  })

  it('many small documents share a fold step, and the log gains at most a step per turn', async () => {
    const file = freshFile()
    const storage = new SqliteStorage({ file, backgroundCheckpoints: false })
    const rows = rowCounter(file)
    const docs = 500
    for (let i = 0; i < FOLD_AFTER_ROWS; i++) storage.append(`room-${i % docs}`, [Uint8Array.of(i % 256)])
    const gains = gainsOf(await logAfterEachTurn(rows))
    expect(rows.count('log')).toBe(FOLD_AFTER_ROWS)
    expect(Math.max(...gains)).toBeLessThanOrEqual(FOLD_STEP_ROWS)
    // Whole documents per step: 8 updates each, so 12 documents (96 updates) fit in a step.
    expect(gains.length).toBe(Math.ceil(docs / Math.floor(FOLD_STEP_ROWS / (FOLD_AFTER_ROWS / docs))))
    expect(storage.load('room-3').logCount).toBe(FOLD_AFTER_ROWS / docs)
    rows.close()
    storage.close()
  })

  it('authors of edits still in the journal are found without folding it', () => {
    const file = freshFile()
    const storage = new SqliteStorage({ file, backgroundCheckpoints: false })
    const updates = typed(['a', 'b'])
    storage.append('doc', [updates[0]!], { at: 1_000, authors: ['Ann'] })
    storage.append('doc', [updates[1]!], { at: 2_000, authors: ['Bo'] })
    const rows = rowCounter(file)
    expect(storage.authorsSince('doc', 1_500)).toEqual(['Bo'])
    expect(storage.authorsSince('doc', 0).sort()).toEqual(['Ann', 'Bo'])
    expect(rows.count('journal')).toBe(2)
    rows.close()
    storage.close()
  })

  it('a fold cut short (rows already in the log, still in the journal) loads each update once, and is done again without duplicates', () => {
    const file = freshFile()
    const updates = typed(['one ', 'two ', 'three'])
    const first = new SqliteStorage({ file, backgroundCheckpoints: false })
    for (const update of updates) first.append('doc', [update])
    // What a step of a background fold does before a crash: some rows copied into the log,
    // the journal not cleared yet.
    const other = new Database(file)
    other.exec('INSERT INTO log (doc, seq, data, author, at) SELECT doc, seq, data, author, at FROM journal WHERE seq <= 2')
    const journalled = (): number => other.prepare<[], { n: number }>('SELECT count(*) AS n FROM journal').get()!.n
    // Loading reads the journal as it is (no fold), each update once though two are in both tables.
    const meanwhile = first.load('doc')
    expect(meanwhile.logCount).toBe(3)
    expect(meanwhile.updates).toHaveLength(3)
    expect(textOf(meanwhile.updates)).toBe('one two three')
    expect(journalled()).toBe(3)
    other.close()
    const second = new SqliteStorage({ file, backgroundCheckpoints: false })
    const loaded = second.load('doc')
    expect(loaded.logCount).toBe(3)
    expect(textOf(loaded.updates)).toBe('one two three')
    second.close()
    first.close()
  })
})
