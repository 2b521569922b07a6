import type * as Y from 'yjs'
import { DocumentError, type DocumentService } from './document-service.js'
import type { DocumentHost } from './document-service.js'
import { isHistoryStore, type AttributionRun, type HistoryStore, type VersionPage, type VersionRecord } from './storage/history-store.js'
import { diffTexts, type DiffOp } from './text-diff.js'

/** A version as the API shows it. */
export interface VersionInfo {
  readonly id: string
  readonly at: string
  readonly name: string | null
  readonly authors: readonly string[]
  readonly length: number
}

/** Characters [start, end) of the current text (UTF-16 code units, as JavaScript counts), written by `author` at `at`. */
export interface AuthorshipSpan {
  readonly start: number
  readonly end: number
  /** null: written before history was kept, or by a session that never showed a name. */
  readonly author: string | null
  readonly at: string | null
}

/** Longest name a person may give a version. */
export const MAX_VERSION_NAME = 200

/**
 * Versions, differences, restores and authorship for the HTTP API and the CLI, over the
 * history the rooms record (see RoomHistory) and the store keeps.
 */
export class DocumentHistory {
  private readonly store: HistoryStore | null

  constructor(
    private readonly host: DocumentHost,
    private readonly documents: DocumentService,
    private readonly enabled: boolean,
  ) {
    this.store = enabled && isHistoryStore(host.storage) ? host.storage : null
  }

  async versions(name: string, page: VersionPage): Promise<VersionInfo[]> {
    const store = await this.ready(name)
    return (await store.versions(name, page)).map(versionInfo)
  }

  async versionText(name: string, id: string): Promise<{ version: VersionInfo; text: string }> {
    const store = await this.ready(name)
    const found = await store.versionText(name, parseVersionId(id))
    if (!found) throw new DocumentError(404, `this document has no version ${id}`)
    return { version: versionInfo(found.version), text: found.text }
  }

  /** What changed from version `id` to `against` (another version id, or 'current'). */
  async diff(name: string, id: string, against: string): Promise<DiffOp[]> {
    const before = (await this.versionText(name, id)).text
    const after = against === 'current' ? await this.documents.text(name) : (await this.versionText(name, against)).text
    return diffTexts(before, after)
  }

  /** Names the current state: a version cut now. */
  async name(name: string, label: string, author: string | null): Promise<VersionInfo> {
    const trimmed = label.trim()
    if (!trimmed) throw new DocumentError(400, 'a version name must not be empty')
    if (trimmed.length > MAX_VERSION_NAME) throw new DocumentError(400, `a version name may have at most ${MAX_VERSION_NAME} characters`)
    await this.ready(name)
    // Naming is not editing: the version lists who edited since the previous one; the namer is logged.
    const version = await this.cut(name, trimmed, null)
    this.host.log.info({ room: name, version: version.id, by: author }, 'version named')
    return version
  }

  /** Makes the live text that of version `id` (one minimal edit everyone sees), recorded as a version. */
  async restore(name: string, id: string, author: string | null): Promise<VersionInfo> {
    const { version, text } = await this.versionText(name, id)
    await this.documents.replace(name, text, author)
    const label = version.name ? `“${version.name}”` : `the version of ${version.at.slice(0, 16).replace('T', ' ')} UTC`
    return this.cut(name, `Restored from ${label}`, author)
  }

  /** Who wrote each stretch of the current text. */
  async authorship(name: string): Promise<AuthorshipSpan[]> {
    const store = await this.ready(name)
    const runs = await store.attribution(name)
    return this.documents.read(name, (doc) => spansOf(doc.getText('text'), runs))
  }

  private async cut(name: string, label: string, author: string | null): Promise<VersionInfo> {
    const room = this.host.roomFor(name)
    await room.ready()
    if (!room.history) throw new DocumentError(501, 'this server keeps no history')
    const record = await room.history.cut(label, author ? [author] : [])
    if (!record) throw new DocumentError(503, 'the version could not be stored; try again')
    return versionInfo(record)
  }

  private async ready(name: string): Promise<HistoryStore> {
    if (!this.store) throw new DocumentError(501, this.enabled ? 'this server’s storage keeps no history' : 'history is off on this server')
    await this.documents.record(name)
    return this.store
  }
}

function parseVersionId(id: string): number {
  const n = Number(id)
  if (!/^[1-9][0-9]{0,15}$/.test(id) || !Number.isSafeInteger(n)) throw new DocumentError(404, `this document has no version ${id}`)
  return n
}

function versionInfo(record: VersionRecord): VersionInfo {
  return { id: String(record.id), at: new Date(record.at).toISOString(), name: record.name, authors: record.authors, length: record.length }
}

/** Walks the text's items, splitting each at the runs that wrote its clock range; adjacent spans of one author and time join. */
export function spansOf(text: Y.Text, runs: readonly AttributionRun[]): AuthorshipSpan[] {
  const byClient = new Map<number, AttributionRun[]>()
  for (const run of runs) {
    let list = byClient.get(run.client)
    if (!list) byClient.set(run.client, (list = []))
    list.push(run)
  }
  for (const list of byClient.values()) list.sort((a, b) => a.start - b.start)
  const spans: AuthorshipSpan[] = []
  const push = (start: number, end: number, run: AttributionRun | undefined): void => {
    const author = run?.author ?? null
    const at = run ? new Date(run.at).toISOString() : null
    const last = spans[spans.length - 1]
    if (last && last.end === start && last.author === author && last.at === at) spans[spans.length - 1] = { ...last, end }
    else spans.push({ start, end, author, at })
  }
  let index = 0
  for (let item = text._start; item !== null; item = item.right as Y.Item | null) {
    if (item.deleted || !item.countable) continue
    const { client, clock } = item.id
    const list = byClient.get(client) ?? []
    let offset = 0
    while (offset < item.length) {
      const at = clock + offset
      const run = findRun(list, at)
      // Without a run (written before history was kept), up to where the next run starts.
      const nextStart = run ? run.end : (list.find((r) => r.start > at)?.start ?? Infinity)
      const take = Math.min(item.length - offset, nextStart - at)
      push(index + offset, index + offset + take, run)
      offset += take
    }
    index += item.length
  }
  return spans
}

function findRun(runs: readonly AttributionRun[], clock: number): AttributionRun | undefined {
  let lo = 0
  let hi = runs.length - 1
  let found: AttributionRun | undefined
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (runs[mid]!.start <= clock) {
      found = runs[mid]
      lo = mid + 1
    } else hi = mid - 1
  }
  return found && clock < found.end ? found : undefined
}
