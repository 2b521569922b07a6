import type { IncomingMessage } from 'node:http'
import { TOKEN_PROTOCOL_PREFIX } from '@coedit/wire'
import type { MaybePromise } from '../storage/document-storage.js'
import {
  grantCovers,
  secretKey,
  signAccessToken,
  verifyAccessToken,
  type AccessGrant,
  type AccessRight,
  type Clock,
  type TokenRequest,
} from './access-token.js'
import type { Revocation, RevocationList } from './revocations.js'

/** What a session may do, decided once at the upgrade. */
export interface SessionAccess {
  readonly right: AccessRight
  /** The holder's name from the token, for logs. */
  readonly user: string | null
  /** When the grant runs out (ms since the epoch); the session is closed then. null: never. */
  readonly expiresAt: number | null
  /** The token's id and signing time, which revocations name; null in open mode. */
  readonly tokenId: string | null
  readonly issuedAt: number | null
}

export type AccessDecision = { readonly ok: true; readonly access: SessionAccess } | { readonly ok: false; readonly status: 401 | 403; readonly reason: string }

/** Decides, before any document is loaded, whether an upgrade request may open a room. */
export interface AccessPolicy {
  readonly mode: 'open' | 'token'
  decide(request: IncomingMessage, room: string): MaybePromise<AccessDecision>
  /** Revocations in force; the server closes open sessions a new one names. */
  readonly revocations?: RevocationFeed | null
}

/** What the server needs from a revocation list: word of each new revocation. */
export interface RevocationFeed {
  on(event: 'revoked', listener: (revocation: Revocation) => void): unknown
  off(event: 'revoked', listener: (revocation: Revocation) => void): unknown
}

const FULL_ACCESS: AccessDecision = Object.freeze({
  ok: true,
  access: Object.freeze({ right: 'edit', user: null, expiresAt: null, tokenId: null, issuedAt: null }),
})

/** Anyone who can reach the server edits every document. */
export const OPEN_ACCESS: AccessPolicy = Object.freeze({ mode: 'open', decide: () => FULL_ACCESS })

// A client that wants its token out of URLs (and access logs) offers `coedit` and `coedit-token.<token>`.
export { COEDIT_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from '@coedit/wire'

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

export interface TokenPolicyOptions {
  /** Reads the time (ms since the epoch). Default Date.now. */
  readonly clock?: Clock
  /** Revoked tokens and documents; without it nothing can be revoked. */
  readonly revocations?: RevocationList | null
}

export type GrantCheck = { readonly ok: true; readonly grant: AccessGrant } | { readonly ok: false; readonly status: 401 | 403; readonly reason: string }

/** Every session needs a signed token naming its document (or a prefix of it). */
export class TokenAccessPolicy implements AccessPolicy {
  readonly mode = 'token'
  readonly revocations: RevocationList | null
  private readonly key: Uint8Array
  private readonly clock: Clock

  /** Throws WeakSecretError for secrets shorter than 32 bytes. */
  constructor(secret: string | Uint8Array, options: TokenPolicyOptions = {}) {
    this.key = secretKey(secret)
    this.clock = options.clock ?? Date.now
    this.revocations = options.revocations ?? null
  }

  async decide(request: IncomingMessage, room: string): Promise<AccessDecision> {
    const token = tokenFromUpgrade(request)
    if (token === null) return { ok: false, status: 401, reason: `token required: pass ?token=<token> or the subprotocol ${TOKEN_PROTOCOL_PREFIX}<token>` }
    const check = await this.checkFor(token, room)
    if (!check.ok) return check
    const { grant } = check
    return { ok: true, access: { right: grant.right, user: grant.name, expiresAt: grant.expiresAt, tokenId: grant.id, issuedAt: grant.issuedAt } }
  }

  /** Verifies a token and that it opens this document now: signature, expiry, scope, revocations. */
  async checkFor(token: string, doc: string): Promise<GrantCheck> {
    const check = await this.verify(token)
    if (!check.ok) return check
    if (!grantCovers(check.grant, doc)) return { ok: false, status: 403, reason: 'token does not grant access to this document' }
    const revoked = this.revocations?.check(check.grant, doc) ?? null
    if (revoked !== null) return { ok: false, status: 401, reason: revoked }
    return check
  }

  verify(token: string): ReturnType<typeof verifyAccessToken> {
    return verifyAccessToken(this.key, token, this.clock())
  }

  sign(request: TokenRequest): Promise<string> {
    return signAccessToken(this.key, request, this.clock())
  }
}
