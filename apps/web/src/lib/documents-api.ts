import { apiBase } from './access-api'
import { newDocumentId } from './document-id'

/** Files the home page opens as new documents: text only, and within the server's default cap. */
export const MAX_IMPORT_BYTES = 16 * 1024 * 1024

/**
 * Creates a stored document (with a first text) and returns its id, so a link shared before
 * anyone types already opens it. Without a server (offline), a fresh id still works: the
 * document is stored when this browser next syncs, unless there is text to import.
 */
export async function createDocument(text = ''): Promise<string> {
  let response: Response
  try {
    response = await fetch(`${apiBase()}/api/docs`, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: text })
  } catch {
    if (text) throw new Error('the server cannot be reached, so the file cannot be stored; try again when online')
    return newDocumentId()
  }
  const body = (await response.json().catch(() => ({}))) as { id?: string; error?: string }
  if (!response.ok || !body.id) throw new Error(body.error ?? `the server answered ${response.status}`)
  return body.id
}

/** Creates the document at this id (an empty PUT), for a link that pointed at nothing yet. */
export async function createDocumentAt(id: string, token: string | null): Promise<void> {
  const response = await fetch(`${apiBase()}/api/docs/${encodeURIComponent(id)}/text`, {
    method: 'PUT',
    headers: { 'content-type': 'text/plain; charset=utf-8', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: '',
  })
  if (response.ok) return
  const body = (await response.json().catch(() => ({}))) as { error?: string }
  throw new Error(body.error ?? `the server answered ${response.status}`)
}

/** The view link of an open-mode document (made on first ask): it opens the document read-only. */
export async function viewLink(id: string): Promise<string> {
  const response = await fetch(`${apiBase()}/api/docs/${encodeURIComponent(id)}/view-link`, { method: 'POST' })
  const body = (await response.json().catch(() => ({}))) as { viewId?: string; error?: string }
  if (!response.ok || !body.viewId) throw new Error(body.error ?? `the server answered ${response.status}`)
  // The page's own origin, as the editor link is: the server may not know the name it is reached by.
  return `${window.location.origin}/v/${encodeURIComponent(body.viewId)}`
}

export async function deleteDocument(id: string, token: string | null): Promise<void> {
  const response = await fetch(`${apiBase()}/api/docs/${encodeURIComponent(id)}`, {
    method: 'DELETE',
    headers: token ? { authorization: `Bearer ${token}` } : {},
  })
  if (response.status === 204 || response.status === 410) return
  const body = (await response.json().catch(() => ({}))) as { error?: string }
  throw new Error(body.error ?? `the server answered ${response.status}`)
}

/** Reads a dropped or chosen file as text; refuses what is not text or too large, with a reason. */
export async function readTextFile(file: File): Promise<string> {
  if (file.size > MAX_IMPORT_BYTES) throw new Error(`${file.name} is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB`)
  const known = /\.(txt|md|markdown|text)$/i.test(file.name) || file.type.startsWith('text/')
  if (!known) throw new Error(`${file.name} is not a text file (.txt or .md)`)
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(await file.arrayBuffer())
  } catch {
    throw new Error(`${file.name} is not UTF-8 text`)
  }
}
