import { VIEW_ROOM_PREFIX, isViewRoom } from '@coedit/wire'

/** 16 random bytes (128 bits) in base64url: 22 URL-safe characters nobody can guess. */
export function newDocumentId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

const DOCUMENT_ID = /^[A-Za-z0-9_-]{8,128}$/

/** A document id, or a view link's room (~view/<id>: the document it opens stays untold). */
export function isDocumentId(id: string): boolean {
  return DOCUMENT_ID.test(isViewRoom(id) ? id.slice(VIEW_ROOM_PREFIX.length) : id)
}

export function documentPath(id: string): string {
  return isViewRoom(id) ? `/v/${id.slice(VIEW_ROOM_PREFIX.length)}` : `/d/${id}`
}

/**
 * The id in /d/<id> (or ~view/<id> for /v/<id>, a view link), or null on any other path; a
 * malformed id is returned as is for the page to refuse.
 */
export function documentIdFromPath(pathname: string): string | null {
  const match = /^\/([dv])\/([^/]*)\/?$/.exec(pathname)
  if (!match) return null
  let id: string
  try {
    id = decodeURIComponent(match[2] ?? '')
  } catch {
    id = match[2] ?? ''
  }
  return match[1] === 'v' ? `${VIEW_ROOM_PREFIX}${id}` : id
}
