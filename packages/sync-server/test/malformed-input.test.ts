import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import { MemoryStorage } from '../src/index.js'
import { connectClient, rawClient, waitFor, type TestClient } from '@coedit/test-utils'
import { startTestServer, type TestServer } from './support/test-server.js'

const MAX_MESSAGE_BYTES = 64 * 1024
const ROOM = 'victim'
let server: TestServer
let storage: MemoryStorage
let bystander: TestClient
const logLines: Array<{ level: number; msg: string; reason?: string; code?: number }> = []

beforeAll(async () => {
  storage = new MemoryStorage()
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as (typeof logLines)[number])
      done()
    },
  })
  server = await startTestServer({ storage, maxMessageBytes: MAX_MESSAGE_BYTES, logger: pino({ level: 'info' }, stream) })
  bystander = connectClient(server.wsUrl, ROOM)
  await bystander.synced()
  bystander.text.insert(0, 'precious text')
  await waitFor('the edit to be stored', () => storedText() === 'precious text')
})

afterAll(async () => {
  bystander.destroy()
  await server.close()
})

function storedText(): string {
  const doc = new Y.Doc()
  for (const update of storage.load(ROOM).updates) Y.applyUpdate(doc, update)
  const text = doc.getText('text').toString()
  doc.destroy()
  return text
}

function frame(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder()
  write(encoder)
  return encoding.toUint8Array(encoder)
}

const garbageUpdate = frame((e) => {
  encoding.writeVarUint(e, 0)
  encoding.writeVarUint(e, 2)
  encoding.writeVarUint8Array(e, new Uint8Array([1, 1, 0xde, 0xad, 0xbe, 0xef, 7, 7, 7, 200, 3]))
})

const cases: Array<{ name: string; payload: Uint8Array | string; code: number }> = [
  { name: 'unterminated varint', payload: new Uint8Array([0xff, 0xff, 0xff, 0xff]), code: 1007 },
  { name: 'unknown message type', payload: new Uint8Array([9, 0]), code: 1007 },
  { name: 'unknown sync step', payload: new Uint8Array([0, 7, 0]), code: 1007 },
  { name: 'payload length past the end', payload: new Uint8Array([0, 2, 100, 1, 2]), code: 1007 },
  { name: 'garbage Yjs update', payload: garbageUpdate, code: 1007 },
  {
    name: 'garbage sync step 2',
    payload: frame((e) => {
      encoding.writeVarUint(e, 0)
      encoding.writeVarUint(e, 1)
      encoding.writeVarUint8Array(e, new Uint8Array([5, 0xff, 0xff, 0xff, 0xff, 0xff]))
    }),
    code: 1007,
  },
  {
    name: 'garbage state vector in sync step 1',
    payload: frame((e) => {
      encoding.writeVarUint(e, 0)
      encoding.writeVarUint(e, 0)
      encoding.writeVarUint8Array(e, new Uint8Array([3, 0xff]))
    }),
    code: 1007,
  },
  {
    name: 'non-JSON awareness state',
    payload: frame((e) => {
      encoding.writeVarUint(e, 1)
      const inner = encoding.createEncoder()
      encoding.writeVarUint(inner, 1)
      encoding.writeVarUint(inner, 1234)
      encoding.writeVarUint(inner, 1)
      encoding.writeVarString(inner, '{not json')
      encoding.writeVarUint8Array(e, encoding.toUint8Array(inner))
    }),
    code: 1007,
  },
  {
    name: 'awareness claiming more entries than it holds',
    payload: frame((e) => {
      encoding.writeVarUint(e, 1)
      encoding.writeVarUint8Array(e, new Uint8Array([0xff, 0xff, 0x03, 1, 1]))
    }),
    code: 1007,
  },
  { name: 'empty frame', payload: new Uint8Array(0), code: 1007 },
  { name: 'text frame', payload: 'hello', code: 1003 },
  { name: `frame over ${MAX_MESSAGE_BYTES} bytes`, payload: new Uint8Array(MAX_MESSAGE_BYTES + 1), code: 1009 },
]

describe('malformed input closes only the sender', () => {
  it.each(cases)('$name → close $code; room, bystander and stored document intact', async ({ payload, code }) => {
    const logsBefore = logLines.length
    const attacker = rawClient(server.wsUrl, ROOM)
    await attacker.opened()
    attacker.send(payload)
    const closed = await attacker.closed
    expect(closed.code).toBe(code)
    // ws itself answers oversize frames with 1009 and no reason text; our closes say why.
    if (code !== 1009) expect(closed.reason.length).toBeGreaterThan(0)
    await waitFor('a log line naming the session close', () =>
      logLines.slice(logsBefore).some((l) => l.level >= 40 && (l.code === code || l.msg === 'session closed')),
    )

    // The bystander is still connected and its edits still flow and are stored.
    expect(bystander.provider.wsconnected).toBe(true)
    const marker = `+${code}`
    bystander.text.insert(bystander.text.length, marker)
    const witness = connectClient(server.wsUrl, ROOM)
    await witness.synced()
    await waitFor('a fresh client to see the text including the new edit', () => witness.text.toString() === bystander.text.toString())
    witness.destroy()
    expect(bystander.text.toString().startsWith('precious text')).toBe(true)
    await waitFor('the stored document to match', () => storedText() === bystander.text.toString())
  })

  it('counts each of them as an eviction in /metrics', async () => {
    const protocol = await server.metric('coedit_evictions_total', { reason: 'protocol' })
    const tooLarge = await server.metric('coedit_evictions_total', { reason: 'too-large' })
    expect(protocol).toBe(cases.length - 1)
    expect(tooLarge).toBe(1)
  })
})
