import type { IncomingMessage } from 'node:http'
import type { MaybePromise } from '../storage/document-storage.js'
import { grantCovers, secretKey, signAccessToken, verifyAccessToken, type AccessRight, type Clock, type TokenRequest } from './access-token.js'

/** What a session may do, decided once at the upgrade. */
export interface SessionAccess {
  readonly right: AccessRight
  /** The holder's name from the token, for logs. */
  readonly user: string | null
  /** When the grant runs out (ms since the epoch); the session is closed then. null: never. */
  readonly expiresAt: number | null
}

export type AccessDecision = { readonly ok: true; readonly access: SessionAccess } | { readonly ok: false; readonly status: 401 | 403; readonly reason: string }

/** Decides, before any document is loaded, whether an upgrade request may open a room. */
export interface AccessPolicy {
  readonly mode: 'open' | 'token'
  decide(request: IncomingMessage, room: string): MaybePromise<AccessDecision>
}

const FULL_ACCESS: AccessDecision = Object.freeze({ ok: true, access: Object.freeze({ right: 'edit', user: null, expiresAt: null }) })

/** Anyone who can reach the server edits every document. */
export const OPEN_ACCESS: AccessPolicy = Object.freeze({ mode: 'open', decide: () => FULL_ACCESS })

/**
 * Browsers cannot set headers on a WebSocket, but they can offer subprotocols: a client that
 * wants its token out of URLs (and access logs) offers `coedit` and `coedit-token.<token>`.
 */
export const TOKEN_PROTOCOL_PREFIX = 'coedit-token.'
export const COEDIT_PROTOCOL = 'coedit'

/** The token from the Sec-WebSocket-Protocol header, else from the `token` query parameter. */
export function tokenFromUpgrade(request: IncomingMessage): string | null {
  const offered = request.headers['sec-websocket-protocol']
  if (offered) {
    for (const entry of offered.split(',')) {
      const protocol = entry.trim()
      if (protocol.startsWith(TOKEN_PROTOCOL_PREFIX)) return protocol.slice(TOKEN_PROTOCOL_PREFIX.length)
    }
  }
  const url = request.url ?? '/'
  const query = url.indexOf('?')
  if (query === -1) return null
  const token = new URLSearchParams(url.slice(query + 1)).get('token')
  return token === null || token === '' ? null : token
}

/** Every session needs a signed token naming its document (or a prefix of it). */
export class TokenAccessPolicy implements AccessPolicy {
  readonly mode = 'token'
  private readonly key: Uint8Array

  /** Throws WeakSecretError for secrets shorter than 32 bytes. */
  constructor(
    secret: string | Uint8Array,
    private readonly clock: Clock = Date.now,
  ) {
    this.key = secretKey(secret)
  }

  async decide(request: IncomingMessage, room: string): Promise<AccessDecision> {
    const token = tokenFromUpgrade(request)
    if (token === null) return { ok: false, status: 401, reason: `token required: pass ?token=<token> or the subprotocol ${TOKEN_PROTOCOL_PREFIX}<token>` }
    const check = await this.verify(token)
    if (!check.ok) return check
    if (!grantCovers(check.grant, room)) return { ok: false, status: 403, reason: 'token does not grant access to this document' }
    return { ok: true, access: { right: check.grant.right, user: check.grant.name, expiresAt: check.grant.expiresAt } }
  }

  verify(token: string): ReturnType<typeof verifyAccessToken> {
    return verifyAccessToken(this.key, token, this.clock())
  }

  sign(request: TokenRequest): Promise<string> {
    return signAccessToken(this.key, request, this.clock())
  }
}
