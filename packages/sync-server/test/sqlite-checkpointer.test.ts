import { afterEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, unlinkSync } from 'node:fs'
import { endianness } from 'node:os'
import Database from 'better-sqlite3'
import { SqliteStorage } from '../src/sqlite.js'
import { CHECKPOINT_AFTER_PAGES, SqliteCheckpointer } from '../src/storage/sqlite-checkpointer.js'
import { tempDir, waitFor } from '@coedit/test-utils'

const dirs: Array<{ remove(): void }> = []
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove()
})

/** A database path in a directory of its own, removed after the test. */
function freshFile(name = 'coedit.db'): { dir: string; file: string } {
  const dir = tempDir()
  dirs.push(dir)
  return { dir: dir.path, file: join(dir.path, name) }
}

/** WAL pages not yet copied into the database file: mxFrame less nBackfill in the wal-index (sqlite.org/walformat.html). */
function pagesWaiting(file: string): number {
  const header = readFileSync(`${file}-shm`).subarray(0, 100)
  const read = endianness() === 'LE' ? (at: number) => header.readUInt32LE(at) : (at: number) => header.readUInt32BE(at)
  return read(16) - read(96)
}

describe('SQLite checkpoints', () => {
  it('run on a thread of their own once the WAL holds enough pages, and lose nothing', async () => {
    const { file } = freshFile()
    const warnings: string[] = []
    const storage = new SqliteStorage({ file, onWarning: (message) => warnings.push(message) })
    const written = new Map<string, number>()
    // 8 KB updates: each commit writes a few pages, so the WAL passes the threshold quickly.
    const commits = Math.ceil(CHECKPOINT_AFTER_PAGES / 2)
    for (let i = 0; i < commits; i++) {
      const name = `doc-${i % 5}`
      storage.append(name, [randomBytes(8_192)])
      written.set(name, (written.get(name) ?? 0) + 1)
    }
    await waitFor('a background checkpoint', () => (storage.checkpointProgress?.checkpoints ?? 0) >= 1, { timeoutMs: 10_000 })
    expect(storage.checkpointProgress!.frames).toBeGreaterThanOrEqual(CHECKPOINT_AFTER_PAGES)
    // The appending connection left it to the thread: what the WAL still holds is below the threshold.
    expect(pagesWaiting(file)).toBeLessThan(CHECKPOINT_AFTER_PAGES)
    storage.close()

    const reopened = new SqliteStorage({ file, backgroundCheckpoints: false })
    for (const [name, count] of written) expect(reopened.load(name).logCount).toBe(count)
    reopened.close()
    expect(warnings).toEqual([])
  })

  it('a WAL below the threshold is left alone (the next commit would sync a new WAL header on the writer)', async () => {
    const { file } = freshFile()
    const storage = new SqliteStorage({ file })
    for (let i = 0; i < 20; i++) storage.append('doc', [randomBytes(100)])
    const waiting = pagesWaiting(file)
    expect(waiting).toBeGreaterThan(0)
    // Nothing to wait for: this checks that nothing happens over several of the thread's looks.
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(storage.checkpointProgress).toMatchObject({ checkpoints: 0, frames: 0 })
    expect(pagesWaiting(file)).toBe(waiting)
    storage.close()
  })

  it('close() returns once the thread has closed its connection: the writer closes last and removes the WAL', async () => {
    const { dir, file } = freshFile()
    const storage = new SqliteStorage({ file })
    await waitFor('the thread to open its connection', () => storage.checkpointProgress?.running === true, { timeoutMs: 10_000 })
    for (let i = 0; i < 20; i++) storage.append(`doc-${i % 3}`, [randomBytes(1_000)])
    expect(existsSync(`${file}-wal`)).toBe(true)
    storage.close()
    expect(storage.checkpointProgress?.running).toBe(false)
    // Had the thread still held the file, the WAL would stay until it closed, under a caller deleting the directory.
    expect(readdirSync(dir)).toEqual(['coedit.db'])
    const reopened = new SqliteStorage({ file, backgroundCheckpoints: false })
    expect(reopened.load('doc-0').logCount).toBe(7)
    reopened.close()
  })

  it('stopped before the thread has started, it never opens the file afterwards (nor makes a new one where it was deleted)', async () => {
    const { dir, file } = freshFile()
    const db = new Database(file)
    db.pragma('journal_mode = WAL')
    const checkpointer = new SqliteCheckpointer(db, file, () => {})
    checkpointer.stop()
    db.close()
    unlinkSync(file)
    await checkpointer.ended
    expect(readdirSync(dir)).toEqual([])
  })

  it('when the thread cannot run, says so and the connection checkpoints on its own again', async () => {
    const { file } = freshFile('plain.db')
    // A rollback-journal database has no wal-index for the thread to read.
    const db = new Database(file)
    db.pragma('wal_autocheckpoint = 1000')
    const failures: string[] = []
    const checkpointer = new SqliteCheckpointer(db, file, (message) => failures.push(message))
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBeGreaterThan(1_000)
    await waitFor('the failure to be reported', () => failures.length > 0, { timeoutMs: 10_000 })
    expect(failures[0]).toMatch(/background checkpoint thread (failed|exited).*checkpointing on the writing connection again/)
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1_000)
    checkpointer.stop()
    db.close()
  })
})
