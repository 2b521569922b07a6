export interface RecentDocument {
  readonly id: string
  readonly title: string
  readonly openedAt: number
}

const STORAGE_KEY = 'coedit:recent'
const LIMIT = 20

export function loadRecentDocuments(): RecentDocument[] {
  try {
    const list = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]') as unknown
    if (!Array.isArray(list)) return []
    return list.filter((d): d is RecentDocument => typeof d?.id === 'string' && typeof d?.title === 'string' && typeof d?.openedAt === 'number')
  } catch {
    return []
  }
}

/** Records that this browser opened a document (most recent first, at most 20). */
export function rememberDocument(id: string, title: string): void {
  const rest = loadRecentDocuments().filter((d) => d.id !== id)
  const list = [{ id, title, openedAt: Date.now() }, ...rest].slice(0, LIMIT)
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(list))
  } catch {
    // Storage full or refused: the list is a convenience.
  }
}

export function forgetDocument(id: string): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(loadRecentDocuments().filter((d) => d.id !== id)))
  } catch {
    // Nothing to do.
  }
}
