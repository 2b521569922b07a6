import { afterEach, describe, expect, it } from 'vitest'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as Y from 'yjs'
import Database from 'better-sqlite3'
import { SqliteStorage } from '../src/sqlite.js'
import { FOLD_AFTER_ROWS, FOLD_STEP_ROWS, MAX_STAGED_ROWS } from '../src/storage/sqlite-journal.js'
import { readRows } from '../src/storage/write-ahead-file.js'
import { tempDir, waitFor } from '@coedit/test-utils'

const dirs: Array<{ path: string; remove(): void }> = []
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove()
})

function databaseFile(): string {
  const dir = tempDir()
  dirs.push(dir)
  return join(dir.path, 'coedit.db')
}

function textOf(updates: readonly Uint8Array[]): string {
  const doc = new Y.Doc()
  for (const u of updates) Y.applyUpdate(doc, u)
  return doc.getText('t').toString()
}

/** The updates of typing `words` one after the other into one text. */
function typed(...words: string[]): Uint8Array[] {
  const doc = new Y.Doc()
  const updates: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => updates.push(u))
  for (const word of words) doc.getText('t').insert(doc.getText('t').length, word)
  return updates
}

const stagedBytes = (file: string): number => (existsSync(`${file}-staged`) ? statSync(`${file}-staged`).size : -1)

