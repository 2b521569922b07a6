import { useCallback, useState } from 'react'
import { copyText } from '../lib/clipboard'
import { linkFor, type AccessRight, type HeldToken } from '../lib/access-token'
import { mintToken } from '../lib/access-api'

interface Props {
  readonly id: string
  /** The token this page was opened with; null in open mode. */
  readonly held: HeldToken | null
}

type Feedback = { readonly kind: 'copied'; readonly what: string } | { readonly kind: 'error'; readonly message: string } | null

/**
 * Open mode: the page URL is the link. Token mode: links are minted by the server, edit
 * links only for edit holders, and copied to the clipboard.
 */
export function ShareMenu({ id, held }: Props) {
  const [feedback, setFeedback] = useState<Feedback>(null)
  const [busy, setBusy] = useState(false)

  const show = useCallback((next: Feedback) => {
    setFeedback(next)
    if (next?.kind === 'copied') setTimeout(() => setFeedback((current) => (current === next ? null : current)), 2_000)
  }, [])

  const copyPageLink = useCallback(async () => {
    if (await copyText(window.location.href)) show({ kind: 'copied', what: 'link' })
  }, [show])

  const copyMinted = useCallback(
    async (right: AccessRight) => {
      if (!held) return
      setBusy(true)
      try {
        const token = await mintToken(id, right, held.token)
        if (await copyText(linkFor(id, token))) show({ kind: 'copied', what: `${right} link` })
        else show({ kind: 'error', message: 'Could not copy to the clipboard' })
      } catch (error) {
        show({ kind: 'error', message: `Could not make a link: ${(error as Error).message}` })
      } finally {
        setBusy(false)
      }
    },
    [held, id, show],
  )

  const copiedLabel = (what: string, label: string) => (feedback?.kind === 'copied' && feedback.what === what ? 'Link copied' : label)

  return (
    <div className="share-menu" aria-live="polite">
      {held === null ? (
        <button type="button" className="button primary" onClick={() => void copyPageLink()}>
          {copiedLabel('link', 'Copy link')}
        </button>
      ) : (
        <>
          {held.right === 'edit' && (
            <button type="button" className="button primary" disabled={busy} onClick={() => void copyMinted('edit')}>
              {copiedLabel('edit link', 'Copy edit link')}
            </button>
          )}
          <button type="button" className={held.right === 'edit' ? 'button ghost' : 'button primary'} disabled={busy} onClick={() => void copyMinted('view')}>
            {copiedLabel('view link', 'Copy view link')}
          </button>
        </>
      )}
      {feedback?.kind === 'error' && (
        <span className="share-error" role="alert">
          {feedback.message}
        </span>
      )}
    </div>
  )
}
