import { decodeAwarenessUpdate, type AwarenessEntry, type PresenceLimits } from './awareness-update.js'
import { CLOSE } from '@coedit/wire'
import { PolicyViolation } from './policy-violation.js'
import { ProtocolError, decodeMessage } from './protocol.js'
import type { CloseCause } from './session.js'

export { PolicyViolation }

/** What handling a message needs from a session: a way to answer it. */
export interface SessionPort {
  send(message: Uint8Array): boolean
}

/** What handling a message needs from a room. Each method throws ProtocolError on bad input. */
export interface RoomPort<S extends SessionPort> {
  /** `kind`: a peer's answer to sync step 1, or an update it made. */
  applyUpdate(update: Uint8Array, origin: S, kind: 'sync-step-2' | 'update'): void
  /** Entries: the update decoded and checked against the room's presence limits. */
  applyAwareness(update: Uint8Array, entries: readonly AwarenessEntry[], origin: S): void
  /** The bounds presence states are checked against. */
  readonly presenceLimits?: PresenceLimits
  /** The sync step 2 message answering a peer's state vector. */
  syncStep2For(stateVector: Uint8Array): Uint8Array
  /** An awareness message with every known presence state, or null when there is none. */
  awarenessSnapshot(): Uint8Array | null
}

export type MessageOutcome = { readonly ok: true } | { readonly ok: false; readonly cause: CloseCause; readonly code: number; readonly reason: string }

const OK: MessageOutcome = { ok: true }

/**
 * One protocol step: decode a frame, apply it to the room, answer the sender. Broadcasting
 * to the others is the room's business (it happens when the room has stored the change).
 */
export function handleMessage<S extends SessionPort>(room: RoomPort<S>, session: S, data: Uint8Array): MessageOutcome {
  try {
    const message = decodeMessage(data)
    switch (message.kind) {
      case 'sync-step-1':
        session.send(room.syncStep2For(message.stateVector))
        return OK
      case 'sync-step-2':
      case 'update':
        room.applyUpdate(message.update, session, message.kind)
        return OK
      case 'awareness':
        room.applyAwareness(message.update, decodeAwarenessUpdate(message.update, room.presenceLimits), session)
        return OK
      case 'query-awareness': {
        const snapshot = room.awarenessSnapshot()
        if (snapshot) session.send(snapshot)
        return OK
      }
      case 'auth':
        // Auth messages only flow server -> client; a client sending one is ignored, as the
        // reference implementation does.
        return OK
    }
  } catch (error) {
    if (error instanceof ProtocolError) return { ok: false, cause: 'protocol', code: CLOSE.invalidData, reason: error.message }
    if (error instanceof PolicyViolation) return { ok: false, cause: error.closeCause, code: CLOSE.policy, reason: error.message }
    throw error
  }
}
