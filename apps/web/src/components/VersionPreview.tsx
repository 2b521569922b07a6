import { useEffect, useState } from 'react'
import { diffWithCurrent, versionTitle, type DiffOp, type Version } from '../lib/history-api'

interface Props {
  readonly id: string
  readonly token: string | null
  readonly version: Version
  readonly canEdit: boolean
  readonly onRestore: (version: Version) => Promise<void>
  readonly onClose: () => void
}

/**
 * A version shown read-only in place of the editor: its text, with what was removed since
 * (red) and what was added since (green) marked, and the way back to it.
 */
export function VersionPreview({ id, token, version, canEdit, onRestore, onClose }: Props) {
  const [ops, setOps] = useState<DiffOp[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [restoring, setRestoring] = useState(false)

  useEffect(() => {
    let cancelled = false
    setOps(null)
    diffWithCurrent(id, token, version.id).then(
      (result) => !cancelled && setOps(result),
      (problem: unknown) => !cancelled && setError(`This version could not be loaded: ${(problem as Error).message}.`),
    )
    return () => {
      cancelled = true
    }
  }, [id, token, version.id])

  const removed = ops?.filter((o) => o.op === 'delete').reduce((n, o) => n + o.text.length, 0) ?? 0
  const added = ops?.filter((o) => o.op === 'insert').reduce((n, o) => n + o.text.length, 0) ?? 0
  const when = new Date(version.at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })

  return (
    <section className="version-preview" aria-label={`Version of ${when}`}>
      <div className="version-preview-bar">
        <div>
          <strong>{versionTitle(version)}</strong> · {when}
          {ops && (
            <span className="version-changes" data-testid="version-changes">
              {' '}
              · since then <span className="added-count">{added.toLocaleString()} characters added</span>,{' '}
              <span className="removed-count">{removed.toLocaleString()} removed</span>
            </span>
          )}
        </div>
        <div className="version-preview-actions">
          {canEdit && (
            <button
              type="button"
              className="button primary"
              disabled={restoring || !ops}
              onClick={() => {
                setRestoring(true)
                onRestore(version).catch((problem: unknown) => {
                  setRestoring(false)
                  setError(`The version could not be restored: ${(problem as Error).message}.`)
                })
              }}
            >
              {restoring ? 'Restoring…' : 'Restore this version'}
            </button>
          )}
          <button type="button" className="button ghost" onClick={onClose}>
            Back to editing
          </button>
        </div>
      </div>
      {error && (
        <p className="history-error" role="alert">
          {error}
        </p>
      )}
      <p className="version-key">
        <del>Removed since</del> <ins>Added since</ins>
      </p>
      <div className="version-text" data-testid="version-text" tabIndex={0} aria-label="Text of this version, with later changes marked">
        {ops?.map((op, i) =>
          op.op === 'equal' ? <span key={i}>{op.text}</span> : op.op === 'delete' ? <del key={i}>{op.text}</del> : <ins key={i}>{op.text}</ins>,
        )}
      </div>
    </section>
  )
}
