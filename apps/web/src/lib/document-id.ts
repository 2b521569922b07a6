/** 16 random bytes (128 bits) in base64url: 22 URL-safe characters nobody can guess. */
export function newDocumentId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

const DOCUMENT_ID = /^[A-Za-z0-9_-]{8,128}$/

export function isDocumentId(id: string): boolean {
  return DOCUMENT_ID.test(id)
}

export function documentPath(id: string): string {
  return `/d/${id}`
}

/** The id in /d/<id>, or null on any other path; a malformed id is returned as is for the page to refuse. */
export function documentIdFromPath(pathname: string): string | null {
  const match = /^\/d\/([^/]*)\/?$/.exec(pathname)
  if (!match) return null
  try {
    return decodeURIComponent(match[1] ?? '')
  } catch {
    return match[1] ?? ''
  }
}
