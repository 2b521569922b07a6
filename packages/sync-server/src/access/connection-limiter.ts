import type { IncomingMessage } from 'node:http'

export interface ConnectionLimits {
  /** Open sessions per client address; 0 = no limit. */
  readonly maxConnectionsPerIp: number
  /** Upgrade attempts per client address per minute (refused ones count too); 0 = no limit. */
  readonly maxNewConnectionsPerMinute: number
  /** Take the client address from the last X-Forwarded-For entry (set when behind a proxy). */
  readonly trustProxy: boolean
}

export type Admission = { readonly ok: true } | { readonly ok: false; readonly limit: 'ip-rate' | 'ip-connections'; readonly reason: string }

const WINDOW_MS = 60_000

interface Usage {
  open: number
  /** Start times of the attempts inside the last minute, oldest first. */
  attempts: number[]
}

/** Per-address caps on concurrent sessions and on the rate of new ones. */
export class ConnectionLimiter {
  private readonly usage = new Map<string, Usage>()
  private readonly sweeper: NodeJS.Timeout

  constructor(private readonly limits: ConnectionLimits) {
    // Addresses that went quiet are forgotten, so a scan over many addresses cannot grow the map for good.
    this.sweeper = setInterval(() => this.sweep(), WINDOW_MS)
    this.sweeper.unref()
  }

  clientAddress(request: IncomingMessage): string {
    if (this.limits.trustProxy) {
      const forwarded = request.headers['x-forwarded-for']
      const last = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded)?.split(',').pop()?.trim()
      if (last) return last
    }
    return request.socket.remoteAddress ?? 'unknown'
  }

  /** Counts an attempt and reserves a slot; a successful admission must be released once. */
  admit(address: string, now = performance.now()): Admission {
    const usage = this.usageOf(address)
    const { maxNewConnectionsPerMinute: perMinute, maxConnectionsPerIp: concurrent } = this.limits
    if (perMinute > 0) {
      trim(usage.attempts, now)
      if (usage.attempts.length >= perMinute) return { ok: false, limit: 'ip-rate', reason: `more than ${perMinute} new connections per minute from this address` }
      usage.attempts.push(now)
    }
    if (concurrent > 0 && usage.open >= concurrent) return { ok: false, limit: 'ip-connections', reason: `more than ${concurrent} open connections from this address` }
    usage.open++
    return { ok: true }
  }

  release(address: string): void {
    const usage = this.usage.get(address)
    if (usage && usage.open > 0) usage.open--
  }

  close(): void {
    clearInterval(this.sweeper)
  }

  private usageOf(address: string): Usage {
    let usage = this.usage.get(address)
    if (!usage) {
      usage = { open: 0, attempts: [] }
      this.usage.set(address, usage)
    }
    return usage
  }

  private sweep(now = performance.now()): void {
    for (const [address, usage] of this.usage) {
      trim(usage.attempts, now)
      if (usage.open === 0 && usage.attempts.length === 0) this.usage.delete(address)
    }
  }
}

function trim(attempts: number[], now: number): void {
  let expired = 0
  while (expired < attempts.length && attempts[expired]! <= now - WINDOW_MS) expired++
  if (expired > 0) attempts.splice(0, expired)
}
