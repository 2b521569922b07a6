// The floor: forwards each frame to the other sockets of its room (the URL path). No Yjs,
// no storage, one frame per received frame.
//
// With REDIS_URL (and RELAY_ID, RELAY_PEERS) it is the floor of a cluster too: what it
// receives also goes, batched per tick, into one XADD on its own stream (replies off), and
// one blocking XREAD of its peers' streams hands their frames to its own sockets. No
// presence, no storage, no recovery: only the hop itself.
import { createServer } from 'node:http'
import { connect } from 'node:net'
import { WebSocketServer } from 'ws'

const port = Number(process.env.PORT)
const rooms = new Map()
const http = createServer((_req, res) => res.end('relay'))
const wss = new WebSocketServer({ server: http, perMessageDeflate: false })
const cluster = process.env.REDIS_URL ? startCluster(new URL(process.env.REDIS_URL)) : null

function deliver(name, data, except) {
  const room = rooms.get(name)
  if (room) for (const other of room) if (other !== except) other.send(data, { binary: true })
}

wss.on('connection', (socket, request) => {
  const name = request.url ?? '/'
  let room = rooms.get(name)
  if (!room) rooms.set(name, (room = new Set()))
  room.add(socket)
  socket.on('message', (data, isBinary) => {
    for (const other of room) if (other !== socket) other.send(data, { binary: isBinary })
    cluster?.publish(name, data)
  })
  socket.on('close', () => {
    room.delete(socket)
    if (room.size === 0) rooms.delete(name)
  })
})
http.listen(port, '127.0.0.1', () => console.log(`listening on ${port}`))

function command(args) {
  const parts = [Buffer.from(`*${args.length}\r\n`)]
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg))
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'))
  }
  return Buffer.concat(parts)
}

/** Messages of one tick as one blob: per message a 4-byte length and the room, a 4-byte length and the frame. */
function pack(messages) {
  const parts = []
  for (const [room, data] of messages) {
    const name = Buffer.from(room)
    const head = Buffer.alloc(4)
    head.writeUInt32LE(name.length)
    const size = Buffer.alloc(4)
    size.writeUInt32LE(data.length)
    parts.push(head, name, size, data)
  }
  return Buffer.concat(parts)
}

function unpack(blob, each) {
  let at = 0
  while (at < blob.length) {
    const nameLength = blob.readUInt32LE(at)
    const room = blob.toString('utf8', at + 4, at + 4 + nameLength)
    at += 4 + nameLength
    const size = blob.readUInt32LE(at)
    each(room, blob.subarray(at + 4, at + 4 + size))
    at += 4 + size
  }
}

/** A RESP2 reply from `buffer` at `offset`: [value, next offset], or null when incomplete. */
function parse(buffer, offset) {
  const end = buffer.indexOf('\r\n', offset)
  if (end < 0) return null
  const type = String.fromCharCode(buffer[offset])
  const text = buffer.toString('latin1', offset + 1, end)
  const next = end + 2
  if (type === '$') {
    const length = Number(text)
    if (length < 0) return [null, next]
    return next + length + 2 > buffer.length ? null : [buffer.subarray(next, next + length), next + length + 2]
  }
  if (type === '*') {
    const count = Number(text)
    if (count < 0) return [null, next]
    const items = []
    let at = next
    for (let i = 0; i < count; i++) {
      const item = parse(buffer, at)
      if (!item) return null
      items.push(item[0])
      at = item[1]
    }
    return [items, at]
  }
  if (type === '-') throw new Error(text)
  return [text, next]
}

function startCluster(url) {
  const target = { host: url.hostname, port: Number(url.port || 6379) }
  const stream = (id) => `floor:out:${id}`
  const own = stream(process.env.RELAY_ID)
  const peers = (process.env.RELAY_PEERS ?? '').split(',').filter(Boolean)
  const lastIds = peers.map(() => '$')
  const writer = connect(target)
  writer.setNoDelay(true)
  writer.write(command(['CLIENT', 'REPLY', 'OFF']))
  let batch = []
  const reader = connect(target)
  reader.setNoDelay(true)
  let pending = Buffer.alloc(0)
  const read = () => reader.write(command(['XREAD', 'COUNT', 512, 'BLOCK', 5000, 'STREAMS', ...peers.map(stream), ...lastIds]))
  reader.on('data', (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    const reply = parse(pending, 0)
    if (!reply) return
    pending = Buffer.alloc(0)
    for (const [key, entries] of reply[0] ?? []) {
      const peer = peers.indexOf(key.toString().slice('floor:out:'.length))
      for (const [id, fields] of entries) {
        lastIds[peer] = id.toString()
        unpack(fields[1], (room, data) => deliver(room, data, null))
      }
    }
    read()
  })
  reader.once('connect', read)
  return {
    publish(room, data) {
      if (batch.length === 0)
        setImmediate(() => {
          writer.write(command(['XADD', own, 'MAXLEN', '~', 10000, '*', 'b', pack(batch)]))
          batch = []
        })
      batch.push([room, data])
    },
  }
}
