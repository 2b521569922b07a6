import { useCallback, useEffect, useRef, useState } from 'react'
import { isViewRoom } from '@coedit/wire'
import { CollaborativeTextarea, type EditorController } from '../components/CollaborativeTextarea'
import { HistoryPanel, type LegendEntry } from '../components/HistoryPanel'
import { VersionPreview } from '../components/VersionPreview'
import { authorship, currentText, nameVersion, versionText, type Version } from '../lib/history-api'
import { NameDialog } from '../components/NameDialog'
import { PresenceBar } from '../components/PresenceBar'
import { StatusBadge } from '../components/StatusBadge'
import { ShareMenu } from '../components/ShareMenu'
import { downloadText } from '../lib/clipboard'
import { createDocumentAt, deleteDocument } from '../lib/documents-api'
import { keepToken, takeToken } from '../lib/access-token'
import { useAccessMode } from '../lib/access-api'
import { loadIdentity, saveIdentity, type Identity } from '../lib/identity'
import { navigate } from '../lib/navigation'
import { forgetDocument, rememberDocument } from '../lib/recent-documents'
import { fileNameFor, titleOf } from '../lib/text-stats'
import { StatsStore, useStat } from '../lib/stats-store'
import { DocumentCounts } from '../components/DocumentCounts'
import { useCollaboration } from '../lib/use-collaboration'
import { usePresence } from '../lib/use-presence'
import { useConnectionLoss } from '../lib/use-connection-loss'
import { PrintCopy } from '../components/PrintCopy'
import { titleField, useDocumentTitle, MAX_TITLE } from '../lib/use-document-title'

