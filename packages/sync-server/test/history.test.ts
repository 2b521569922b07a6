import { describe, expect, it } from 'vitest'
import { tempDir, waitFor } from '@coedit/test-utils'
import { useTestServer } from './support/test-server.js'
import { MemoryStorage, type AuthorshipSpan, type DocumentStorage } from '../src/index.js'
import { SqliteStorage } from '../src/sqlite.js'
import { diffTexts } from '../src/text-diff.js'

const { start, client } = useTestServer()

/** A client that shows a name in its presence, as the editor does. */
function person(room: string, name: string) {
  const c = client(room)
  c.provider.awareness.setLocalStateField('user', { name, color: '#2d7dd2' })
  return c
}

/** The server's presence holds `people` states besides its own (null) one. */
function hasPresence(server: { sync: { roomInfo(name: string): { presenceClients: number } | null } }, room: string, people: number): boolean {
  return (server.sync.roomInfo(room)?.presenceClients ?? 0) >= people + 1
}

function textBy(spans: readonly AuthorshipSpan[], text: string, author: string): string {
  return spans
    .filter((s) => s.author === author)
    .map((s) => text.slice(s.start, s.end))
    .join('|')
}

const stores: Array<[string, () => DocumentStorage]> = [
  ['memory', () => new MemoryStorage()],
  ['sqlite', () => new SqliteStorage({ file: `${tempDir().path}/history.db` })],
]

