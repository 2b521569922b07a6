/**
 * The y-websocket wire protocol, as pure encode/decode functions.
 *
 * Every WebSocket binary frame carries one message:
 *
 *   varUint messageType
 *     0 sync       varUint syncType, then
 *                    0 step 1: varUint8Array stateVector   (peer asks: "send me what I lack")
 *                    1 step 2: varUint8Array update        (answer to step 1)
 *                    2 update: varUint8Array update        (an incremental change)
 *     1 awareness  varUint8Array awarenessUpdate            (presence; see awareness-update.ts)
 *     2 auth       varUint authType, varString reason      (server -> client only; 0 = permission denied)
 *     3 query-awareness                                    (peer asks for every known presence state)
 *
 * The room is the URL path; nothing in the frames names it.
 */
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'

export const MESSAGE_SYNC = 0
export const MESSAGE_AWARENESS = 1
export const MESSAGE_AUTH = 2
export const MESSAGE_QUERY_AWARENESS = 3

export const SYNC_STEP_1 = 0
export const SYNC_STEP_2 = 1
export const SYNC_UPDATE = 2

export type IncomingMessage =
  | { readonly kind: 'sync-step-1'; readonly stateVector: Uint8Array }
  | { readonly kind: 'sync-step-2'; readonly update: Uint8Array }
  | { readonly kind: 'update'; readonly update: Uint8Array }
  | { readonly kind: 'awareness'; readonly update: Uint8Array }
  | { readonly kind: 'query-awareness' }
  | { readonly kind: 'auth' }

/** A frame that does not follow the protocol. The session that sent it is closed with 1007. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError'
}

/**
 * Decodes one frame. Throws ProtocolError on truncation or an unknown type; the payloads
 * (updates, awareness) are returned as views into `data` and validated by their consumers.
 */
export function decodeMessage(data: Uint8Array): IncomingMessage {
  if (data.length === 0) throw new ProtocolError('empty frame')
  const decoder = decoding.createDecoder(data)
  try {
    const type = decoding.readVarUint(decoder)
    switch (type) {
      case MESSAGE_SYNC: {
        const step = decoding.readVarUint(decoder)
        const payload = readPayload(decoder)
        if (step === SYNC_STEP_1) return { kind: 'sync-step-1', stateVector: payload }
        if (step === SYNC_STEP_2) return { kind: 'sync-step-2', update: payload }
        if (step === SYNC_UPDATE) return { kind: 'update', update: payload }
        throw new ProtocolError(`unknown sync message type ${step}`)
      }
      case MESSAGE_AWARENESS:
        return { kind: 'awareness', update: readPayload(decoder) }
      case MESSAGE_QUERY_AWARENESS:
        return { kind: 'query-awareness' }
      case MESSAGE_AUTH:
        return { kind: 'auth' }
      default:
        throw new ProtocolError(`unknown message type ${type}`)
    }
  } catch (error) {
    if (error instanceof ProtocolError) throw error
    throw new ProtocolError(`truncated or malformed frame: ${(error as Error).message}`)
  }
}

function readPayload(decoder: decoding.Decoder): Uint8Array {
  const length = decoding.readVarUint(decoder)
  if (length > decoder.arr.length - decoder.pos) {
    throw new ProtocolError(`payload length ${length} exceeds the ${decoder.arr.length - decoder.pos} bytes left in the frame`)
  }
  return decoding.readUint8Array(decoder, length)
}

function encodeSync(step: number, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MESSAGE_SYNC)
  encoding.writeVarUint(encoder, step)
  encoding.writeVarUint8Array(encoder, payload)
  return encoding.toUint8Array(encoder)
}

export function encodeSyncStep1(stateVector: Uint8Array): Uint8Array {
  return encodeSync(SYNC_STEP_1, stateVector)
}

export function encodeSyncStep2(update: Uint8Array): Uint8Array {
  return encodeSync(SYNC_STEP_2, update)
}

export function encodeUpdate(update: Uint8Array): Uint8Array {
  return encodeSync(SYNC_UPDATE, update)
}

export function encodeAwarenessMessage(awarenessUpdate: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MESSAGE_AWARENESS)
  encoding.writeVarUint8Array(encoder, awarenessUpdate)
  return encoding.toUint8Array(encoder)
}

/** y-protocols' auth message "permission denied": the stock client logs the reason. */
export function encodePermissionDenied(reason: string): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MESSAGE_AUTH)
  encoding.writeVarUint(encoder, 0)
  encoding.writeVarString(encoder, reason)
  return encoding.toUint8Array(encoder)
}

export function encodeQueryAwareness(): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MESSAGE_QUERY_AWARENESS)
  return encoding.toUint8Array(encoder)
}