export function EditorPage({ id }: { id: string }) {
  const [identity, setIdentity] = useState<Identity>(() => loadIdentity())
  const [editingName, setEditingName] = useState(false)
  // Title and counts: the page renders again only when the title, or having any text, changes.
  const [stats] = useState(() => new StatsStore())
  const autoTitle = useStat(stats, (s) => s.title)
  const hasText = useStat(stats, (s) => s.characters > 0)
  // Read once: taking the token also clears it from the address bar.
  const [held, setHeld] = useState(() => takeToken(id))
  const mode = useAccessMode()
  const expired = held !== null && held.expiresAt <= Date.now()
  const [wasRevoked, setWasRevoked] = useState(false)
  const blocked = expired || wasRevoked || (mode === 'token' && held === null)
  const readOnly = held?.right === 'view' || isViewRoom(id)
  const {
    session,
    status,
    problem: connectionProblem,
    loaded,
    revokedToken,
    deleted,
    missing,
    resume,
  } = useCollaboration(blocked ? null : id, shownIdentity(identity, held?.name ?? null), held?.token ?? null)
  const loss = useConnectionLoss(session, status)
  // While this page resets the links, and after it has its fresh token, the close of its own
  // (now revoked) session is expected.
  const resetting = useRef(false)
  useEffect(() => {
    if (revokedToken !== null && revokedToken === held?.token && !resetting.current) setWasRevoked(true)
  }, [revokedToken, held])
  const onResetting = useCallback(() => void (resetting.current = true), [])
  const onReset = useCallback(
    (token: string | null) => {
      resetting.current = false
      const fresh = token ? keepToken(id, token) : null
      if (fresh) setHeld(fresh)
    },
    [id],
  )
  const [deleteError, setDeleteError] = useState<string | null>(null)
  useEffect(() => {
    if (deleted) forgetDocument(id)
  }, [deleted, id])
  const [creating, setCreating] = useState(false)
  const problem = deleted
    ? 'This document was deleted. It no longer exists on the server, and the copy in this browser was removed.'
    : missing
      ? (deleteError ?? 'There is no document at this address. The link may be mistyped or cut short; check it with whoever shared it.')
      : deleteError
        ? deleteError
        : expired
          ? 'This link has expired. Ask whoever shared it for a new one.'
          : wasRevoked
            ? 'This link was revoked: it no longer opens this document. Ask whoever shared it for a new one.'
            : blocked
              ? 'This server only opens documents from a shared link. Ask the owner of this document for a link.'
              : connectionProblem
  const people = usePresence(session?.awareness ?? null)
  const coloursInUse = new Map(people.filter((p) => !p.isSelf).map((p) => [p.color.toLowerCase(), p.name]))
  const controller = useRef<EditorController | null>(null)
  const [historyOpen, setHistoryOpen] = useState(false)
  const [preview, setPreview] = useState<Version | null>(null)
  const [showAuthors, setShowAuthors] = useState(false)
  const [legend, setLegend] = useState<LegendEntry[]>([])
  const [historyKey, setHistoryKey] = useState(0)
  const token = held?.token ?? null
  useEffect(() => {
    if (!showAuthors || !session) {
      controller.current?.showAuthors(null, setLegend)
      return
    }
    let cancelled = false
    authorship(id, token).then(
      (spans) => !cancelled && controller.current?.showAuthors(spans, setLegend),
      () => !cancelled && setShowAuthors(false),
    )
    return () => {
      cancelled = true
    }
  }, [showAuthors, session, id, token])
  /** Restores as this person's own edit (so their undo takes it back), then records it as a version. */
  const restore = useCallback(
    async (version: Version) => {
      const text = await versionText(id, token, version.id)
      const editor = controller.current
      if (!editor) throw new Error('the editor is not ready')
      editor.replaceText(text)
      // The edit travels over the live connection; the version is cut once the server has it.
      const deadline = Date.now() + 5_000
      while (Date.now() < deadline) {
        if ((await currentText(id, token)) === text) break
        await new Promise((resolve) => setTimeout(resolve, 150))
      }
      const when = new Date(version.at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
      await nameVersion(id, token, `Restored from ${version.name ? `“${version.name}”` : `the version of ${when}`}`, identity.name)
      setPreview(null)
      setHistoryKey((key) => key + 1)
    },
    [id, token, identity.name],
  )
  const [namedTitle, setNamedTitle] = useDocumentTitle(session)
  const title = deleted ? 'Deleted document' : missing ? 'No such document' : namedTitle.trim() || autoTitle
  // Deleted or never made: nothing to edit, share or count here.
  const away = deleted || missing

  useEffect(() => {
    document.title = `${title} · Coedit`
    // A document nobody has typed into (a fresh New document, a mistyped link) stays out of Recent.
    if (!deleted && !missing && hasText) rememberDocument(id, title)
  }, [id, title, deleted, missing, hasText])
  // The first text in a new document lists it at once, and leaving the page updates its title
  // there: counts and title follow only when typing pauses, and people type a line and leave.
  const goneRef = useRef(false)
  goneRef.current = deleted || missing
  useEffect(() => {
    if (!session) return
    const text = session.text
    const list = (): void => {
      if (text.length > 0 && !goneRef.current) rememberDocument(id, titleField(session).get().trim() || titleOf(text.toString().slice(0, 2_000)))
    }
    const listFirstText = (): void => {
      if (text.length === 0) return
      text.unobserve(listFirstText)
      list()
    }
    text.observe(listFirstText)
    window.addEventListener('pagehide', list)
    return () => {
      list()
      text.unobserve(listFirstText)
      window.removeEventListener('pagehide', list)
    }
  }, [session, id])

  useEffect(() => () => void (document.title = 'Coedit'), [])

  return (
    <div className="editor-page">
      <header className="topbar">
        <a
          className="brand"
          href="/"
          onClick={(event) => {
            event.preventDefault()
            navigate('/')
          }}
          aria-label="Coedit home"
        >
          <img src="/favicon.svg" alt="" width={24} height={24} />
          <span className="brand-name">Coedit</span>
        </a>
        {session && !away && !blocked ? (
          <>
            <h1 className="visually-hidden">{title}</h1>
            <input
              className="doc-title doc-title-input"
              aria-label="Document title"
              value={namedTitle}
              placeholder={autoTitle}
              maxLength={MAX_TITLE}
              readOnly={readOnly}
              title={readOnly ? title : 'The title everyone sees; empty: the first line'}
              onChange={(event) => setNamedTitle(event.target.value)}
              onKeyDown={(event) => {
                if (event.key === 'Enter') event.currentTarget.blur()
              }}
            />
          </>
        ) : (
          <h1 className="doc-title" title={title}>
            {title}
          </h1>
        )}
        {readOnly && (
          <span className="view-only-badge" data-testid="view-only" title="You can read and see who is here; your changes are not saved">
            View only
          </span>
        )}
        {!blocked && !away && <StatusBadge status={status} />}
        <div className="topbar-actions">
          {!blocked && !away && <ShareMenu id={id} held={held} onResetting={onResetting} onReset={onReset} />}
          {!blocked && !away && session && (
            <button
              type="button"
              className={`button ghost${historyOpen ? ' active' : ''}`}
              aria-expanded={historyOpen}
              onClick={() => {
                setHistoryOpen((open) => !open)
                setPreview(null)
              }}
            >
              History
            </button>
          )}
          {!away && (
            <details className="document-menu">
              <summary className="button ghost">Document</summary>
              <div className="document-menu-items" role="menu">
                {(['txt', 'md'] as const).map((kind) => (
                  <button
                    key={kind}
                    type="button"
                    role="menuitem"
                    className="button ghost"
                    onClick={(event) => {
                      const current = session?.text.toString() ?? ''
                      downloadText(fileNameFor(namedTitle.trim() || titleOf(current), kind), current)
                      event.currentTarget.closest('details')?.removeAttribute('open')
                    }}
                  >
                    Download .{kind}
                  </button>
                ))}
                {!readOnly && !blocked && !deleted && (
                  <button
                    type="button"
                    role="menuitem"
                    className="button ghost danger"
                    onClick={(event) => {
                      event.currentTarget.closest('details')?.removeAttribute('open')
                      if (!window.confirm(`Delete “${title}” for everyone? This cannot be undone.`)) return
                      setDeleteError(null)
                      deleteDocument(id, held?.token ?? null).catch((error: unknown) =>
                        setDeleteError(`Could not delete the document: ${(error as Error).message}.`),
                      )
                    }}
                  >
                    Delete document…
                  </button>
                )}
              </div>
            </details>
          )}
        </div>
      </header>
      {!away && (
        <div className="subbar" role="region" aria-label="People here">
          <PresenceBar
            people={people}
            onEditName={() => setEditingName(true)}
            onJumpTo={(person) => controller.current?.jumpTo(person.clientId)}
            othersUnknown={loss.lost}
          />
        </div>
      )}
      {problem && (
        <div className="banner banner-error" role="alert">
          {problem}
        </div>
      )}
      {!problem && !away && !blocked && loss.lost && (
        <div className="banner banner-warn" role="status" data-testid="connection-lost">
          The connection to the server is lost. Keep writing: your edits are kept on this device and sent when it is back
          {loss.waiting > 0 ? ` (${loss.waiting.toLocaleString()} ${loss.waiting === 1 ? 'edit' : 'edits'} waiting)` : ''}.
        </div>
      )}
      <div className={`editor-body${historyOpen && !away ? ' with-history' : ''}`}>
        <main className="editor-main">
          {missing ? (
            <p className="gone-note">
              {!readOnly && (
                <button
                  type="button"
                  className="button primary"
                  disabled={creating}
                  onClick={() => {
                    setCreating(true)
                    setDeleteError(null)
                    createDocumentAt(id, held?.token ?? null).then(
                      () => {
                        setCreating(false)
                        resume()
                      },
                      (error: unknown) => {
                        setCreating(false)
                        setDeleteError(`Could not create the document: ${(error as Error).message}.`)
                      },
                    )
                  }}
                >
                  Create it
                </button>
              )}{' '}
              <HomeLink />
            </p>
          ) : deleted ? (
            <p className="gone-note">
              <HomeLink />
            </p>
          ) : session ? (
            <>
              {preview && <VersionPreview id={id} token={token} version={preview} canEdit={!readOnly} onRestore={restore} onClose={() => setPreview(null)} />}
              <div className="editor-live" hidden={preview !== null}>
                <CollaborativeTextarea session={session} onStats={stats.set} readOnly={readOnly} controller={controller} />
              </div>
            </>
          ) : (
            <div className="editor-surface loading" />
          )}
          {!loaded && !problem && <p className="loading-note">Loading the document…</p>}
        </main>
        {historyOpen && !away && session && (
          <HistoryPanel
            id={id}
            token={token}
            canEdit={!readOnly}
            author={identity.name}
            colors={new Map(people.map((p) => [p.name, p.color]))}
            selected={preview?.id ?? null}
            onSelect={setPreview}
            showAuthors={showAuthors}
            onShowAuthors={setShowAuthors}
            legend={legend}
            refreshKey={historyKey}
            namesVerified={mode === 'token'}
            onClose={() => {
              setHistoryOpen(false)
              setPreview(null)
            }}
          />
        )}
      </div>
      {!away && <DocumentCounts stats={stats} />}
      {session && !away && <PrintCopy title={title} text={session.text} />}
      {editingName && (
        <NameDialog
          identity={identity}
          inUse={coloursInUse}
          lockedName={held?.name ?? null}
          onClose={() => setEditingName(false)}
          onSave={(next) => {
            saveIdentity(next)
            setIdentity(next)
          }}
        />
      )}
    </div>
  )
}

/** Back to the home page, within the app. */
function HomeLink() {
  return (
    <a
      href="/"
      onClick={(event) => {
        event.preventDefault()
        navigate('/')
      }}
    >
      Back to your documents
    </a>
  )
}

/** A link that names its holder (token mode) names them in presence too. */
function shownIdentity(identity: Identity, tokenName: string | null): Identity {
  return tokenName ? { ...identity, name: tokenName } : identity
}