describe('SqliteStorage with a write-ahead file', () => {
  it('appends to the file, folds it in steps off the append, and every reader sees what is still in it', async () => {
    const file = databaseFile()
    const storage = new SqliteStorage({ file, writeAhead: true })
    const docs = new Map<string, Y.Doc>()
    for (let i = 0; i < FOLD_AFTER_ROWS; i++) {
      const name = `room-${i % 7}`
      let doc = docs.get(name)
      if (!doc) docs.set(name, (doc = new Y.Doc()))
      let update: Uint8Array | null = null
      doc.once('update', (u: Uint8Array) => (update = u))
      doc.getText('t').insert(doc.getText('t').length, 'x')
      storage.appendBatch([{ name, updates: [update!], meta: { at: Date.now(), authors: [`author ${i % 3}`] } }])
    }
    const full = stagedBytes(file)
    expect(full).toBeGreaterThan(FOLD_AFTER_ROWS * 20)
    // A step folds part of it; the file is emptied only once all of it is in the database.
    await new Promise((resolve) => setImmediate(resolve))
    expect(stagedBytes(file)).toBe(full)
    await waitFor('the file to be folded and emptied', () => stagedBytes(file) === 0, { timeoutMs: 10_000 })
    for (const [name, doc] of docs) expect(textOf(storage.load(name).updates)).toBe(doc.getText('t').toString())

    // What is still only in the file: readers fold it first.
    const [one, two] = typed('alpha ', 'beta')
    storage.appendBatch([{ name: 'fresh', updates: [one!, two!], meta: { at: Date.now(), authors: ['Ann', 'Bo'] } }])
    expect(stagedBytes(file)).toBeGreaterThan(0)
    expect(storage.list({ limit: 100 }).map((d) => d.name)).toContain('fresh')
    expect(storage.attribution('fresh').map((run) => run.author)).toEqual(['Ann', 'Bo'])
    expect(textOf(storage.load('fresh').updates)).toBe('alpha beta')
    expect(storage.load('room-0').logCount).toBe(Math.ceil(FOLD_AFTER_ROWS / 7))
    expect(FOLD_STEP_ROWS).toBeLessThan(FOLD_AFTER_ROWS)
    storage.close()
    // Closed with nothing left in it, the file is gone.
    expect(stagedBytes(file)).toBe(-1)
  })

  it('after a crash, the next opening puts back what the file holds, once, up to a torn record', () => {
    const first = databaseFile()
    const updates = typed('alpha ', 'beta ', 'gamma')
    const storage = new SqliteStorage({ file: first, writeAhead: true })
    storage.appendBatch([
      { name: 'a', updates: updates.slice(0, 2), meta: { at: 1_000, authors: ['Ann', 'Ann'] } },
      { name: 'b', updates: [updates[0]!], meta: { at: 1_000, authors: [null] } },
    ])
    storage.append('a', [updates[2]!], { at: 2_000, authors: ['Bo'] })
    // The file as a process killed here leaves it.
    const left = readFileSync(`${first}-staged`)
    expect(readRows(left).rows.map((row) => [row.doc, row.seq, row.author])).toEqual([
      ['a', 1, 'Ann'],
      ['a', 2, 'Ann'],
      ['b', 1, null],
      ['a', 3, 'Bo'],
    ])
    storage.close()

    // Into a database that never saw them, with half a record after them.
    const second = databaseFile()
    writeFileSync(`${second}-staged`, Buffer.concat([left, left.subarray(0, 11)]))
    const recovered = new SqliteStorage({ file: second, writeAhead: true })
    expect(stagedBytes(second)).toBe(0)
    expect(recovered.load('a')).toMatchObject({ logCount: 3 })
    expect(textOf(recovered.load('a').updates)).toBe('alpha beta gamma')
    expect(textOf(recovered.load('b').updates)).toBe('alpha ')
    expect(recovered.attribution('a').map((run) => run.author)).toEqual(['Ann', 'Bo'])
    recovered.close()

    // Into the database that already folded them (a crash after a fold step): nothing twice.
    writeFileSync(`${first}-staged`, left)
    const again = new SqliteStorage({ file: first, writeAhead: true })
    expect(again.load('a')).toMatchObject({ logCount: 3 })
    expect(again.load('b')).toMatchObject({ logCount: 1 })
    // Numbering goes on from there.
    again.append('b', [updates[1]!])
    expect(textOf(again.load('b').updates)).toBe('alpha beta ')
    again.close()
  })

  it('reads records up to the first that does not check', () => {
    const file = databaseFile()
    const storage = new SqliteStorage({ file, writeAhead: true })
    storage.append('a', typed('one ', 'two ', 'three'))
    const bytes = new Uint8Array(readFileSync(`${file}-staged`))
    storage.close()
    const whole = readRows(bytes)
    expect(whole.rows).toHaveLength(3)
    expect(whole.validBytes).toBe(bytes.length)
    // A byte changed in the second record's body: the first is kept, nothing after it.
    const firstLength = new DataView(bytes.buffer).getUint32(0, true)
    bytes[8 + firstLength + 8 + 2]! ^= 0xff
    expect(readRows(bytes).rows.map((row) => row.seq)).toEqual([1])
  })

  it('keeps a second server off the same file with a clear message, and lets other processes open the database', () => {
    const file = databaseFile()
    const server = new SqliteStorage({ file, writeAhead: true })
    server.append('a', typed('kept'))
    expect(() => new SqliteStorage({ file, writeAhead: true })).toThrow(/another Coedit server has this data directory open/)
    // What `coedit token revoke` does beside a running server.
    const command = new SqliteStorage({ file })
    command.addRevocation({ kind: 'token', id: 'x', expiresAt: Date.now() + 60_000 })
    command.close()
    expect(server.revocationsAfter(0).map((r) => r.revocation)).toMatchObject([{ kind: 'token', id: 'x' }])
    expect(textOf(server.load('a').updates)).toBe('kept')
    server.close()
    const next = new SqliteStorage({ file, writeAhead: true })
    expect(textOf(next.load('a').updates)).toBe('kept')
    next.close()
  })

  it('holds appends up to a bound while the database refuses them, then fails them with the reason; nothing held is lost', async () => {
    const file = databaseFile()
    const storage = new SqliteStorage({ file, writeAhead: true })
    const doc = new Y.Doc()
    const updates: Uint8Array[] = []
    doc.on('update', (u: Uint8Array) => updates.push(u))
    doc.getText('t').insert(0, 'x')
    storage.append('held', [updates[0]!])
    // Another connection takes the journal away: every fold fails from here on.
    const other = new Database(file)
    other.exec('ALTER TABLE journal RENAME TO journal_away')
    let refused: Error | null = null
    for (let i = 1; i < MAX_STAGED_ROWS + 10 && refused === null; i++) {
      doc.getText('t').insert(0, 'x')
      try {
        storage.append('held', [updates[updates.length - 1]!])
      } catch (error) {
        refused = error as Error
      }
      if (i % 1_000 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    expect(refused?.message).toMatch(/updates are waiting for the database, which does not take them: .*journal/)
    // The database comes back: everything the file took is folded and loads.
    other.exec('ALTER TABLE journal_away RENAME TO journal')
    other.close()
    const loaded = storage.load('held')
    expect(loaded.logCount).toBe(MAX_STAGED_ROWS)
    expect(textOf(loaded.updates)).toBe('x'.repeat(MAX_STAGED_ROWS))
    storage.close()
  })
})
