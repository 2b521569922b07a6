import { SignJWT, errors, jwtVerify } from 'jose'

/**
 * Signed access tokens: JWTs (HS256, via jose) naming a document or a document-id prefix,
 * a right and an expiry. jose checks the signature with WebCrypto's HMAC verify, which
 * compares in constant time.
 */

import type { AccessRight } from '@coedit/wire'

export type { AccessRight }

export interface AccessGrant {
  /** A document id, or a prefix ending in '*' ('team-*'; '*' alone is every document). */
  readonly doc: string
  readonly right: AccessRight
  /** Display name of the holder, if the issuer named one. */
  readonly name: string | null
  /** Expiry, in milliseconds since the epoch. */
  readonly expiresAt: number
  /** The token's id (jti), which revocations name; null for tokens minted before ids existed. */
  readonly id: string | null
  /** When it was signed (ms since the epoch); null when the token does not say. */
  readonly issuedAt: number | null
}

export type TokenCheck = { readonly ok: true; readonly grant: AccessGrant } | { readonly ok: false; readonly status: 401; readonly reason: string }

/** Tokens minted for Coedit carry this audience, so a JWT issued for something else with the same secret is refused. */
const AUDIENCE = 'coedit'
const ALGORITHM = 'HS256'
/**
 * The longest a token may live. Bounded so that a revocation of "every token for this document
 * issued before now" can be forgotten once every token it could name has expired.
 */
export const MAX_TOKEN_LIFETIME_MS = 366 * 86_400_000
/** HS256 keys shorter than the hash add no strength; refusing them catches "secret=changeme". */
export const MIN_SECRET_BYTES = 32

export class WeakSecretError extends Error {
  override readonly name = 'WeakSecretError'
}

export function secretKey(secret: string | Uint8Array): Uint8Array {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret
  if (key.byteLength < MIN_SECRET_BYTES) throw new WeakSecretError(`the secret must be at least ${MIN_SECRET_BYTES} bytes, got ${key.byteLength}`)
  return key
}

export interface TokenRequest {
  readonly doc: string
  readonly right: AccessRight
  /** Absolute expiry in milliseconds since the epoch. */
  readonly expiresAt: number
  readonly name?: string | null
}

/** Reads the time; injected so tests (and verifiers) can run at any date. Milliseconds since the epoch. */
export type Clock = () => number

export async function signAccessToken(key: Uint8Array, request: TokenRequest, now: number = Date.now()): Promise<string> {
  if (request.doc.length === 0) throw new RangeError('doc must not be empty')
  if (request.right !== 'edit' && request.right !== 'view') throw new RangeError(`right must be edit or view, got ${String(request.right)}`)
  if (request.expiresAt - now > MAX_TOKEN_LIFETIME_MS) throw new RangeError(`a token may live at most ${MAX_TOKEN_LIFETIME_MS / 86_400_000} days`)
  const claims: Record<string, string> = { doc: request.doc, right: request.right }
  if (request.name) claims.name = request.name
  const exp = Math.floor(request.expiresAt / 1000)
  return (
    new SignJWT(claims)
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setAudience(AUDIENCE)
      .setJti(newTokenId(exp))
      // Milliseconds as a fraction (NumericDate allows it): "revoke everything issued before
      // now" must not catch the link minted in the same second right after.
      .setIssuedAt(now / 1000)
      .setExpirationTime(exp)
      .sign(key)
  )
}

/**
 * A token id carries the token's expiry (base 36 seconds) before a random part, so a
 * revocation by id alone knows when it may be forgotten.
 */
function newTokenId(expSeconds: number): string {
  const random = crypto.getRandomValues(new Uint8Array(12))
  return `${expSeconds.toString(36)}.${Buffer.from(random).toString('base64url')}`
}

/** The expiry (ms since the epoch) written into a token id, or null when it is not one of ours. */
export function tokenIdExpiry(id: string): number | null {
  const match = /^([0-9a-z]{1,11})\.[A-Za-z0-9_-]{16}$/.exec(id)
  return match ? parseInt(match[1]!, 36) * 1000 : null
}

export async function verifyAccessToken(key: Uint8Array, token: string, now: number = Date.now()): Promise<TokenCheck> {
  let payload: Record<string, unknown>
  try {
    ;({ payload } = await jwtVerify(token, key, { algorithms: [ALGORITHM], audience: AUDIENCE, requiredClaims: ['exp'], currentDate: new Date(now) }))
  } catch (error) {
    return { ok: false, status: 401, reason: refusalFor(error) }
  }
  const { doc, right, name, exp, jti, iat } = payload
  if (typeof doc !== 'string' || doc.length === 0) return { ok: false, status: 401, reason: 'malformed token: no doc claim' }
  if (right !== 'edit' && right !== 'view') return { ok: false, status: 401, reason: 'malformed token: right must be edit or view' }
  if (name !== undefined && typeof name !== 'string') return { ok: false, status: 401, reason: 'malformed token: name must be a string' }
  return {
    ok: true,
    grant: {
      doc,
      right,
      name: name ?? null,
      expiresAt: (exp as number) * 1000,
      id: typeof jti === 'string' ? jti : null,
      issuedAt: typeof iat === 'number' ? Math.round(iat * 1000) : null,
    },
  }
}

function refusalFor(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token expired'
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature is not valid'
  if (error instanceof errors.JWTClaimValidationFailed) return `token not accepted: ${error.message}`
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token not accepted: only HS256 tokens are accepted'
  return 'malformed token'
}

/** Whether a grant names this document: exactly, or by a prefix written as 'prefix*'. */
export function grantCovers(grant: Pick<AccessGrant, 'doc'>, docId: string): boolean {
  return grant.doc.endsWith('*') ? docId.startsWith(grant.doc.slice(0, -1)) : grant.doc === docId
}
