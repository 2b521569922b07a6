import { createHmac, randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { Counter, Gauge, type Registry } from 'prom-client'
import { DocumentError, type DocumentService, type WebhookDelivery, type WebhookStore } from '@coedit/sync-server'

export interface WebhookOptions {
  readonly urls: readonly string[]
  /** HMAC-SHA256 key for X-Coedit-Signature; null sends unsigned events. */
  readonly secret: string | null
  /** document.changed waits this long after the last edit... */
  readonly delayMs: number
  /** ...and no longer than this after the first. */
  readonly maxHoldMs?: number
  /** A receiver that has not answered 2xx within this is retried. */
  readonly timeoutMs?: number
  /** First retry after this; each next waits twice as long, up to an hour. */
  readonly retryBaseMs?: number
  /** Attempts before an event is given up (logged as an error). */
  readonly maxAttempts?: number
  readonly tickMs?: number
}

const HOUR_MS = 3_600_000

/** The wait before attempt `attempts + 1`: doubling, capped at an hour, with ±20% so receivers coming back are not stampeded. */
export function retryDelay(attempts: number, baseMs: number, random = Math.random): number {
  return Math.round(Math.min(HOUR_MS, baseMs * 2 ** attempts) * (0.8 + 0.4 * random()))
}

export function signature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

/**
 * Sends webhook events from the store's outbox: promotes due changes to deliveries, leases a
 * batch, POSTs each (signed), and keeps failures for a later attempt. Everything it needs to
 * resume lives in the store, so a restart (or a kill) loses no event, and in a cluster the
 * lease makes each event go out from one server.
 */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | null = null
  private running: Promise<void> | null = null
  private readonly delivered: Counter<'event'>
  private readonly failed: Counter<'reason'>
  private readonly dropped: Counter
  private readonly options: Required<WebhookOptions>

  constructor(
    private readonly store: WebhookStore,
    private readonly documents: DocumentService,
    options: WebhookOptions,
    private readonly log: Logger,
    registry: Registry,
  ) {
    this.options = { maxHoldMs: 10_000, timeoutMs: 10_000, retryBaseMs: 1_000, maxAttempts: 16, tickMs: 200, ...options }
    this.delivered = new Counter({
      name: 'coedit_webhook_delivered_total',
      help: 'Webhook events a receiver accepted (2xx)',
      labelNames: ['event'],
      registers: [registry],
    })
    this.failed = new Counter({
      name: 'coedit_webhook_failed_attempts_total',
      help: 'Webhook attempts that got no 2xx in time (each is retried)',
      labelNames: ['reason'],
      registers: [registry],
    })
    this.dropped = new Counter({ name: 'coedit_webhook_dropped_total', help: 'Webhook events given up after the last attempt', registers: [registry] })
    new Gauge({
      name: 'coedit_webhook_pending',
      help: 'Webhook deliveries waiting to be sent or retried',
      registers: [registry],
      async collect() {
        this.set(await store.pendingDeliveries())
      },
    })
  }

  start(): void {
    this.store.enableWebhooks()
    this.schedule()
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    await this.running
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = null
        if (this.timer) this.schedule()
      })
    }, this.options.tickMs)
    this.timer.unref()
  }

  private async tick(): Promise<void> {
    const now = Date.now()
    try {
      await this.store.promoteChanges({ now, delayMs: this.options.delayMs, maxHoldMs: this.options.maxHoldMs, urls: this.options.urls, newId: randomUUID })
      const due = await this.store.claimDeliveries(now, this.options.timeoutMs * 2, 50)
      await Promise.all(due.map((delivery) => this.send(delivery)))
    } catch (error) {
      this.log.error({ err: (error as Error).message }, 'webhook outbox could not be read; retrying')
    }
  }

  private async send(delivery: WebhookDelivery): Promise<void> {
    const body =
      delivery.body ??
      JSON.stringify({ event: delivery.event, doc: delivery.doc, at: new Date(delivery.at).toISOString(), length: await this.lengthOf(delivery) })
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'coedit-webhooks',
      'x-coedit-event': delivery.event,
      'x-coedit-delivery': delivery.id,
    }
    if (this.options.secret) headers['x-coedit-signature'] = signature(body, this.options.secret)
    let reason: string
    try {
      const response = await fetch(delivery.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.options.timeoutMs) })
      await response.body?.cancel()
      if (response.ok) {
        await this.store.deliveryDone(delivery.id)
        this.delivered.inc({ event: delivery.event })
        return
      }
      reason = `HTTP ${response.status}`
    } catch (error) {
      reason = (error as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable'
    }
    this.failed.inc({ reason: reason.startsWith('HTTP') ? 'status' : reason })
    if (delivery.attempts + 1 >= this.options.maxAttempts) {
      await this.store.deliveryDone(delivery.id)
      this.dropped.inc()
      this.log.error(
        { url: delivery.url, event: delivery.event, doc: delivery.doc, delivery: delivery.id, attempts: delivery.attempts + 1, reason },
        'webhook given up',
      )
      return
    }
    const wait = retryDelay(delivery.attempts, this.options.retryBaseMs)
    await this.store.deliveryFailed(delivery.id, Date.now() + wait, body)
    this.log.warn(
      { url: delivery.url, event: delivery.event, doc: delivery.doc, delivery: delivery.id, reason, retryInMs: wait },
      'webhook not accepted; will retry',
    )
  }

  private async lengthOf(delivery: WebhookDelivery): Promise<number> {
    if (delivery.event === 'document.deleted') return 0
    try {
      return (await this.documents.text(delivery.doc)).length
    } catch (error) {
      if (error instanceof DocumentError) return 0
      throw error
    }
  }
}
