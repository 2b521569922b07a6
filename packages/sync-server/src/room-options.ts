import type { Logger } from 'pino'
import type { DocumentStorage } from './storage/document-storage.js'
import type { ServerMetrics } from './metrics.js'
import type { CommitQueue } from './commit-queue.js'
import type { ClusterRelay } from './cluster/cluster-relay.js'
import type { PresenceLimits } from './awareness-update.js'
import type { HistoryOptions } from './room-history.js'
import type { Room } from './room.js'

/** What a room is given by the server that holds it. */
export interface RoomOptions {
  readonly storage: DocumentStorage
  readonly metrics: ServerMetrics
  readonly log: Logger
  readonly unloadDelayMs: number
  readonly compactAfterUpdates: number
  readonly compactAfterBytes: number
  /** Frames a session may send while the room is still loading before it is closed. */
  readonly maxQueuedMessages: number
  /** Under load, updates relayed within this window share one frame. */
  readonly relayWindowMs: number
  /** The server's group commit. */
  readonly commits: CommitQueue
  /** Refuse updates that would grow the encoded document past this; 0 = no cap. */
  readonly maxDocumentBytes: number
  /** Other servers holding the same rooms, when running as a cluster. */
  readonly cluster: ClusterRelay | null
  /** Bounds of one presence state. */
  readonly presenceLimits?: PresenceLimits
  /** When versions are cut; null keeps no history (nor does a store without it). */
  readonly history: HistoryOptions | null
  /** Called once when the room has left memory (or failed to load) so the registry forgets it. */
  readonly onUnloaded: (room: Room) => void
}
