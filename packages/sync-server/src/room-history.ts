import type { Logger } from 'pino'
import type { HistoryStore, VersionRecord } from './storage/history-store.js'
import { errorMessage } from './error-message.js'

export interface HistoryOptions {
  /** A version is cut once editing pauses this long... */
  readonly versionIdleMs: number
  /** ...or once editing has gone on this long without a pause. */
  readonly versionMaxMs: number
  /** Automatic versions older than this are thinned to the last of each day; null keeps all. */
  readonly retentionMs: number | null
  readonly clock?: () => number
}

export const DEFAULT_HISTORY_OPTIONS: HistoryOptions = { versionIdleMs: 30_000, versionMaxMs: 600_000, retentionMs: null }

/**
 * When a room's versions are cut, and who they name. Edits are attributed as they are stored
 * (the store keeps author and time with each update); this only decides the moments worth a
 * version and remembers who edited since the last one. One timer per editing room, re-armed
 * only when it fires, so a keystroke costs a Set lookup.
 */
export class RoomHistory {
  private readonly authors = new Set<string>()
  /** First edit since the last version, or null while nothing changed. */
  private dirtySince: number | null = null
  private lastEditAt = 0
  private timer: NodeJS.Timeout | null = null
  /** Whether edits stored before this load (a crash before their version) were looked for. */
  private resumed = false
  private chain: Promise<unknown> = Promise.resolve()
  private lastText: string | null = null
  private readonly clock: () => number

  constructor(
    private readonly name: string,
    private readonly store: HistoryStore,
    private readonly options: HistoryOptions,
    /** The live text; called only when a version is cut. */
    private readonly text: () => string,
    private readonly log: Logger,
  ) {
    this.clock = options.clock ?? Date.now
  }

  /** Updates by these authors were stored. */
  edited(authors: ReadonlyArray<string | null>): void {
    for (const author of authors) if (author) this.authors.add(author)
    const now = this.clock()
    this.lastEditAt = now
    if (this.dirtySince !== null) return
    this.dirtySince = now
    if (!this.resumed) this.resume()
    this.arm(this.options.versionIdleMs)
  }

  /** Cuts a version now: a named one, a restore, or the last one before the room leaves memory. */
  cut(name: string | null, extraAuthors: readonly string[] = []): Promise<VersionRecord | null> {
    if (name === null && this.dirtySince === null) return Promise.resolve(null)
    const text = this.text()
    for (const author of extraAuthors) this.authors.add(author)
    // A pause after typing that was undone is not a version.
    if (name === null && text === this.lastText) {
      this.reset()
      return Promise.resolve(null)
    }
    const version = { at: this.clock(), name, authors: [...this.authors], text }
    this.reset()
    this.lastText = text
    const added = this.chain.then(async () => {
      const record = await this.store.addVersion(this.name, version)
      if (this.options.retentionMs !== null) await this.store.thinVersions(this.name, version.at - this.options.retentionMs)
      return record
    })
    this.chain = added.catch((error: unknown) => this.log.error({ room: this.name, err: errorMessage(error) }, 'version could not be stored'))
    return added
  }

  /** Cuts what is pending (the room is leaving memory) and waits for it to be stored. */
  async flush(): Promise<void> {
    void this.cut(null).catch(() => {})
    await this.chain
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private reset(): void {
    this.authors.clear()
    this.dirtySince = null
    this.dispose()
  }

  private arm(delayMs: number): void {
    if (this.timer) return
    this.timer = setTimeout(() => this.due(), Math.max(0, delayMs))
    this.timer.unref()
  }

  private due(): void {
    this.timer = null
    if (this.dirtySince === null) return
    const dueAt = Math.min(this.lastEditAt + this.options.versionIdleMs, this.dirtySince + this.options.versionMaxMs)
    const now = this.clock()
    if (now < dueAt) this.arm(dueAt - now)
    else void this.cut(null).catch(() => {})
  }

  /**
   * After a restart (or kill -9) edits may be stored that no version covers yet: their authors
   * join the next version's, found from the stored attribution since the latest version.
   */
  private resume(): void {
    this.resumed = true
    this.chain = this.chain
      .then(async () => {
        const [latest] = await this.store.versions(this.name, { limit: 1 })
        if (latest) this.lastText = (await this.store.versionText(this.name, latest.id))?.text ?? null
        for (const author of await this.store.authorsSince(this.name, latest?.at ?? -1)) this.authors.add(author)
      })
      .catch((error: unknown) => this.log.error({ room: this.name, err: errorMessage(error) }, 'history could not be read'))
  }
}
