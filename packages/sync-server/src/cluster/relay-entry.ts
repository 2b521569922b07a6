import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import type { OutgoingEntry } from './relay-outbox.js'

/**
 * Several relay messages in one stream entry: per message the room, the type and the data,
 * as lib0 variable-length strings and byte arrays.
 */
export function encodeEntries(entries: readonly OutgoingEntry[]): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, entries.length)
  for (const { room, type, data } of entries) {
    encoding.writeVarString(encoder, room)
    encoding.writeVarString(encoder, type)
    encoding.writeVarUint8Array(encoder, data)
  }
  return encoding.toUint8Array(encoder)
}

/** The messages of one entry; throws on bytes that are not such a list. */
export function decodeEntries(bytes: Uint8Array): OutgoingEntry[] {
  const decoder = decoding.createDecoder(bytes)
  const count = decoding.readVarUint(decoder)
  const entries: OutgoingEntry[] = []
  for (let i = 0; i < count; i++) {
    entries.push({ room: decoding.readVarString(decoder), type: decoding.readVarString(decoder), data: decoding.readVarUint8Array(decoder) })
  }
  if (decoding.hasContent(decoder)) throw new Error('relay entry has trailing bytes')
  return entries
}
