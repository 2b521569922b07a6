import { useEffect, useState } from 'react'
import { byDay, colorForName, listVersions, nameVersion, versionTitle, type Version } from '../lib/history-api'
import { initials } from '../lib/identity'

export interface LegendEntry {
  readonly name: string
  readonly color: string
}

interface Props {
  readonly id: string
  readonly token: string | null
  readonly canEdit: boolean
  /** The name versions named here are recorded under (open mode). */
  readonly author: string
  /** Colours of the people present, by name; others get a steady colour of their own. */
  readonly colors: ReadonlyMap<string, string>
  readonly selected: string | null
  readonly onSelect: (version: Version | null) => void
  readonly showAuthors: boolean
  readonly onShowAuthors: (show: boolean) => void
  readonly legend: readonly LegendEntry[]
  /** Changes when the list must be read again (a restore was recorded). */
  readonly refreshKey: number
  /** Token mode names people from their verified links; open mode names are typed by each person. */
  readonly namesVerified: boolean
  readonly onClose: () => void
}

const REFRESH_MS = 15_000

/** The History side panel: versions by day, naming the current state, and Show authors. */
export function HistoryPanel(props: Props) {
  const { id, token, selected, onSelect, refreshKey } = props
  const [versions, setVersions] = useState<Version[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [naming, setNaming] = useState(false)
  const [name, setName] = useState('')
  const [named, setNamed] = useState(0)

  useEffect(() => {
    let cancelled = false
    const load = (): void => {
      listVersions(id, token).then(
        (list) => {
          if (cancelled) return
          setVersions(list)
          setError(null)
        },
        (problem: unknown) => !cancelled && setError(`History could not be loaded: ${(problem as Error).message}.`),
      )
    }
    load()
    const timer = setInterval(load, REFRESH_MS)
    return () => {
      cancelled = true
      clearInterval(timer)
    }
  }, [id, token, refreshKey, named])

  const colorOf = (person: string): string => props.colors.get(person) ?? colorForName(person)

  return (
    <aside className="history-panel" aria-label="History">
      <div className="history-head">
        <h2>History</h2>
        <button type="button" className="button ghost" onClick={props.onClose} aria-label="Close history">
          Close
        </button>
      </div>
      <label className="history-toggle">
        <input type="checkbox" checked={props.showAuthors} onChange={(event) => props.onShowAuthors(event.target.checked)} />
        Show authors
      </label>
      {props.showAuthors && (
        <div className="history-legend" data-testid="authors-legend">
          <ul>
            {props.legend.map((entry) => (
              <li key={entry.name}>
                <span className="legend-swatch" style={{ background: entry.color }} aria-hidden="true" />
                {entry.name}
              </li>
            ))}
          </ul>
          {!props.namesVerified && <p className="history-note">Names are the ones people gave themselves here.</p>}
        </div>
      )}
      {props.canEdit &&
        (naming ? (
          <form
            className="history-name-form"
            onSubmit={(event) => {
              event.preventDefault()
              nameVersion(id, token, name, props.author).then(
                () => {
                  setNaming(false)
                  setName('')
                  setNamed((n) => n + 1)
                },
                (problem: unknown) => setError(`The version could not be named: ${(problem as Error).message}.`),
              )
            }}
          >
            <label>
              Name for the current version
              <input value={name} maxLength={200} required autoFocus onChange={(event) => setName(event.target.value)} />
            </label>
            <div className="history-name-actions">
              <button type="submit" className="button primary">
                Save name
              </button>
              <button type="button" className="button ghost" onClick={() => setNaming(false)}>
                Cancel
              </button>
            </div>
          </form>
        ) : (
          <button type="button" className="button" onClick={() => setNaming(true)}>
            Name current version…
          </button>
        ))}
      {error && (
        <p className="history-error" role="alert">
          {error}
        </p>
      )}
      {versions === null && !error && <p className="history-note">Loading versions…</p>}
      {versions?.length === 0 && <p className="history-note">No versions yet. One is kept each time people pause writing.</p>}
      {versions && versions.length > 0 && (
        <div className="history-list">
          {byDay(versions).map((group) => (
            <section key={group.day} aria-label={group.day}>
              <h3>{group.day}</h3>
              <ul>
                {group.versions.map((version) => (
                  <li key={version.id}>
                    <button
                      type="button"
                      className={`version${selected === version.id ? ' selected' : ''}`}
                      aria-pressed={selected === version.id}
                      data-testid="version"
                      onClick={() => onSelect(selected === version.id ? null : version)}
                    >
                      <span className="version-time">{new Date(version.at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}</span>
                      <span className={`version-title${version.name ? ' named' : ''}`}>{versionTitle(version)}</span>
                      <span className="version-authors">
                        {version.authors.map((person) => (
                          <span key={person} className="author-chip" title={person}>
                            <span className="avatar small" style={{ background: colorOf(person) }} aria-hidden="true">
                              {initials(person)}
                            </span>
                            <span className="author-name">{person}</span>
                          </span>
                        ))}
                      </span>
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          ))}
        </div>
      )}
    </aside>
  )
}
