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

export interface CheckpointProgress {
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
}

type WorkerMessage = { readonly kind: 'checkpointed'; readonly frames: number } | { readonly kind: 'failed'; readonly message: string }

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
  const { openSync, readSync } = require('node:fs') as typeof Fs
  const { endianness } = require('node:os') as typeof Os
  const settings = workerData as WorkerSettings
  const Driver = require(settings.driver) as typeof Database
  const db = new Driver(settings.file)
  const index = openSync(`${settings.file}-shm`, 'r')
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
    db.close()
    parentPort.close()
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
  private stopped = false
  private checkpoints = 0
  private frames = 0

  constructor(
    private readonly db: Database.Database,
    file: string,
    private readonly onFailure: (message: string) => void,
    afterPages = CHECKPOINT_AFTER_PAGES,
  ) {
    const settings: WorkerSettings = { driver: createRequire(import.meta.url).resolve('better-sqlite3'), file, pollMs: CHECKPOINT_POLL_MS, afterPages }
    db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`)
    this.worker = new Worker(`(${checkpointLoop.toString()})()`, { eval: true, workerData: settings })
    this.worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'checkpointed') {
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
      if (!this.stopped) this.fallBack(`background checkpoint thread exited (code ${code})`)
    })
    // After the listeners: adding a 'message' listener refs the thread's port again.
    this.worker.unref()
  }

  get progress(): CheckpointProgress {
    return { checkpoints: this.checkpoints, frames: this.frames }
  }

  /** Stops the thread; its connection closes in it (the last to close checkpoints what is left). */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    this.worker?.postMessage('stop')
    this.worker = null
  }

  private fallBack(message: string): void {
    if (this.stopped) return
    this.stopped = true
    this.worker?.postMessage('stop')
    this.worker = null
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`)
    this.onFailure(`${message}; checkpointing on the writing connection again`)
  }
}
