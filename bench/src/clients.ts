import WebSocket from 'ws'
import * as Y from 'yjs'
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness'
import type { RunningServer } from './servers.js'
import { awarenessMessage, bodyOffset, frame, hello, isSyncStep2, isSyncUpdate, syncMessage, syncPayload, type Framing } from './framing.js'

const EMPTY_STATE_VECTOR = new Uint8Array([0])

export interface ClientOptions {
  /** Send sync step 1 after connecting (a real client does; the relay would forward it to everyone). */
  readonly handshake?: boolean
  /** Publish a presence state on join. */
  readonly presence?: boolean
}

/**
 * A receiver as the brief wants it: it handshakes, then only counts and timestamps what
 * arrives, reading two bytes of each frame and decoding no Yjs, so the generator stays cheap.
 */
export class Receiver {
  readonly socket: WebSocket
  frames = 0
  bytes = 0
  changes = 0
  synced = false
  readonly opened: Promise<void>
  onChange: ((at: number) => void) | null = null
  private readonly framing: Framing

  constructor(
    readonly server: RunningServer,
    readonly room: string,
    options: ClientOptions = {},
  ) {
    this.framing = server.spec.framing
    const handshake = options.handshake ?? server.spec.yjs
    // Without a Yjs server there is no sync step 2 to wait for.
    this.synced = !handshake || !server.spec.yjs
    this.socket = new WebSocket(server.url(room), { perMessageDeflate: false })
    this.socket.binaryType = 'nodebuffer'
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => {
        for (const message of hello(this.framing, room)) this.socket.send(message)
        if (handshake) this.send(syncMessage(0, EMPTY_STATE_VECTOR))
        if (options.presence) this.sendPresence()
        resolve()
      })
      this.socket.once('error', reject)
    })
    this.socket.on('message', (data: Buffer) => this.receive(data))
    this.socket.on('error', () => {})
  }

  send(body: Uint8Array): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(frame(this.framing, this.room, body))
  }

  close(): void {
    this.socket.terminate()
  }

  protected receive(data: Buffer): void {
    this.frames++
    this.bytes += data.byteLength
    if (isSyncUpdate(this.framing, data)) {
      this.changes++
      this.onChange?.(performance.now())
    } else if (!this.synced && isSyncStep2(this.framing, data)) {
      this.synced = true
    }
  }

  private sendPresence(): void {
    const doc = new Y.Doc()
    const awareness = new Awareness(doc)
    awareness.setLocalState({ user: { name: `bench-${doc.clientID}`, color: '#336699' }, cursor: null })
    this.send(awarenessMessage(encodeAwarenessUpdate(awareness, [doc.clientID])))
    awareness.destroy()
    doc.destroy()
  }
}

/** Send times of edits by (client, clock), shared by writers and the verifier of one process. */
export const sentAt = new Map<string, number>()

/** A writer owns a real Y.Doc and sends real updates; it also counts updates echoed back to it. */
export class Writer extends Receiver {
  readonly doc = new Y.Doc()
  private readonly text = this.doc.getText('text')

  /** Inserts one character at a random place and sends the update; returns the send time. */
  edit(character = String.fromCharCode(97 + Math.floor(Math.random() * 26))): number {
    const clock = Y.getState(this.doc.store, this.doc.clientID)
    let update: Uint8Array | null = null
    const capture = (u: Uint8Array): void => {
      update = u
    }
    this.doc.once('update', capture)
    this.text.insert(Math.floor(Math.random() * (this.text.length + 1)), character)
    const at = performance.now()
    sentAt.set(`${this.doc.clientID}:${clock}`, at)
    this.send(syncMessage(2, update!))
    return at
  }

  /** Updates of its own that the server sent back to it. */
  echoes = 0

  protected override receive(data: Buffer): void {
    super.receive(data)
    if (!isSyncUpdate(this.server.spec.framing, data)) return
    const own = this.doc.clientID
    for (const struct of Y.decodeUpdate(syncPayload(this.server.spec.framing, data)).structs) if (struct.id.client === own) this.echoes++
  }

  sendUpdate(update: Uint8Array): void {
    this.send(syncMessage(2, update))
  }
}

/**
 * A full client: applies what it receives to a Y.Doc and answers sync step 1, like a real
 * editor. The benchmark uses one to check that edits really arrived and to time them.
 */
export class FullClient extends Receiver {
  readonly doc = new Y.Doc()
  readonly lags: number[] = []
  firstStep2At = 0

  constructor(server: RunningServer, room: string) {
    super(server, room, { handshake: true })
  }

  protected override receive(data: Buffer): void {
    super.receive(data)
    const framing = this.server.spec.framing
    const isUpdate = isSyncUpdate(framing, data)
    const isStep2 = isSyncStep2(framing, data)
    if (isStep2 && this.firstStep2At === 0) this.firstStep2At = performance.now()
    if (isUpdate || isStep2) {
      const update = syncPayload(framing, data)
      const now = performance.now()
      if (isUpdate && sentAt.size > 0) {
        for (const struct of Y.decodeUpdate(update).structs) {
          const sent = sentAt.get(`${struct.id.client}:${struct.id.clock}`)
          if (sent !== undefined) this.lags.push(now - sent)
        }
      }
      Y.applyUpdate(this.doc, update)
    } else if (isStepOne(framing, data)) {
      this.send(syncMessage(1, Y.encodeStateAsUpdate(this.doc, syncPayload(framing, data))))
    }
  }
}

function isStepOne(framing: Framing, data: Uint8Array): boolean {
  const at = bodyOffset(framing, data)
  return data[at] === 0 && data[at + 1] === 0
}

/** Opens `count` clients `batch` at a time, so the server sees a realistic connection rate. */
export async function openMany<T extends Receiver>(count: number, make: (i: number) => T, batch = 100): Promise<T[]> {
  const clients: T[] = []
  for (let i = 0; i < count; i += batch) {
    const wave = Array.from({ length: Math.min(batch, count - i) }, (_, j) => make(i + j))
    await Promise.all(wave.map((c) => c.opened))
    clients.push(...wave)
  }
  return clients
}