describe.each(stores)('history (%s)', (_kind, makeStorage) => {
  it('attributes interleaved edits of three people to each of them, before and after compaction', async () => {
    const storage = makeStorage()
    const server = await start({ storage, compactAfterUpdates: 25 })
    const [ada, ben, cy] = [person('attr', 'Ada'), person('attr', 'Ben'), person('attr', 'Cy')]
    await Promise.all([ada, ben, cy].map((c) => c.synced()))
    // Presence reaches the server before the edits that rely on it.
    await waitFor('presence of all three', () => hasPresence(server, 'attr', 3))
    ada.text.insert(0, 'AAAA')
    await waitFor('ben to see ada', () => ben.text.toString() === 'AAAA')
    ben.text.insert(2, 'BBB')
    await waitFor('cy to see ben', () => cy.text.toString() === 'AABBBAA')
    cy.text.insert(7, 'CC')
    cy.text.insert(0, 'C')
    await waitFor('ada to see cy', () => ada.text.toString() === 'CAABBBAACC')
    // Ben deletes one of Ada's letters: what is left is still hers.
    ben.text.delete(1, 1)
    await waitFor('all to agree', () => [ada, ben, cy].every((c) => c.text.toString() === 'CABBBAACC'))
    await waitFor('the server to store everything', async () => (await server.sync.documents.text('attr')) === 'CABBBAACC')
    const check = async (): Promise<void> => {
      const spans = await server.sync.history.authorship('attr')
      expect(spans.map((s) => [s.start, s.end])).toEqual(spansCover(9, spans))
      expect(textBy(spans, 'CABBBAACC', 'Ada')).toBe('A|AA')
      expect(textBy(spans, 'CABBBAACC', 'Ben')).toBe('BBB')
      expect(textBy(spans, 'CABBBAACC', 'Cy')).toBe('C|CC')
      for (const span of spans) expect(Date.now() - Date.parse(span.at!)).toBeLessThan(60_000)
    }
    await check()
    // Enough edits to compact the log: the runs are folded beside the snapshot, same answer.
    for (let i = 0; i < 30; i++) ada.doc.getMap('other').set('k', i)
    await waitFor('a compaction', async () => (await server.metric('coedit_compactions_total')) > 0)
    await check()
  })

  it('cuts a version after a pause and during long editing, with who edited since the previous one', async () => {
    const server = await start({ storage: makeStorage(), versionIdleMs: 300, versionMaxMs: 1_200 })
    const [ada, ben] = [person('cuts', 'Ada'), person('cuts', 'Ben')]
    await Promise.all([ada, ben].map((c) => c.synced()))
    await waitFor('presence', () => hasPresence(server, 'cuts', 2))
    ada.text.insert(0, 'first draft')
    await waitFor('a version after the pause', async () => (await server.sync.history.versions('cuts', { limit: 10 })).length === 1)
    const [first] = await server.sync.history.versions('cuts', { limit: 10 })
    expect(first).toMatchObject({ name: null, authors: ['Ada'], length: 11 })
    expect((await server.sync.history.versionText('cuts', first!.id)).text).toBe('first draft')

    // Ben types without pausing for longer than the maximum: a version is cut meanwhile.
    const started = Date.now()
    let typed = 0
    while (Date.now() - started < 2_000) {
      ben.text.insert(ben.text.length, '.')
      typed++
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const during = await server.sync.history.versions('cuts', { limit: 10 })
    expect(during.length).toBeGreaterThanOrEqual(2)
    expect(during[0]!.authors).toEqual(['Ben'])
    await waitFor('the last version after the pause', async () => (await server.sync.history.versions('cuts', { limit: 1 }))[0]!.length === 11 + typed)
    // Newest first, paged.
    const all = await server.sync.history.versions('cuts', { limit: 100 })
    const page = await server.sync.history.versions('cuts', { limit: 1, before: Number(all[0]!.id) })
    expect(page[0]!.id).toBe(all[1]!.id)
  })

  it('names a version, shows what changed, and restores it for everyone while others keep editing', async () => {
    const server = await start({ storage: makeStorage() })
    const [ada, ben] = [person('restore', 'Ada'), person('restore', 'Ben')]
    await Promise.all([ada, ben].map((c) => c.synced()))
    ada.text.insert(0, 'Title\nGood paragraph.\n')
    await waitFor('ben has it', () => ben.text.toString() === 'Title\nGood paragraph.\n')
    await waitFor('stored', async () => (await server.sync.documents.text('restore')) === 'Title\nGood paragraph.\n')
    const named = await server.sync.history.name('restore', 'before the paste', 'Ada')
    expect(named).toMatchObject({ name: 'before the paste', length: 22 })
    // A bad paste replaces the paragraph.
    ben.text.delete(6, 16)
    ben.text.insert(6, 'oops pasted junk\n')
    await waitFor('stored', async () => (await server.sync.documents.text('restore')) === 'Title\noops pasted junk\n')
    const ops = await server.sync.history.diff('restore', named.id, 'current')
    expect(ops.filter((o) => o.op === 'equal').map((o) => o.text)[0]).toBe('Title\n')
    expect(ops.map((o) => (o.op === 'insert' ? o.text : '')).join('') + '').toContain('junk')
    expect(
      ops
        .filter((o) => o.op !== 'insert')
        .map((o) => o.text)
        .join(''),
    ).toBe('Title\nGood paragraph.\n')
    expect(
      ops
        .filter((o) => o.op !== 'delete')
        .map((o) => o.text)
        .join(''),
    ).toBe('Title\noops pasted junk\n')

    const restored = await server.sync.history.restore('restore', named.id, 'Cy')
    expect(restored.name).toBe('Restored from “before the paste”')
    expect(restored.authors).toContain('Cy')
    await waitFor('both see the restore', () => [ada, ben].every((c) => c.text.toString() === 'Title\nGood paragraph.\n'))
    const versions = await server.sync.history.versions('restore', { limit: 10 })
    expect(versions[0]!.id).toBe(restored.id)
    // Errors a caller can act on.
    await expect(server.sync.history.versionText('restore', '999999')).rejects.toMatchObject({ status: 404 })
    await expect(server.sync.history.versionText('restore', 'abc')).rejects.toMatchObject({ status: 404 })
    await expect(server.sync.history.name('restore', 'x'.repeat(201), null)).rejects.toMatchObject({ status: 400 })
    await expect(server.sync.history.versions('never-stored', { limit: 1 })).rejects.toMatchObject({ status: 404 })
  })
})

describe('history on SQLite across restarts', () => {
  it('keeps versions and authorship after a restart, and a crash before a version still names who edited', async () => {
    const file = `${tempDir().path}/restart.db`
    let server = await start({ storage: new SqliteStorage({ file }), versionIdleMs: 60_000 })
    const ada = person('keep', 'Ada')
    await ada.synced()
    await waitFor('presence', () => hasPresence(server, 'keep', 1))
    ada.text.insert(0, 'kept through restarts')
    await waitFor('stored', async () => (await server.sync.documents.text('keep')) === 'kept through restarts')
    const named = await server.sync.history.name('keep', 'v1', 'Ada')
    ada.text.insert(0, '» ')
    await waitFor('stored', async () => (await server.sync.documents.text('keep')) === '» kept through restarts')
    ada.destroy()
    // No clean shutdown: the file is reopened as after a kill, before any version covers '» '.
    server.http.closeAllConnections()
    server.http.close()
    await server.sync.storage.close()
    server = await start({ storage: new SqliteStorage({ file }), versionIdleMs: 200 })
    expect((await server.sync.history.versionText('keep', named.id)).text).toBe('kept through restarts')
    const spans = await server.sync.history.authorship('keep')
    expect(spans.every((s) => s.author === 'Ada')).toBe(true)
    expect(spans.at(-1)!.end).toBe('» kept through restarts'.length)
    // Ben's edit after the restart: the next version names Ada (before the crash) and Ben.
    const ben = person('keep', 'Ben')
    await ben.synced()
    await waitFor('presence', () => hasPresence(server, 'keep', 1))
    ben.text.insert(ben.text.length, '!')
    await waitFor('a version', async () => (await server.sync.history.versions('keep', { limit: 1 }))[0]!.id !== named.id)
    const [latest] = await server.sync.history.versions('keep', { limit: 1 })
    expect(new Set(latest!.authors)).toEqual(new Set(['Ada', 'Ben']))
  })
})

describe('diffTexts', () => {
  it('finds changed lines, then the changed characters inside them', () => {
    const before = Array.from({ length: 2_000 }, (_, i) => `line ${i}\n`).join('')
    const after = before.replace('line 1000\n', 'line 1000 (edited)\n').replace('line 5\n', '')
    const ops = diffTexts(before, after)
    expect(
      ops
        .filter((o) => o.op !== 'insert')
        .map((o) => o.text)
        .join(''),
    ).toBe(before)
    expect(
      ops
        .filter((o) => o.op !== 'delete')
        .map((o) => o.text)
        .join(''),
    ).toBe(after)
    expect(ops.filter((o) => o.op === 'insert').map((o) => o.text)).toEqual([' (edited)'])
    expect(ops.filter((o) => o.op === 'delete').map((o) => o.text)).toEqual(['line 5\n'])
  })
})

function spansCover(length: number, spans: readonly AuthorshipSpan[]): Array<[number, number]> {
  // The spans must tile [0, length) in order: each starts where the previous ended.
  let at = 0
  const tiles: Array<[number, number]> = []
  for (const span of spans) {
    tiles.push([at, span.end])
    at = span.end
  }
  expect(at).toBe(length)
  return tiles
}

describe('--history-retention', () => {
  it('thins automatic versions older than the retention to the last of each day; named ones and recent ones stay', () => {
    const day = 86_400_000
    const now = Date.now()
    // Five days ago: three automatic versions and a named one; four days ago: two; today: two.
    const at = (daysAgo: number, hour: number): number => Math.floor((now - daysAgo * day) / day) * day + hour * 3_600_000
    const rows: Array<[number, string | null]> = [
      [at(5, 9), null],
      [at(5, 11), 'sent to Ana'],
      [at(5, 14), null],
      [at(5, 16), null],
      [at(4, 10), null],
      [at(4, 12), null],
      [now - 60_000, null],
      [now - 30_000, null],
    ]
    for (const storage of [new MemoryStorage(), new SqliteStorage({ file: `${tempDir().path}/thin.db` })]) {
      for (const [when, name] of rows) storage.addVersion('doc', { at: when, name, authors: ['Ada'], text: `text at ${when}` })
      const removed = storage.thinVersions('doc', now - 2 * day)
      expect(removed).toBe(3)
      const kept = storage.versions('doc', { limit: 100 }).map((v) => [v.at, v.name])
      expect(kept).toEqual(
        [
          [at(5, 11), 'sent to Ana'],
          [at(5, 16), null],
          [at(4, 12), null],
          [now - 60_000, null],
          [now - 30_000, null],
        ].reverse(),
      )
      storage.close()
    }
  })
})
