import * as Y from 'yjs'
import type { MaybePromise } from './document-storage.js'

/** Who made the updates of one append, and when: parallel to its updates. */
export interface AppendMeta {
  readonly at: number
  /** One per update: the verified token name, or the name the session shows (open mode), or null. */
  readonly authors: ReadonlyArray<string | null>
}

/** A run of one Yjs client's clock written by one person at about one time. */
export interface AttributionRun {
  readonly client: number
  /** Clock range [start, end): in a Y.Text one clock is one UTF-16 code unit. */
  readonly start: number
  readonly end: number
  readonly author: string | null
  readonly at: number
}

export interface VersionRecord {
  readonly id: number
  readonly at: number
  /** Given by a person (POST …/versions) or by a restore; null for one cut by a pause. */
  readonly name: string | null
  /** Who edited since the previous version. */
  readonly authors: readonly string[]
  readonly length: number
}

export interface NewVersion {
  readonly at: number
  readonly name: string | null
  readonly authors: readonly string[]
  readonly text: string
}

export interface VersionPage {
  readonly limit: number
  /** Only versions with a smaller id (the last id of the previous page). */
  readonly before?: number
}

/**
 * History kept beside a document: who wrote which clock ranges (the log's rows carry author and
 * time until compaction folds them into runs) and versions of the text. It never lives in the
 * live Y.Doc, which keeps garbage collection on and loads as fast as without history.
 */
export interface HistoryStore {
  addVersion(name: string, version: NewVersion): MaybePromise<VersionRecord>
  versions(name: string, page: VersionPage): MaybePromise<VersionRecord[]>
  /** The text of one version, or null when there is no such version. */
  versionText(name: string, id: number): MaybePromise<{ version: VersionRecord; text: string } | null>
  /** Every run, folded or still in the log, oldest first. */
  attribution(name: string): MaybePromise<AttributionRun[]>
  /** Authors of the updates stored at or after `at` (what a version cut after a crash covers; the same millisecond counts, to miss no one). */
  authorsSince(name: string, at: number): MaybePromise<string[]>
  /** Removes automatic versions older than `before`, keeping the last of each day; named ones stay. */
  thinVersions(name: string, before: number): MaybePromise<number>
}

export function isHistoryStore(value: unknown): value is HistoryStore {
  const candidate = value as Partial<HistoryStore> | null
  return typeof candidate?.addVersion === 'function' && typeof candidate.attribution === 'function'
}

/** Runs closer in time than this, of one client and author with adjacent clocks, fold into one. */
export const RUN_MERGE_MS = 60_000

/**
 * The clock ranges each logged update wrote, as runs. Consecutive updates of one client by one
 * author within a minute fold into one run, so a typed paragraph is one run, not a run per key.
 */
export function foldRuns(
  rows: Iterable<{ readonly data: Uint8Array; readonly author: string | null; readonly at: number | null }>,
  into: AttributionRun[] = [],
): AttributionRun[] {
  const open = new Map<number, number>()
  for (const row of rows) {
    const { from, to } = Y.parseUpdateMeta(row.data)
    const at = row.at ?? 0
    for (const [client, start] of from) {
      const end = to.get(client) ?? start
      if (end <= start) continue
      const index = open.get(client)
      const last = index === undefined ? undefined : into[index]
      if (last && last.author === row.author && last.end === start && at - last.at < RUN_MERGE_MS) {
        into[index!] = { ...last, end }
        continue
      }
      open.set(client, into.length)
      into.push({ client, start, end, author: row.author, at })
    }
  }
  return into
}

/** Distinct non-empty names, in first-seen order. */
export function distinctAuthors(authors: Iterable<string | null>): string[] {
  const seen = new Set<string>()
  for (const author of authors) if (author) seen.add(author)
  return [...seen]
}

/** Which automatic versions older than `before` thinning removes: all but the last of each UTC day. */
export function versionsToThin(versions: ReadonlyArray<{ id: number; at: number; name: string | null }>, before: number): number[] {
  const lastOfDay = new Map<number, { id: number; at: number }>()
  for (const version of versions) {
    if (version.name !== null || version.at >= before) continue
    const day = Math.floor(version.at / 86_400_000)
    const kept = lastOfDay.get(day)
    if (!kept || kept.at <= version.at) lastOfDay.set(day, version)
  }
  const keep = new Set([...lastOfDay.values()].map((v) => v.id))
  return versions.filter((v) => v.name === null && v.at < before && !keep.has(v.id)).map((v) => v.id)
}
