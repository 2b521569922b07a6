import { useCallback, useEffect, useState } from 'react'
import { CollaborativeTextarea } from '../components/CollaborativeTextarea'
import { NameDialog } from '../components/NameDialog'
import { PresenceBar } from '../components/PresenceBar'
import { StatusBadge } from '../components/StatusBadge'
import { copyText, downloadText } from '../lib/clipboard'
import { loadIdentity, saveIdentity, type Identity } from '../lib/identity'
import { navigate } from '../lib/navigation'
import { rememberDocument } from '../lib/recent-documents'
import { countWords, fileNameFor, titleOf } from '../lib/text-stats'
import { useCollaboration } from '../lib/use-collaboration'
import { usePresence } from '../lib/use-presence'

export function EditorPage({ id }: { id: string }) {
  const [identity, setIdentity] = useState<Identity>(() => loadIdentity())
  const [editingName, setEditingName] = useState(false)
  const [text, setText] = useState('')
  const [copied, setCopied] = useState(false)
  const { session, status, problem, loaded } = useCollaboration(id, identity)
  const people = usePresence(session?.awareness ?? null)
  const title = titleOf(text)

  useEffect(() => {
    document.title = `${title} · Coedit`
    rememberDocument(id, title)
  }, [id, title])

  useEffect(() => () => void (document.title = 'Coedit'), [])

  const copyLink = useCallback(async () => {
    if (await copyText(window.location.href)) {
      setCopied(true)
      setTimeout(() => setCopied(false), 2_000)
    }
  }, [])

  const words = countWords(text)
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
        <h1 className="doc-title" title={title}>
          {title}
        </h1>
        <StatusBadge status={status} />
        <div className="topbar-actions">
          <button type="button" className="button primary" onClick={() => void copyLink()} aria-live="polite">
            {copied ? 'Link copied' : 'Copy link'}
          </button>
          <button type="button" className="button ghost" onClick={() => {
              // The live text, not the throttled copy used for counts.
              const current = session?.text.toString() ?? text
              downloadText(fileNameFor(titleOf(current)), current)
            }}>
            Download .txt
          </button>
        </div>
      </header>
      <div className="subbar">
        <PresenceBar people={people} onEditName={() => setEditingName(true)} />
      </div>
      {problem && (
        <div className="banner banner-error" role="alert">
          {problem}
        </div>
      )}
      <main className="editor-main">
        {session ? <CollaborativeTextarea session={session} onTextChange={setText} /> : <div className="editor-surface loading" />}
        {!loaded && !problem && <p className="loading-note">Loading the document…</p>}
      </main>
      <footer className="statusbar" aria-label="Document statistics">
        <span data-testid="char-count">{text.length.toLocaleString()} characters</span>
        <span aria-hidden="true">·</span>
        <span data-testid="word-count">
          {words.toLocaleString()} {words === 1 ? 'word' : 'words'}
        </span>
      </footer>
      {editingName && (
        <NameDialog
          identity={identity}
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
