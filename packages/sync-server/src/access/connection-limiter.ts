import type { IncomingMessage } from 'node:http'
import { isIPv6 } from 'node:net'
import { RateLimiter } from './rate-limiter.js'

export interface ConnectionLimits {
  /** Open sessions per client address; 0 = no limit. */
  readonly maxConnectionsPerIp: number
  /**
   * Sustained rate of new sessions per client address, per minute; 0 = no limit. A whole
   * minute's worth may arrive at once (everyone reconnecting after a restart).
   */
  readonly maxNewConnectionsPerMinute: number
  /** Take the client address from the last X-Forwarded-For entry (set when behind a proxy). */
  readonly trustProxy: boolean
}

export type Admission = { readonly ok: true } | { readonly ok: false; readonly limit: 'ip-rate' | 'ip-connections'; readonly reason: string }

/** An address nobody used for this long is forgotten (its bucket would be full again anyway). */
const IDLE_MS = 60_000

interface Usage {
  open: number
  attempts: RateLimiter | null
  lastSeen: number
}

/**
 * Per-address caps on concurrent sessions and on the rate of new ones. IPv6 clients are
 * grouped by /64, the block one subscriber usually holds, so rotating addresses inside it
 * does not multiply the caps.
 */
export class ConnectionLimiter {
  private readonly usage = new Map<string, Usage>()
  private readonly sweeper: NodeJS.Timeout

  constructor(private readonly limits: ConnectionLimits) {
    // Addresses that went quiet are forgotten, so a scan over many addresses cannot grow the map for good.
    this.sweeper = setInterval(() => this.sweep(), IDLE_MS)
    this.sweeper.unref()
  }

  clientAddress(request: IncomingMessage): string {
    if (this.limits.trustProxy) {
      const forwarded = request.headers['x-forwarded-for']
      const last = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded)?.split(',').pop()?.trim()
      if (last) return addressGroup(last)
    }
    return addressGroup(request.socket.remoteAddress ?? 'unknown')
  }

  /**
   * Reserves a slot; a successful admission must be released once. Only admitted attempts
   * spend the rate: a client refused and retrying does not dig itself deeper.
   */
  admit(address: string, now = performance.now()): Admission {
    const usage = this.usageOf(address, now)
    const { maxNewConnectionsPerMinute: perMinute, maxConnectionsPerIp: concurrent } = this.limits
    if (concurrent > 0 && usage.open >= concurrent)
      return { ok: false, limit: 'ip-connections', reason: `more than ${concurrent} open connections from this address` }
    if (usage.attempts && !usage.attempts.take(1, now))
      return { ok: false, limit: 'ip-rate', reason: `more than ${perMinute} new connections per minute from this address` }
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

  private usageOf(address: string, now: number): Usage {
    let usage = this.usage.get(address)
    if (!usage) {
      const perMinute = this.limits.maxNewConnectionsPerMinute
      usage = { open: 0, attempts: perMinute > 0 ? new RateLimiter(perMinute / 60, now, perMinute) : null, lastSeen: now }
      this.usage.set(address, usage)
    }
    usage.lastSeen = now
    return usage
  }

  private sweep(now = performance.now()): void {
    for (const [address, usage] of this.usage) if (usage.open === 0 && now - usage.lastSeen >= IDLE_MS) this.usage.delete(address)
  }
}

/** The unit limits apply to: an IPv4 address, or the /64 of an IPv6 one (v4-mapped IPv6 is IPv4). */
export function addressGroup(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return mapped[1]!
  if (!isIPv6(address)) return address
  const [head = '', tail = ''] = address.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === '' ? [] : tail.split(':')
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left
  return `${groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`
}
