import type Database from 'better-sqlite3'
import type * as Fs from 'node:fs'
import { createRequire } from 'node:module'
import type * as Os from 'node:os'
import { Worker } from 'node:worker_threads'
import type * as WorkerThreads from 'node:worker_threads'

/** How often the background thread looks at the WAL. */
export const CHECKPOINT_POLL_MS = 100
/**
 * It checkpoints once this many WAL pages wait to be copied (SQLite's own cadence). Not sooner:
 * after a checkpoint the next commit starts the WAL over and syncs its header on the writing
 * thread, so checkpointing a small WAL often would put that sync in front of many edits.
 */
export const CHECKPOINT_AFTER_PAGES = 1_000
/**
 * While the thread runs, the writing connection checkpoints on its own only past this many WAL
 * pages (a safety net: the thread is meant to keep the WAL far below it). Without the thread,
 * SQLite's default of 1,000 pages applies again.
 */
const FALLBACK_AUTOCHECKPOINT_PAGES = 25_000
const DEFAULT_AUTOCHECKPOINT_PAGES = 1_000
/** How long close() waits for the thread to close its connection (it may be in a checkpoint). */
const STOP_WAIT_MS = 5_000

export interface CheckpointProgress {
  /** The thread has its connection open and is looking at the WAL. */
  readonly running: boolean
  /** Checkpoints that copied anything. */
  readonly checkpoints: number
  /** WAL pages copied into the database file, in all. */
  readonly frames: number
}

interface WorkerSettings {
  readonly driver: string
  readonly file: string
  readonly pollMs: number
  readonly afterPages: number
  /** One Int32 the thread sets to 1 once its connection is closed. */
  readonly closed: SharedArrayBuffer
}

type WorkerMessage =
  { readonly kind: 'running' } | { readonly kind: 'checkpointed'; readonly frames: number } | { readonly kind: 'failed'; readonly message: string }

/**
 * Runs in the thread, from its source text: it may use nothing from this module's scope.
 *
 * How many pages wait is read from the wal-index (the `-shm` file SQLite maps into every
 * connection; sqlite.org/walformat.html): the header's mxFrame (offset 16) less the checkpoint
 * info's nBackfill (offset 96), in the machine's byte order. A PASSIVE checkpoint never waits
 * for the writer nor blocks it (WAL lets one writer append while committed pages are copied).
 */
/* eslint-disable @typescript-eslint/no-require-imports -- an eval'd thread has require() and no module scope to import into */
function checkpointLoop(): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof WorkerThreads
  const { closeSync, openSync, readSync } = require('node:fs') as typeof Fs
  const { endianness } = require('node:os') as typeof Os
  const settings = workerData as WorkerSettings
  const markClosed = () => {
    const closed = new Int32Array(settings.closed)
    Atomics.store(closed, 0, 1)
    Atomics.notify(closed, 0)
  }
  // Never creates the file: started late, after the store closed and its directory was cleared, it must not put one back.
  let db: Database.Database | undefined
  let index: number
  try {
    const Driver = require(settings.driver) as typeof Database
    db = new Driver(settings.file, { fileMustExist: true })
    index = openSync(`${settings.file}-shm`, 'r')
  } catch (error) {
    db?.close()
    markClosed()
    throw error
  }
  parentPort?.postMessage({ kind: 'running' })
  const header = Buffer.alloc(100)
  const read = endianness() === 'LE' ? (at: number) => header.readUInt32LE(at) : (at: number) => header.readUInt32BE(at)
  const timer = setInterval(() => {
    try {
      if (readSync(index, header, 0, header.length, 0) < header.length) return
      if (read(16) - read(96) < settings.afterPages) return
      const [result] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ checkpointed: number }>
      parentPort?.postMessage({ kind: 'checkpointed', frames: result?.checkpointed ?? 0 })
    } catch (error) {
      parentPort?.postMessage({ kind: 'failed', message: error instanceof Error ? error.message : String(error) })
    }
  }, settings.pollMs)
  parentPort?.on('message', () => {
    clearInterval(timer)
    try {
      db.close()
    } finally {
      closeSync(index)
      markClosed()
      parentPort.close()
    }
  })
}
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Moves SQLite's WAL checkpoints off the event loop. A checkpoint copies every page written
 * since the last into the database file and syncs it; run by the committing statement (SQLite's
 * default, every 1,000 pages) it stalled the server for 4–7 ms about twice a second under many
 * busy rooms, the largest part of the edits' lag p99. Here a thread with its own connection
 * does it at the same cadence; if the thread cannot run, the connection goes back to
 * checkpointing itself.
 */
export class SqliteCheckpointer {
  private worker: Worker | null
  private readonly closed = new SharedArrayBuffer(4)
  private exited = false
  private running = false
  /** No more checkpoints here: stopped, or handed back to the writer. */
  private stopped = false
  /** The thread was told to close its connection. */
  private told = false
  private markEnded!: () => void
  /** Settles when the thread has ended (stopped, failed or never started). */
  readonly ended = new Promise<void>((resolve) => (this.markEnded = resolve))
  private checkpoints = 0
  private frames = 0

  constructor(
    private readonly db: Database.Database,
    file: string,
    private readonly onFailure: (message: string) => void,
    afterPages = CHECKPOINT_AFTER_PAGES,
  ) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3')
    const settings: WorkerSettings = { driver, file, pollMs: CHECKPOINT_POLL_MS, afterPages, closed: this.closed }
    db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`)
    this.worker = new Worker(`(${checkpointLoop.toString()})()`, { eval: true, workerData: settings })
    this.worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'running') {
        this.running = !this.stopped
      } else if (message.kind === 'checkpointed') {
        if (message.frames === 0) return
        this.checkpoints++
        this.frames += message.frames
      } else {
        // Once, not on every look at the WAL: the writer takes the checkpoints over.
        this.fallBack(`background checkpoint failed: ${message.message}`)
      }
    })
    this.worker.on('error', (error) => this.fallBack(`background checkpoint thread failed: ${error.message}`))
    this.worker.on('exit', (code) => {
      this.exited = true
      this.markEnded()
      if (!this.stopped) this.fallBack(`background checkpoint thread exited (code ${code})`)
    })
    // After the listeners: adding a 'message' listener refs the thread's port again.
    this.worker.unref()
  }

  get progress(): CheckpointProgress {
    return { running: this.running, checkpoints: this.checkpoints, frames: this.frames }
  }

  /**
   * Stops the thread and returns once its connection is closed, so the writer's connection,
   * closed next, is the last: it checkpoints what is left and removes the WAL before the caller
   * goes on (to delete the directory, or open the file again).
   */
  stop(): void {
    this.stopped = true
    this.running = false
    const worker = this.worker
    this.worker = null
    if (!worker || this.exited) return
    this.tellToClose(worker)
    // Blocks this thread only: the worker runs its own event loop, and closes between two looks at the WAL.
    if (Atomics.wait(new Int32Array(this.closed), 0, 0, STOP_WAIT_MS) === 'timed-out') void worker.terminate()
  }

  private tellToClose(worker: Worker): void {
    if (this.told) return
    this.told = true
    worker.postMessage('stop')
  }

  /** The thread stays referenced: stop() still waits for its connection to close. */
  private fallBack(message: string): void {
    if (this.stopped) return
    this.stopped = true
    this.running = false
    if (this.worker) this.tellToClose(this.worker)
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`)
    this.onFailure(`${message}; checkpointing on the writing connection again`)
  }
}
