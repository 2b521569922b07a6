/**
 * Links in token mode carry a signed token in the fragment (/d/<id>#token=...): browsers
 * never send fragments to servers or in Referer headers. The token is kept per document on
 * this device so reloads and the recent list keep working, and taken out of the address bar
 * so copying the URL by hand does not hand out edit rights.
 */

import { isAccessRight, type AccessRight } from '@coedit/wire'

export type { AccessRight }

export interface HeldToken {
  readonly token: string
  readonly right: AccessRight
  /** ms since the epoch */
  readonly expiresAt: number
  readonly name: string | null
}

const KEY = (id: string) => `coedit:token:${id}`

/** Reads what the token claims, for the interface only: the server checks the signature. */
export function readClaims(token: string): HeldToken | null {
  const payload = token.split('.')[1]
  if (!payload) return null
  try {
    const json = atob(
      payload
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(payload.length / 4) * 4, '='),
    )
    const claims = JSON.parse(json) as { right?: unknown; exp?: unknown; name?: unknown }
    if (!isAccessRight(claims.right) || typeof claims.exp !== 'number') return null
    return { token, right: claims.right, expiresAt: claims.exp * 1000, name: typeof claims.name === 'string' ? claims.name : null }
  } catch {
    return null
  }
}

/** The token for this document: from the link just opened, else the one kept on this device. */
export function takeToken(id: string, location: Location = window.location): HeldToken | null {
  const fromLink = new URLSearchParams(location.hash.slice(1)).get('token')
  if (fromLink) {
    const held = readClaims(fromLink)
    try {
      if (held) localStorage.setItem(KEY(id), fromLink)
    } catch {
      // Private mode without storage: the token still works for this page.
    }
    history.replaceState(history.state, '', location.pathname + location.search)
    if (held) return held
  }
  let kept: string | null = null
  try {
    kept = localStorage.getItem(KEY(id))
  } catch {
    kept = null
  }
  return kept ? readClaims(kept) : null
}

/** Keeps a new token for this document on this device (after a reset of its links). */
export function keepToken(id: string, token: string): HeldToken | null {
  const held = readClaims(token)
  try {
    if (held) localStorage.setItem(KEY(id), token)
  } catch {
    // Without storage the token still works for this page.
  }
  return held
}

export function linkFor(id: string, token: string, origin: string = window.location.origin): string {
  return `${origin}/d/${encodeURIComponent(id)}#token=${token}`
}
