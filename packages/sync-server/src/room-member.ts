import type { CloseCause } from './session.js'
import type { PresenceSession } from './room-presence.js'

/**
 * What a room needs of a session: a way to send and close, what it may do, and its presence
 * bookkeeping. The server's sessions are sockets; a test can hand the room plain objects.
 */
export interface RoomMember extends PresenceSession {
  readonly id: number
  readonly canEdit: boolean
  /** The verified name of its token; null in open mode (its presence name is used then). */
  readonly tokenName?: string | null
  /** Open, or closing for a shutdown (its last edits are still taken). */
  readonly acceptsMessages: boolean
  /** Bytes queued for the peer and not yet sent. */
  readonly bufferedAmount: number
  /** A view-only peer is told once that its edits are dropped. */
  toldViewOnly: boolean
  send(message: Uint8Array): boolean
  close(cause: CloseCause, code: number, reason: string): void
}
