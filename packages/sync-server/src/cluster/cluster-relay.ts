/** What a room hears from the other servers of a cluster. */
export interface RemoteEvents {
  /** A document update another server accepted and stored. */
  update(update: Uint8Array): void
  /** An awareness update from another server's sessions. */
  awareness(update: Uint8Array, server: string): void
  /** That server stopped answering: the presence it relayed must go. */
  serverGone(server: string): void
  /** Messages may have been missed (the relay reconnected): reload from shared storage. */
  resync(): void
  /** Another server deleted the document: close its sessions here too. */
  deleted?(): void
  /** Another server just loaded the room and asks who is present here. */
  presenceWanted?(): void
}

/** A room's line to the rest of the cluster. */
export interface RoomChannel {
  publishUpdate(update: Uint8Array): void
  publishAwareness(update: Uint8Array): void
  /** Tells the other servers the document was deleted (optional for custom relays). */
  publishDeleted?(): void
  leave(): void
}

import type { ServerMetrics } from '../metrics.js'

/** Carries updates and presence between servers holding the same room. */
export interface ClusterRelay {
  readonly serverId: string
  /** The server's metrics, for the relay's own counters. */
  bindMetrics?(metrics: ServerMetrics): void
  /** Subscribes while the room is loaded; `leave` ends it. */
  join(room: string, events: RemoteEvents): RoomChannel
  /** Throws when the relay cannot reach its service; used by /healthz. */
  check(): void
  close(): Promise<void>
}
