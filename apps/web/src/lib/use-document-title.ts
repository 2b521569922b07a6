import { useCallback, useEffect, useState } from 'react'
import type { Collaboration } from './use-collaboration'

/** Longest title kept; more is cut (the tab and the Recent list show far less). */
export const MAX_TITLE = 200

/** Where the title lives: a field of the shared document beside its text. */
export function titleField(session: Collaboration): { get(): string; set(title: string): void; observe(f: () => void): () => void } {
  const meta = session.doc.getMap<unknown>('meta')
  return {
    get: () => {
      const value = meta.get('title')
      return typeof value === 'string' ? value : ''
    },
    set: (title) => meta.set('title', title.slice(0, MAX_TITLE)),
    observe: (f) => {
      meta.observe(f)
      return () => meta.unobserve(f)
    },
  }
}

/**
 * The document's own title, shared by everyone (the last one typed wins), and a setter. Empty
 * when nobody has named it: the first line of the text stands in then.
 */
export function useDocumentTitle(session: Collaboration | null): [string, (title: string) => void] {
  const [title, setTitle] = useState('')
  useEffect(() => {
    if (!session) return
    const field = titleField(session)
    const read = (): void => setTitle(field.get())
    read()
    return field.observe(read)
  }, [session])
  const update = useCallback((next: string) => session && titleField(session).set(next), [session])
  return [title, update]
}
