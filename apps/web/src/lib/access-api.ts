import { useEffect, useState } from 'react'
import { syncServerUrl } from './sync-url'
import type { AccessRight } from './access-token'

export type AccessMode = 'open' | 'token'

/** The sync server's HTTP side: the page's origin in production, VITE_SYNC_URL's host in development. */
export function apiBase(): string {
  return syncServerUrl().replace(/^ws/, 'http')
}

/** Which mode the server is in; null while asking (or when it cannot be reached: offline is not a reason to block editing). */
export function useAccessMode(): AccessMode | null {
  const [mode, setMode] = useState<AccessMode | null>(null)
  useEffect(() => {
    let cancelled = false
    fetch(`${apiBase()}/api/access`)
      .then((response) => (response.ok ? (response.json() as Promise<{ mode?: unknown }>) : null))
      .then((body) => {
        if (!cancelled && (body?.mode === 'open' || body?.mode === 'token')) setMode(body.mode)
      })
      .catch(() => {})
    return () => {
      cancelled = true
    }
  }, [])
  return mode
}

async function postForToken(path: string, held: string, payload: object): Promise<string> {
  const response = await fetch(`${apiBase()}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${held}` },
    body: JSON.stringify(payload),
  })
  const body = (await response.json().catch(() => ({}))) as { token?: string; error?: string }
  if (!response.ok || !body.token) throw new Error(body.error ?? `the server answered ${response.status}`)
  return body.token
}

/** Asks the server for a link to this document with the given right, on the strength of the token held. */
export function mintToken(id: string, right: AccessRight, held: string): Promise<string> {
  return postForToken('/api/links', held, { doc: id, right })
}

/** Revokes every link to this document issued before now (the holder's own included); returns a fresh edit token. */
export function resetLinks(id: string, held: string): Promise<string> {
  return postForToken('/api/links/reset', held, { doc: id })
}
