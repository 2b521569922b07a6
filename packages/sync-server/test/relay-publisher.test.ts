import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import pino from 'pino'
import { startRedis, waitFor, type ServiceProcess } from '@coedit/test-utils'
import { RelayPublisher } from '../src/cluster/relay-publisher.js'
import { decodeEntries } from '../src/cluster/relay-entry.js'

let redis: ServiceProcess
let inspect: Redis

beforeAll(async () => {
  redis = await startRedis()
  inspect = new Redis(redis.url)
}, 30_000)

afterAll(async () => {
  inspect?.disconnect()
  await redis?.stop()
})

function publisherOn(stream: string, limit = 100): RelayPublisher {
  return new RelayPublisher({
    url: redis.url,
    stream,
    log: pino({ level: 'silent' }),
    retainMs: 60_000,
    windowMs: 5,
    maxQueuedMessages: limit,
    maxQueuedBytes: 1 << 20,
    redisNow: () => Date.now(),
  })
}

describe('relay publisher (writes with replies off, a real Redis)', () => {
  it('writes the messages of one tick as one entry, and confirms them by the stream’s newest entry', async () => {
    const publisher = publisherOn('test:out:a')
    await waitFor('the writer to connect', () => publisher.ready)
    publisher.publish({ room: 'r1', type: 'u', data: new Uint8Array([1, 2, 3]) })
    publisher.publish({ room: 'r2', type: 'a', data: new Uint8Array([4]) })
    await waitFor('the entry in Redis', async () => (await inspect.xlen('test:out:a')) === 1)
    const [id, fields] = ((await inspect.xrangeBuffer('test:out:a', '-', '+')) as Array<[Buffer, Buffer[]]>)[0]!
    expect(fields[0]!.toString()).toBe('b')
    expect(decodeEntries(new Uint8Array(fields[1]!)).map((m) => [m.room, m.type, [...m.data]])).toEqual([
      ['r1', 'u', [1, 2, 3]],
      ['r2', 'a', [4]],
    ])
    const newest = Number(id.toString().split('-')[0])
    // Too recent to judge, then judged arrived.
    expect(publisher.confirm(newest, Date.now())).toEqual([])
    expect(publisher.confirm(newest, Date.now() + 1_000)).toEqual([])
    publisher.close()
  })

  it('names the rooms whose writes are not in the stream', async () => {
    const publisher = publisherOn('test:out:b')
    await waitFor('the writer to connect', () => publisher.ready)
    publisher.publish({ room: 'lost-room', type: 'u', data: new Uint8Array([9]) })
    await waitFor('the entry in Redis', async () => (await inspect.xlen('test:out:b')) === 1)
    // As if the write had not arrived: the stream's newest entry is older than it, or missing.
    expect(publisher.confirm(Date.now() - 10_000, Date.now() + 1_000)).toEqual(['lost-room'])
    publisher.publish({ room: 'gone', type: 'u', data: new Uint8Array([9]) })
    await waitFor('the second entry', async () => (await inspect.xlen('test:out:b')) === 2)
    expect(publisher.confirm(null, Date.now() + 1_000)).toEqual(['gone'])
    publisher.close()
  })

  it('holds messages while Redis is away, up to its limit, and sends what it held (and asks for reloads of what it dropped) when back', async () => {
    const publisher = publisherOn('test:out:c', 3)
    await waitFor('the writer to connect', () => publisher.ready)
    await redis.kill()
    await waitFor('the writer to notice', () => !publisher.ready)
    for (let i = 0; i < 5; i++) publisher.publish({ room: `room-${i}`, type: 'u', data: new Uint8Array([i]) })
    await redis.start()
    await waitFor('the writer back', () => publisher.ready, { timeoutMs: 10_000 })
    await waitFor('what was held, in Redis', async () => (await inspect.xlen('test:out:c').catch(() => 0)) >= 1, { timeoutMs: 10_000 })
    const entries = (await inspect.xrangeBuffer('test:out:c', '-', '+')) as Array<[Buffer, Buffer[]]>
    const messages = entries.flatMap(([, fields]) => decodeEntries(new Uint8Array(fields[1]!))).map((m) => `${m.type}:${m.room}`)
    expect(messages).toEqual(['u:room-0', 'u:room-1', 'u:room-2', 's:room-3', 's:room-4'])
    publisher.close()
  }, 30_000)
})
