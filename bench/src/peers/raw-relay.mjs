// The floor: forwards each frame to the other sockets of its room (the URL path). No Yjs,
// no storage, one frame per received frame.
import { createServer } from 'node:http'
import { WebSocketServer } from 'ws'

const port = Number(process.env.PORT)
const rooms = new Map()
const http = createServer((_req, res) => res.end('relay'))
const wss = new WebSocketServer({ server: http, perMessageDeflate: false })
wss.on('connection', (socket, request) => {
  const name = request.url ?? '/'
  let room = rooms.get(name)
  if (!room) rooms.set(name, (room = new Set()))
  room.add(socket)
  socket.on('message', (data, isBinary) => {
    for (const other of room) if (other !== socket) other.send(data, { binary: isBinary })
  })
  socket.on('close', () => {
    room.delete(socket)
    if (room.size === 0) rooms.delete(name)
  })
})
http.listen(port, '127.0.0.1', () => console.log(`listening on ${port}`))
