import type { Person } from '../lib/use-presence'
import { initials } from '../lib/identity'

interface Props {
  readonly people: readonly Person[]
  readonly onEditName: () => void
}

export function PresenceBar({ people, onEditName }: Props) {
  const others = people.filter((p) => !p.isSelf).length
  return (
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
            <span className="person-chip">
              <span className="avatar" style={{ background: person.color }} aria-hidden="true">
                {initials(person.name)}
              </span>
              <span className="person-name">{person.name}</span>
              {person.idle && <span className="idle-label">idle</span>}
            </span>
          )}
        </li>
      ))}
      {others === 0 && people.length > 0 && <li className="alone">Share the link to write together</li>}
    </ul>
  )
}
