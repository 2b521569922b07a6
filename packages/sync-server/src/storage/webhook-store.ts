import type { MaybePromise } from './document-storage.js'

export type WebhookEvent = 'document.changed' | 'document.deleted'

/** One event on its way to one receiver. `id` is the same on every attempt. */
export interface WebhookDelivery {
  readonly id: string
  readonly event: WebhookEvent
  readonly doc: string
  /** When the event happened (ms since the epoch). */
  readonly at: number
  readonly url: string
  readonly attempts: number
  /** The exact bytes sent the first time (retries send them again); null before the first attempt. */
  readonly body: string | null
}

export interface PromoteOptions {
  readonly now: number
  /** A change is due this long after the last edit... */
  readonly delayMs: number
  /** ...but never held longer than this after the first while edits keep coming. */
  readonly maxHoldMs: number
  readonly urls: readonly string[]
  readonly newId: () => string
}

/**
 * A durable outbox for webhooks, in the document store itself: a change is recorded in the
 * same transaction as the edit that causes it, so a crash after the edit cannot lose the
 * event. Due changes become one delivery per receiver; a delivery is leased while it is
 * being sent, so with several servers on one store each event is sent once.
 */
export interface WebhookStore {
  /** From now on, stored edits and deletions are recorded for webhooks. */
  enableWebhooks(): void
  /** Turns due changes into deliveries (atomically: each change is promoted by one server). */
  promoteChanges(options: PromoteOptions): MaybePromise<number>
  /** Deliveries due now, leased until `now + leaseMs` so no other server sends them meanwhile. */
  claimDeliveries(now: number, leaseMs: number, limit: number): MaybePromise<WebhookDelivery[]>
  deliveryDone(id: string): MaybePromise<void>
  /** Keeps the delivery for another attempt at `nextAt`, with the body that was sent. */
  deliveryFailed(id: string, nextAt: number, body: string): MaybePromise<void>
  pendingDeliveries(): MaybePromise<number>
}

export function isWebhookStore(value: unknown): value is WebhookStore {
  const candidate = value as Partial<WebhookStore> | null
  return typeof candidate?.enableWebhooks === 'function' && typeof candidate.claimDeliveries === 'function'
}
