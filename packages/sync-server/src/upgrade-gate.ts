import type { IncomingMessage } from 'node:http'
import type { AccessPolicy, SessionAccess } from './access/access-policy.js'
import { ConnectionLimiter } from './access/connection-limiter.js'
import { hostAllowed, originAllowed } from './access/origin-policy.js'
import { roomNameFromPath } from './room-name.js'

/** Why an upgrade was refused: the /metrics label. */
export type RefusalKind =
  'shutting-down' | 'bad-path' | 'ip-rate' | 'ip-connections' | 'origin' | 'host' | 'unauthorized' | 'forbidden' | 'rooms-full' | 'deleted'

export type Admission =
  | { readonly ok: true; readonly room: string; readonly access: SessionAccess; readonly address: string }
  | { readonly ok: false; readonly status: number; readonly kind: RefusalKind; readonly reason: string }

export interface GateOptions {
  readonly pathPrefix: string
  readonly maxRoomNameLength: number
  readonly access: AccessPolicy
  readonly allowedOrigins: readonly string[]
  readonly allowLoopbackOrigins: boolean
  readonly allowedHosts: readonly string[]
  readonly maxConnectionsPerIp: number
  readonly maxNewConnectionsPerMinute: number
  readonly trustProxy: boolean
  readonly maxLoadedRooms: number
}

export interface GateState {
  isClosing(): boolean
  roomCount(): number
  hasRoom(name: string): boolean
}

/**
 * Every check an upgrade passes before a socket or a document exists, cheapest first, so
 * a flood of bad requests costs little: path, per-address limits, origin, token, room cap.
 * An admitted address holds a connection slot until `release`.
 */
export class UpgradeGate {
  private readonly limiter: ConnectionLimiter

  constructor(
    private readonly options: GateOptions,
    private readonly state: GateState,
  ) {
    this.limiter = new ConnectionLimiter(options)
  }

  /** Synchronous unless the access policy is (token checks are). */
  admit(request: IncomingMessage): Admission | Promise<Admission> {
    if (this.state.isClosing()) return refuse(503, 'shutting-down', 'server is shutting down')
    const room = roomNameFromPath(pathOf(request), this.options.pathPrefix, this.options.maxRoomNameLength)
    if (!room.ok) return refuse(room.status, 'bad-path', room.reason)
    if (!hostAllowed(request, this.options.allowedHosts)) return refuse(403, 'host', `host ${request.headers.host ?? ''} is not allowed`)
    const address = this.limiter.clientAddress(request)
    const slot = this.limiter.admit(address)
    if (!slot.ok) return refuse(429, slot.limit, slot.reason)
    if (!originAllowed(request, { allowedOrigins: this.options.allowedOrigins, allowLoopback: this.options.allowLoopbackOrigins })) {
      this.limiter.release(address)
      return refuse(403, 'origin', `origin ${request.headers.origin ?? ''} is not allowed`)
    }
    const decision = this.options.access.decide(request, room.name)
    const finish = (result: Awaited<typeof decision>): Admission => {
      const admission = this.afterAccess(result, room.name, address)
      if (!admission.ok) this.limiter.release(address)
      return admission
    }
    return decision instanceof Promise
      ? decision.then(finish, (error: unknown) => finish({ ok: false, status: 401, reason: `token check failed: ${String(error)}` }))
      : finish(decision)
  }

  addressOf(request: IncomingMessage): string {
    return this.limiter.clientAddress(request)
  }

  release(address: string): void {
    this.limiter.release(address)
  }

  close(): void {
    this.limiter.close()
  }

  private afterAccess(decision: Awaited<ReturnType<AccessPolicy['decide']>>, room: string, address: string): Admission {
    if (!decision.ok) return refuse(decision.status, decision.status === 401 ? 'unauthorized' : 'forbidden', decision.reason)
    // Checked after the (possibly slow) token check, so the count is current.
    if (this.state.isClosing()) return refuse(503, 'shutting-down', 'server is shutting down')
    const cap = this.options.maxLoadedRooms
    if (cap > 0 && this.state.roomCount() >= cap && !this.state.hasRoom(room)) {
      return refuse(503, 'rooms-full', `too many documents open on this server (${cap}); try again later`)
    }
    return { ok: true, room, access: decision.access, address }
  }
}

function refuse(status: number, kind: RefusalKind, reason: string): Admission {
  return { ok: false, status, kind, reason }
}

export function pathOf(request: IncomingMessage): string {
  const url = request.url ?? '/'
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}
