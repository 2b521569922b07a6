import { useEffect, useState } from 'react'
import type { Awareness } from 'y-protocols/awareness'
import { safeColour } from '@coedit/textarea-binding'

export interface Person {
  readonly clientId: number
  readonly name: string
  readonly color: string
  readonly isSelf: boolean
  readonly idle: boolean
}

export const IDLE_AFTER_MS = 60_000

/** Everyone in the document, this person first, with idle marked after a minute without activity. */
export function usePresence(awareness: Awareness | null): Person[] {
  const [people, setPeople] = useState<Person[]>([])
  useEffect(() => {
    if (!awareness) return
    const read = (): void => {
      const now = Date.now()
      const list: Person[] = []
      for (const [clientId, state] of awareness.getStates()) {
        const user = state.user as { name?: unknown; color?: unknown } | undefined
        if (!user || typeof user.name !== 'string') continue
        const lastActive = typeof state.lastActive === 'number' ? state.lastActive : now
        list.push({
          clientId,
          name: user.name,
          color: safeColour(user.color),
          isSelf: clientId === awareness.clientID,
          idle: now - lastActive > IDLE_AFTER_MS,
        })
      }
      list.sort((a, b) => Number(b.isSelf) - Number(a.isSelf) || a.name.localeCompare(b.name))
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

/** Marks this person active in presence on input, at most every 10 s. */
export function markActive(awareness: Awareness, last: { at: number }): void {
  const now = Date.now()
  if (now - last.at < 10_000) return
  last.at = now
  awareness.setLocalStateField('lastActive', now)
}
