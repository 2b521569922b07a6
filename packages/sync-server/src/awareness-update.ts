/**
 * Validation of awareness (presence) payloads before they touch a room.
 *
 * y-protocols' applyAwarenessUpdate parses entry by entry and mutates as it goes, so a bad
 * entry in the middle would leave the room's presence half-updated. Decoding the whole
 * payload first keeps a malformed message from changing anything.
 *
 * Payload: varUint count, then per entry varUint clientID, varUint clock, varString JSON state
 * (the JSON `null` means "this client left").
 */
import * as decoding from 'lib0/decoding'
import { ProtocolError } from './protocol.js'

export interface AwarenessEntry {
  readonly clientId: number
  readonly clock: number
  readonly state: unknown
}

export function decodeAwarenessUpdate(update: Uint8Array): AwarenessEntry[] {
  const decoder = decoding.createDecoder(update)
  try {
    const count = decoding.readVarUint(decoder)
    // Each entry takes at least 3 bytes, so a larger count is a lie we need not loop over.
    if (count > update.length / 3) throw new ProtocolError(`awareness update claims ${count} entries in ${update.length} bytes`)
    const entries: AwarenessEntry[] = []
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(decoder)
      const clock = decoding.readVarUint(decoder)
      const json = decoding.readVarString(decoder)
      let state: unknown
      try {
        state = JSON.parse(json)
      } catch {
        throw new ProtocolError(`awareness state of client ${clientId} is not JSON`)
      }
      if (state !== null && typeof state !== 'object') {
        throw new ProtocolError(`awareness state of client ${clientId} is not an object or null`)
      }
      entries.push({ clientId, clock, state })
    }
    return entries
  } catch (error) {
    if (error instanceof ProtocolError) throw error
    throw new ProtocolError(`malformed awareness update: ${(error as Error).message}`)
  }
}
