import { useEffect, useRef, useState } from 'react'
import type { Person } from '../lib/use-presence'
import { initials } from '../lib/identity'

interface Props {
  readonly people: readonly Person[]
  readonly onEditName: () => void
  /** Scrolls the text to this person's caret. */
  readonly onJumpTo?: (person: Person) => void
  /** Offline: who else is here cannot be known until the connection is back. */
  readonly othersUnknown?: boolean
}

/** Joins and leaves, for screen readers: "Ben joined", "Ada left". */
function useArrivals(people: readonly Person[]): string {
  const [message, setMessage] = useState('')
  const previous = useRef<Map<number, string> | null>(null)
  useEffect(() => {
    const now = new Map(people.filter((p) => !p.isSelf).map((p) => [p.clientId, p.name]))
    const before = previous.current
    previous.current = now
    if (!before) return
    const joined = [...now].filter(([id]) => !before.has(id)).map(([, name]) => `${name} joined`)
    const left = [...before].filter(([id]) => !now.has(id)).map(([, name]) => `${name} left`)
    if (joined.length + left.length > 0) setMessage([...joined, ...left].join('. '))
  }, [people])
  return message
}

export function PresenceBar({ people, onEditName, onJumpTo, othersUnknown = false }: Props) {
  const others = people.filter((p) => !p.isSelf).length
  const arrivals = useArrivals(people)
  return (
    <>
      <ul className="presence" aria-label={`${people.length} ${people.length === 1 ? 'person' : 'people'} here`} data-testid="presence">
        {people.map((person) => (
          <li
            key={person.clientId}
            className={`person${person.idle ? ' idle' : ''}`}
            data-testid="person"
            data-name={person.name}
            title={person.idle ? `${person.name} (idle)` : person.name}
          >
            {person.isSelf ? (
              <button type="button" className="person-chip self" onClick={onEditName} aria-label={`You are ${person.name}. Change your name`}>
                <span className="avatar" style={{ background: person.color }} aria-hidden="true">
                  {initials(person.name)}
                </span>
                <span className="person-name">{person.name}</span>
                <span className="you">you</span>
              </button>
            ) : (
              <button
                type="button"
                className="person-chip"
                onClick={() => onJumpTo?.(person)}
                aria-label={`${person.name}${person.idle ? ', idle' : ''}. Go to their cursor`}
              >
                <span className="avatar" style={{ background: person.color }} aria-hidden="true">
                  {initials(person.name)}
                </span>
                <span className="person-name">{person.name}</span>
                {person.idle && <span className="idle-label">idle</span>}
              </button>
            )}
          </li>
        ))}
        {othersUnknown ? (
          <li className="alone">Others cannot be seen while offline</li>
        ) : (
          others === 0 && people.length > 0 && <li className="alone">Share the link to write together</li>
        )}
      </ul>
      <div className="visually-hidden" aria-live="polite" data-testid="arrivals">
        {arrivals}
      </div>
    </>
  )
}
