import { describe, expect, it } from 'vitest'
import { roomNameFromPath } from '../src/room-name.js'

describe('roomNameFromPath', () => {
  it('accepts ids and nested names under the prefix', () => {
    expect(roomNameFromPath('/abc-DEF_1.2~x', '/', 128)).toEqual({ ok: true, name: 'abc-DEF_1.2~x' })
    expect(roomNameFromPath('/team/notes', '/', 128)).toEqual({ ok: true, name: 'team/notes' })
    expect(roomNameFromPath('/sync/doc1', '/sync', 128)).toEqual({ ok: true, name: 'doc1' })
    expect(roomNameFromPath('/sync/doc%2D1', '/sync/', 128)).toEqual({ ok: true, name: 'doc-1' })
  })

  it('refuses paths outside the prefix with 404 and bad names with 400', () => {
    expect(roomNameFromPath('/other/doc', '/sync', 128)).toMatchObject({ ok: false, status: 404 })
    for (const bad of ['/', '/a b', '/a//b', '/../etc', '/a/./b', '/%ZZ', '/a/', `/${'x'.repeat(129)}`, '/ünïcode', '/a?b']) {
      expect(roomNameFromPath(bad, '/', 128), bad).toMatchObject({ ok: false, status: 400 })
    }
  })
})
