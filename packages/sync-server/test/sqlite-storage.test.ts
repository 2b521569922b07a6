import { afterEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import * as Y from 'yjs'
import { SqliteStorage } from '../src/sqlite.js'
import { tempDir } from '@coedit/test-utils'

const dirs: Array<{ remove(): void }> = []
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove()
})

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
})
