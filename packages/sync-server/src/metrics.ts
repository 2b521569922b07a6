import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { CloseCause } from './session.js'

/**
 * Prometheus metrics for one server. Each server owns its registry, so two servers in one
 * process (tests, embedders) never share counters.
 */
export class ServerMetrics {
  readonly registry = new Registry()
  readonly sessions = new Gauge({ name: 'coedit_sessions', help: 'Open WebSocket sessions', registers: [this.registry] })
  readonly roomsLoaded = new Gauge({ name: 'coedit_rooms_loaded', help: 'Rooms whose document is in memory', registers: [this.registry] })
  readonly messagesIn = new Counter({ name: 'coedit_messages_in_total', help: 'Frames received from peers', registers: [this.registry] })
  readonly bytesIn = new Counter({ name: 'coedit_bytes_in_total', help: 'Bytes received from peers', registers: [this.registry] })
  readonly messagesOut = new Counter({ name: 'coedit_messages_out_total', help: 'Frames sent to peers', registers: [this.registry] })
  readonly bytesOut = new Counter({ name: 'coedit_bytes_out_total', help: 'Bytes sent to peers', registers: [this.registry] })
  readonly sessionsClosed = new Counter({
    name: 'coedit_sessions_closed_total',
    help: 'Sessions ended, by cause',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  })
  readonly evictions = new Counter({
    name: 'coedit_evictions_total',
    help: 'Sessions the server closed because of the peer (heartbeat, backpressure, protocol, too-large)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  })
  readonly incompleteUpdates = new Counter({
    name: 'coedit_updates_incomplete_total',
    help: 'Updates that built on content the document does not have; the part that could not apply was dropped and the sender closed',
    registers: [this.registry],
  })
  readonly presenceSpoofsDropped = new Counter({
    name: 'coedit_presence_spoofs_dropped_total',
    help: 'Presence entries dropped because another connection owns the client id',
    registers: [this.registry],
  })
  readonly throttled = new Counter({
    name: 'coedit_sessions_throttled_total',
    help: 'Times a session went over its message or byte rate and was slowed (its socket not read until the budget refilled)',
    registers: [this.registry],
  })
  readonly upgradesRefused = new Counter({
    name: 'coedit_upgrades_refused_total',
    help: 'WebSocket upgrades refused before a session existed, by HTTP status and reason',
    labelNames: ['status', 'reason'] as const,
    registers: [this.registry],
  })
  readonly storageAppendSeconds = new Histogram({
    name: 'coedit_storage_append_seconds',
    help: 'Time to durably append one batch of updates',
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  })
  readonly storageErrors = new Counter({
    name: 'coedit_storage_errors_total',
    help: 'Storage operations that failed, by operation',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  })
  readonly viewOnlyUpdatesDropped = new Counter({
    name: 'coedit_view_only_updates_dropped_total',
    help: 'Document updates from view-only sessions, dropped unstored',
    registers: [this.registry],
  })
  readonly relayPublished = new Counter({
    name: 'coedit_relay_published_total',
    help: 'Messages published to the cross-server relay, by type (u = update, a = presence, h = presence asked for, s = resync asked for, d = deleted)',
    labelNames: ['type'] as const,
    registers: [this.registry],
  })
  readonly relayConsumed = new Counter({
    name: 'coedit_relay_consumed_total',
    help: 'Messages from other servers applied from the relay, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  })
  readonly relayLag = new Histogram({
    name: 'coedit_relay_lag_seconds',
    help: 'Time from another server publishing a message to this server reading it',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  })
  readonly relayDropped = new Counter({
    name: 'coedit_relay_dropped_total',
    help: 'Relay messages dropped because Redis was away longer than the outbox holds, or (counted per document) written but not found in the stream; the other servers reload those documents from storage',
    labelNames: ['type'] as const,
    registers: [this.registry],
  })
  readonly relayQueued = new Gauge({
    name: 'coedit_relay_queued',
    help: 'Relay messages waiting in the outbox while Redis is away',
    registers: [this.registry],
  })
  readonly relayReconnects = new Counter({
    name: 'coedit_relay_reconnects_total',
    help: 'Times the relay got its Redis connection back',
    registers: [this.registry],
  })
  readonly compactions = new Counter({ name: 'coedit_compactions_total', help: 'Update logs compacted into a snapshot', registers: [this.registry] })

  recordSent(frames: number, bytesEach: number): void {
    if (frames === 0) return
    this.messagesOut.inc(frames)
    this.bytesOut.inc(frames * bytesEach)
  }

  recordClosed(cause: CloseCause, eviction: boolean): void {
    this.sessionsClosed.inc({ cause })
    if (eviction) this.evictions.inc({ reason: cause })
  }

  text(): Promise<string> {
    return this.registry.metrics()
  }
}
