import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'

/**
 * y-websocket frames carry one message; Hocuspocus prefixes each with the document name and
 * wants an auth message first. The load generator speaks both through this adapter.
 */
export type Framing = 'y-websocket' | 'hocuspocus'

export const MESSAGE_SYNC = 0
export const MESSAGE_AWARENESS = 1
const HOCUSPOCUS_AUTH = 2
const SYNC_UPDATE = 2

export function frame(framing: Framing, room: string, body: Uint8Array): Uint8Array {
  if (framing === 'y-websocket') return body
  const encoder = encoding.createEncoder()
  encoding.writeVarString(encoder, room)
  encoding.writeUint8Array(encoder, body)
  return encoding.toUint8Array(encoder)
}

/** What a client sends right after the socket opens, before anything else. */
export function hello(framing: Framing, room: string): Uint8Array[] {
  if (framing === 'y-websocket') return []
  const encoder = encoding.createEncoder()
  encoding.writeVarString(encoder, room)
  encoding.writeVarUint(encoder, HOCUSPOCUS_AUTH)
  encoding.writeVarUint(encoder, 0)
  encoding.writeVarString(encoder, '')
  return [encoding.toUint8Array(encoder)]
}

/** Offset of the y-websocket message inside a frame (skips Hocuspocus' document name). */
export function bodyOffset(framing: Framing, data: Uint8Array): number {
  if (framing === 'y-websocket') return 0
  const decoder = decoding.createDecoder(data)
  decoding.readVarString(decoder)
  return decoder.pos
}

/** True for a sync-update or sync-step-2 frame: "a document change arrived". Reads two bytes, decodes no Yjs. */
export function isDocumentChange(framing: Framing, data: Uint8Array): boolean {
  const at = bodyOffset(framing, data)
  // Hocuspocus answers step 1 with type 0 and replies with type 4 (SyncReply); both carry sync.
  return (data[at] === MESSAGE_SYNC || data[at] === 4) && (data[at + 1] === SYNC_UPDATE || data[at + 1] === 1)
}

export function isSyncUpdate(framing: Framing, data: Uint8Array): boolean {
  const at = bodyOffset(framing, data)
  return (data[at] === MESSAGE_SYNC || data[at] === 4) && data[at + 1] === SYNC_UPDATE
}

export function isSyncStep2(framing: Framing, data: Uint8Array): boolean {
  const at = bodyOffset(framing, data)
  return (data[at] === MESSAGE_SYNC || data[at] === 4) && data[at + 1] === 1
}

export function isAwareness(framing: Framing, data: Uint8Array): boolean {
  return data[bodyOffset(framing, data)] === MESSAGE_AWARENESS
}

export function syncMessage(step: number, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MESSAGE_SYNC)
  encoding.writeVarUint(encoder, step)
  encoding.writeVarUint8Array(encoder, payload)
  return encoding.toUint8Array(encoder)
}

export function awarenessMessage(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MESSAGE_AWARENESS)
  encoding.writeVarUint8Array(encoder, update)
  return encoding.toUint8Array(encoder)
}

/** The payload of a sync step 2 or update frame. */
export function syncPayload(framing: Framing, data: Uint8Array): Uint8Array {
  const decoder = decoding.createDecoder(data)
  decoder.pos = bodyOffset(framing, data)
  decoding.readVarUint(decoder)
  decoding.readVarUint(decoder)
  return decoding.readVarUint8Array(decoder)
}
