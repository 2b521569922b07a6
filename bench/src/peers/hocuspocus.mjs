// Hocuspocus 3 as users run it: default debounce, optionally its SQLite extension.
import { Server } from '@hocuspocus/server'
import { SQLite } from '@hocuspocus/extension-sqlite'

const port = Number(process.env.PORT)
const database = process.env.HOCUSPOCUS_SQLITE
const server = new Server({
  port,
  address: '127.0.0.1',
  quiet: true,
  extensions: database ? [new SQLite({ database })] : [],
})
await server.listen()
console.log(`listening on ${port}`)
