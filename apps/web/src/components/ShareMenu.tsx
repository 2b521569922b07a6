import { useCallback, useState } from 'react'
import { copyText } from '../lib/clipboard'
import { linkFor, type AccessRight, type HeldToken } from '../lib/access-token'
import { mintToken, resetLinks } from '../lib/access-api'
import { viewLink } from '../lib/documents-api'
import { isViewRoom } from '@coedit/wire'

interface Props {
  readonly id: string
  /** The token this page was opened with; null in open mode. */
  readonly held: HeldToken | null
  /** Called before a reset (whose revocation closes this page's own session) and with the fresh edit token after it; null if it failed. */
  readonly onResetting?: () => void
  readonly onReset?: (token: string | null) => void
}

type Feedback =
  | { readonly kind: 'copied'; readonly what: string }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'reset'; readonly link: string; readonly copied: boolean }
  /** The browser refused to copy: the link is shown, selected, for the person to copy. */
  | { readonly kind: 'manual'; readonly what: string; readonly link: string }
  | null

/**
 * Open mode: the page URL is the link. Token mode: links are minted by the server, edit
 * links only for edit holders, and copied to the clipboard.
 */
export function ShareMenu({ id, held, onResetting, onReset }: Props) {
  const [feedback, setFeedback] = useState<Feedback>(null)
  const [busy, setBusy] = useState(false)

  const show = useCallback((next: Feedback) => {
    setFeedback(next)
    if (next?.kind === 'copied') setTimeout(() => setFeedback((current) => (current === next ? null : current)), 2_000)
  }, [])

  /** Copies a link, or shows it to be copied by hand when the browser will not. */
  const offer = useCallback(
    async (what: string, link: string) => show((await copyText(link)) ? { kind: 'copied', what } : { kind: 'manual', what, link }),
    [show],
  )

  const copyPageLink = useCallback(() => offer('link', window.location.href), [offer])

  /** Open mode: a link that opens the document read-only without revealing this (edit) link. */
  const copyViewLink = useCallback(async () => {
    setBusy(true)
    try {
      await offer('view link', await viewLink(id))
    } catch (error) {
      show({ kind: 'error', message: `Could not make a view link: ${(error as Error).message}` })
    } finally {
      setBusy(false)
    }
  }, [id, offer, show])

  const copyMinted = useCallback(
    async (right: AccessRight) => {
      if (!held) return
      setBusy(true)
      try {
        const token = await mintToken(id, right, held.token)
        await offer(`${right} link`, linkFor(id, token))
      } catch (error) {
        show({ kind: 'error', message: `Could not make a link: ${(error as Error).message}` })
      } finally {
        setBusy(false)
      }
    },
    [held, id, offer, show],
  )

  const reset = useCallback(async () => {
    if (!held) return
    const sure = window.confirm(
      'Reset links to this document?\n\nEvery link shared so far stops working at once, yours ' +
        'included, and everyone using one is disconnected. You get a fresh edit link to share again.',
    )
    if (!sure) return
    setBusy(true)
    onResetting?.()
    try {
      const token = await resetLinks(id, held.token)
      const link = linkFor(id, token)
      onReset?.(token)
      show({ kind: 'reset', link, copied: await copyText(link) })
    } catch (error) {
      onReset?.(null)
      show({ kind: 'error', message: `Could not reset the links: ${(error as Error).message}` })
    } finally {
      setBusy(false)
    }
  }, [held, id, onReset, onResetting, show])

  // Both labels take the same cell, so the button keeps its width when it says "Link copied".
  const copiedLabel = (what: string, label: string) => {
    const shown = feedback?.kind === 'copied' && feedback.what === what ? 'Link copied' : label
    return (
      <span className="stable-label">
        {[label, 'Link copied'].map((text) => (
          <span key={text} className={text === shown ? undefined : 'stable-label-spare'} aria-hidden={text !== shown}>
            {text}
          </span>
        ))}
      </span>
    )
  }

  return (
    <div className="share-menu" aria-live="polite">
      {held === null && isViewRoom(id) ? (
        <button type="button" className="button primary" onClick={() => void copyPageLink()}>
          {copiedLabel('link', 'Copy view link')}
        </button>
      ) : held === null ? (
        <>
          <button type="button" className="button primary" onClick={() => void copyPageLink()}>
            {copiedLabel('link', 'Copy link')}
          </button>
          <button type="button" className="button ghost" disabled={busy} onClick={() => void copyViewLink()} title="A link that can read, not change">
            {copiedLabel('view link', 'Copy view link')}
          </button>
        </>
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
          {held.right === 'edit' && (
            <button
              type="button"
              className="button ghost danger"
              disabled={busy}
              onClick={() => void reset()}
              title="Make every link shared so far stop working"
            >
              Reset links
            </button>
          )}
        </>
      )}
      {feedback?.kind === 'reset' && (
        <div className="share-reset" role="status" data-testid="reset-result">
          <span>Links reset. {feedback.copied ? 'Your new edit link is copied:' : 'Your new edit link:'}</span>
          <input className="share-reset-link" readOnly value={feedback.link} aria-label="New edit link" onFocus={(event) => event.currentTarget.select()} />
          <button type="button" className="button ghost" onClick={() => show(null)}>
            Done
          </button>
        </div>
      )}
      {feedback?.kind === 'manual' && (
        <div className="share-reset" role="status" data-testid="copy-by-hand">
          <span>The browser did not let the page copy. Copy this {feedback.what}:</span>
          <input
            className="share-reset-link"
            readOnly
            value={feedback.link}
            aria-label={`The ${feedback.what}`}
            autoFocus
            onFocus={(event) => event.currentTarget.select()}
          />
          <button type="button" className="button ghost" onClick={() => show(null)}>
            Done
          </button>
        </div>
      )}
      {feedback?.kind === 'error' && (
        <span className="share-error" role="alert">
          {feedback.message}
        </span>
      )}
    </div>
  )
}
