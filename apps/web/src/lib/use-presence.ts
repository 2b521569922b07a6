import { useEffect, useState } from 'react'
import type { Awareness } from 'y-protocols/awareness'
import { safeColour } from '@coedit/textarea-binding'

export interface Person {
  readonly clientId: number
  readonly name: string
  readonly color: string
  readonly isSelf: boolean
  readonly idle: boolean
  /** The browser the person is in (tabs of one browser are one person); null when unknown. */
  readonly browser: string | null
}

export const IDLE_AFTER_MS = 60_000

/**
 * Everyone in the document, this person first, with idle marked after a minute without
 * activity. A person with the document open in several tabs of one browser is listed once.
 */
export function usePresence(awareness: Awareness | null): Person[] {
  const [people, setPeople] = useState<Person[]>([])
  useEffect(() => {
    if (!awareness) return
    // What this effect last showed; null: nothing yet, so the first read always shows.
    let shown: Person[] | null = null
    const read = (): void => {
      const now = Date.now()
      const all: Person[] = []
      for (const [clientId, state] of awareness.getStates()) {
        const user = state.user as { name?: unknown; color?: unknown; browser?: unknown } | undefined
        if (!user || typeof user.name !== 'string') continue
        const lastActive = typeof state.lastActive === 'number' ? state.lastActive : now
        all.push({
          clientId,
          name: user.name,
          color: safeColour(user.color),
          isSelf: clientId === awareness.clientID,
          idle: now - lastActive > IDLE_AFTER_MS,
          browser: typeof user.browser === 'string' ? user.browser : null,
        })
      }
      // This tab first, so another tab of this browser folds into it; an active tab beats an idle one.
      all.sort((a, b) => Number(b.isSelf) - Number(a.isSelf) || Number(a.idle) - Number(b.idle))
      const seen = new Set<string>()
      const list: Person[] = []
      for (const person of all) {
        if (person.browser !== null && seen.has(person.browser)) continue
        if (person.browser !== null) seen.add(person.browser)
        list.push(person)
      }
      list.sort((a, b) => Number(b.isSelf) - Number(a.isSelf) || a.name.localeCompare(b.name))
      // Carets move with every keystroke and say nothing the list shows: the page is not even
      // asked to render again then (a state update, even one that changes nothing, renders it).
      if (shown && samePeople(shown, list)) return
      shown = list
      setPeople(list)
    }
    read()
    awareness.on('change', read)
    // Idleness changes with time alone, not only with messages.
    const timer = setInterval(read, 10_000)
    return () => {
      awareness.off('change', read)
      clearInterval(timer)
    }
  }, [awareness])
  return people
}

function samePeople(a: readonly Person[], b: readonly Person[]): boolean {
  return (
    a.length === b.length &&
    a.every((p, i) => {
      const q = b[i]!
      return p.clientId === q.clientId && p.name === q.name && p.color === q.color && p.isSelf === q.isSelf && p.idle === q.idle && p.browser === q.browser
    })
  )
}

/** Marks this person active in presence on input, at most every 10 s. */
export function markActive(awareness: Awareness, last: { at: number }): void {
  const now = Date.now()
  if (now - last.at < 10_000) return
  last.at = now
  awareness.setLocalStateField('lastActive', now)
}
