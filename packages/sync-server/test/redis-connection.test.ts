import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { startRedis, waitFor, type ServiceProcess } from '@coedit/test-utils'
import { RedisConnection } from '../src/cluster/redis-connection.js'
import { encodeCommand, RespError, RespParser, type RespValue } from '../src/cluster/resp.js'

const silent = pino({ level: 'silent' })

function text(value: RespValue): unknown {
  if (Buffer.isBuffer(value)) return value.toString('latin1')
  if (Array.isArray(value)) return value.map(text)
  if (value instanceof RespError) return `error: ${value.message}`
  return value
}

describe('RESP replies', () => {
  const reply = Buffer.from('*3\r\n$3\r\nabc\r\n*2\r\n:42\r\n$-1\r\n*-1\r\n+OK\r\n-ERR wrong\r\n$0\r\n\r\n')
  const expected = [['abc', [42, null], null], 'OK', 'error: ERR wrong', '']

  it('parses nested arrays, integers, nulls, status and error replies in one chunk', () => {
    expect(new RespParser().feed(reply).map(text)).toEqual(expected)
  })

  it('gives the same replies however the bytes are cut into chunks', () => {
    for (let cut = 1; cut < reply.length; cut++) {
      const parser = new RespParser()
      const values = [...parser.feed(reply.subarray(0, cut)), ...parser.feed(reply.subarray(cut))]
      expect(values.map(text), `cut at ${cut}`).toEqual(expected)
    }
    const parser = new RespParser()
    const oneByOne = [...reply].flatMap((byte) => parser.feed(Buffer.from([byte])))
    expect(oneByOne.map(text)).toEqual(expected)
  })

  it('keeps binary bulk strings byte for byte, CR LF inside them included', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)
    const [command] = new RespParser().feed(encodeCommand(['SET', bytes]))
    expect(Array.isArray(command) && [...(command[1] as Buffer)]).toEqual([...bytes])
  })

  it('refuses bytes that are not RESP', () => {
    expect(() => new RespParser().feed(Buffer.from('?what\r\n'))).toThrow(/unexpected byte/)
  })
})

describe('RedisConnection (a real Redis)', () => {
  let redis: ServiceProcess
  beforeAll(async () => {
    redis = await startRedis()
  }, 30_000)
  afterAll(async () => {
    await redis?.stop()
  })

  function connect(repliesOff = false): { connection: RedisConnection; lost: () => number } {
    let lost = 0
    const connection = new RedisConnection(redis.url, silent, { ready: () => {}, lost: () => lost++ }, { name: 'test', repliesOff })
    return { connection, lost: () => lost }
  }

  it('answers requests in order, binary stream entries intact; an error reply rejects that request only', async () => {
    const { connection } = connect()
    await waitFor('the connection', () => connection.ready)
    const data = Uint8Array.from({ length: 256 }, (_, i) => 255 - i)
    const [id, wrong, read] = await Promise.all([
      connection.request(['XADD', 'conn:s', '*', 'b', data]),
      connection.request(['NOSUCHCOMMAND']).catch((error: Error) => error),
      connection.request(['XREAD', 'COUNT', '10', 'STREAMS', 'conn:s', '0-0']),
    ])
    expect(String(id)).toMatch(/^\d+-\d+$/)
    expect(wrong).toBeInstanceOf(RespError)
    expect((wrong as Error).message).toMatch(/unknown command/i)
    const [[stream, [[entryId, fields]]]] = read as [[Buffer, [[Buffer, Buffer[]]]]]
    expect(stream.toString()).toBe('conn:s')
    expect(entryId.toString()).toBe(String(id))
    expect(fields[0]!.toString()).toBe('b')
    expect([...fields[1]!]).toEqual([...data])
    connection.close()
  })

  it('a blocking read that times out resolves to null; one still blocked is rejected at once by close', async () => {
    const { connection } = connect()
    await waitFor('the connection', () => connection.ready)
    expect(await connection.request(['XREAD', 'BLOCK', '50', 'STREAMS', 'conn:empty', '$'])).toBeNull()
    const blocked = connection.request(['XREAD', 'BLOCK', '10000', 'STREAMS', 'conn:empty', '$']).catch((error: Error) => error)
    const started = Date.now()
    connection.close()
    expect(await blocked).toBeInstanceOf(Error)
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('with replies off, writes arrive and nothing waits for an answer; refused when not connected', async () => {
    const { connection } = connect(true)
    expect(connection.send(['XADD', 'conn:off', '*', 'f', 'v'])).toBe(false)
    await waitFor('the connection', () => connection.ready)
    await expect(connection.request(['PING'])).rejects.toThrow(/replies off/)
    for (let i = 0; i < 3; i++) expect(connection.send(['XADD', 'conn:off', '*', 'f', String(i)])).toBe(true)
    const { connection: check } = connect()
    await waitFor('the check connection', () => check.ready)
    await waitFor('three entries', async () => (await check.request(['XLEN', 'conn:off'])) === 3)
    connection.close()
    check.close()
  })

  it('a request cut off by a dropped connection is rejected, `lost` is told, and it reconnects', async () => {
    const { connection, lost } = connect()
    await waitFor('the connection', () => connection.ready)
    const blocked = connection.request(['XREAD', 'BLOCK', '10000', 'STREAMS', 'conn:kill', '$']).catch((error: Error) => error)
    const { connection: admin } = connect()
    await waitFor('the admin connection', () => admin.ready)
    await admin.request(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'])
    expect(await blocked).toBeInstanceOf(Error)
    expect(lost()).toBe(1)
    await waitFor('the reconnection', () => connection.ready)
    expect(String(await connection.request(['PING']))).toBe('PONG')
    connection.close()
    admin.close()
  })
})
