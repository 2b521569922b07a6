/**
 * Validation of awareness (presence) payloads before they touch a room.
 *
 * y-protocols' applyAwarenessUpdate parses entry by entry and mutates as it goes, so a bad
 * entry in the middle would leave the room's presence half-updated. Decoding the whole
 * payload first keeps a malformed message from changing anything; bounding each state keeps
 * a well-formed one from costing everyone (a deep state overflows JSON.stringify's stack, a
 * large one is sent to every peer on every change).
 *
 * Payload: varUint count, then per entry varUint clientID, varUint clock, varString JSON state
 * (the JSON `null` means "this client left").
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { ProtocolError } from './protocol.js'
import { PolicyViolation } from './policy-violation.js'

export interface AwarenessEntry {
  readonly clientId: number
  readonly clock: number
  readonly state: unknown
  /** The state as sent, for passing it on unchanged. */
  readonly json: string
}

export interface PresenceLimits {
  /** Largest JSON text of one presence state. A name, a colour and a caret take about 300 bytes. */
  readonly maxStateBytes: number
  /** Deepest nesting of objects and arrays in one state. */
  readonly maxDepth: number
}

export const DEFAULT_PRESENCE_LIMITS: PresenceLimits = Object.freeze({ maxStateBytes: 8_192, maxDepth: 16 })

/** Presence clocks count a client's own state changes; nothing real gets near this. */
export const MAX_PRESENCE_CLOCK = 2 ** 31

const HEX_COLOUR = /^#(?:[0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})$/i

export function decodeAwarenessUpdate(update: Uint8Array, limits: PresenceLimits = DEFAULT_PRESENCE_LIMITS): AwarenessEntry[] {
  const decoder = decoding.createDecoder(update)
  const entries: AwarenessEntry[] = []
  try {
    const count = decoding.readVarUint(decoder)
    // Each entry takes at least 3 bytes, so a larger count is a lie we need not loop over.
    if (count > update.length / 3) throw new ProtocolError(`awareness update claims ${count} entries in ${update.length} bytes`)
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(decoder)
      const clock = decoding.readVarUint(decoder)
      const json = decoding.readVarString(decoder)
      entries.push({ clientId, clock, json, state: parseState(clientId, json) })
    }
  } catch (error) {
    if (error instanceof ProtocolError) throw error
    throw new ProtocolError(`malformed awareness update: ${(error as Error).message}`)
  }
  for (const entry of entries) checkEntry(entry, limits)
  return entries
}

function parseState(clientId: number, json: string): unknown {
  let state: unknown
  try {
    state = JSON.parse(json)
  } catch {
    throw new ProtocolError(`awareness state of client ${clientId} is not JSON`)
  }
  if (state !== null && typeof state !== 'object') throw new ProtocolError(`awareness state of client ${clientId} is not an object or null`)
  return state
}

/** Well-formed but over a bound: refused as a policy (1008), not as garbage (1007). */
function checkEntry({ clientId, clock, json, state }: AwarenessEntry, limits: PresenceLimits): void {
  if (clock > MAX_PRESENCE_CLOCK) throw new PolicyViolation('presence-refused', `presence clock of client ${clientId} is out of range`)
  if (json.length > limits.maxStateBytes) throw new PolicyViolation('presence-refused', `presence state over ${limits.maxStateBytes} bytes`)
  if (depthExceeds(state, limits.maxDepth)) throw new PolicyViolation('presence-refused', `presence state nested deeper than ${limits.maxDepth} levels`)
  const colour = (state as { user?: { color?: unknown } } | null)?.user?.color
  // Peers put the colour into styles: only a plain hex colour may reach them.
  if (colour !== undefined && (typeof colour !== 'string' || !HEX_COLOUR.test(colour))) {
    throw new PolicyViolation('presence-refused', 'presence colour must be a hex colour like #1a2b3c')
  }
}

/** Walks at most `limit` levels, so a hostile depth costs no more than a legitimate one. */
function depthExceeds(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false
  if (limit === 0) return true
  for (const child of Object.values(value as object)) if (depthExceeds(child, limit - 1)) return true
  return false
}

/** Encodes entries back into an awareness update (after some were dropped). */
export function encodeAwarenessEntries(entries: readonly AwarenessEntry[]): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, entries.length)
  for (const entry of entries) {
    encoding.writeVarUint(encoder, entry.clientId)
    encoding.writeVarUint(encoder, entry.clock)
    encoding.writeVarString(encoder, entry.json)
  }
  return encoding.toUint8Array(encoder)
}
