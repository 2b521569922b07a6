import { useRef, useState } from 'react'
import { documentPath } from '../lib/document-id'
import { createDocument, readTextFile } from '../lib/documents-api'
import { forgetDocument, loadRecentDocuments, type RecentDocument } from '../lib/recent-documents'
import { navigate } from '../lib/navigation'
import { useAccessMode } from '../lib/access-api'

function when(openedAt: number): string {
  const minutes = Math.round((Date.now() - openedAt) / 60_000)
  if (minutes < 1) return 'just now'
  if (minutes < 60) return `${minutes} min ago`
  const hours = Math.round(minutes / 60)
  if (hours < 24) return `${hours} h ago`
  return new Date(openedAt).toLocaleDateString()
}

export function HomePage() {
  const [recent, setRecent] = useState<RecentDocument[]>(() => loadRecentDocuments())
  const mode = useAccessMode()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [dragging, setDragging] = useState(false)
  const fileInput = useRef<HTMLInputElement>(null)

  const start = async (file?: File): Promise<void> => {
    setBusy(true)
    setError(null)
    try {
      const text = file ? await readTextFile(file) : ''
      navigate(documentPath(await createDocument(text)))
    } catch (problem) {
      setError(`Could not create the document: ${(problem as Error).message}.`)
      setBusy(false)
    }
  }

  return (
    <main className="home">
      <section className="hero">
        <div className="brand brand-large">
          <img src="/favicon.svg" alt="" width={40} height={40} />
          <span>Coedit</span>
        </div>
        <h1>Write together, in real time.</h1>
        <p className="lede">
          Start a document, share its link, and everyone with the link edits the same text at once. It keeps working offline and catches up when you are back.
        </p>
        {mode === 'token' ? (
          <p className="muted" data-testid="token-mode-note">
            This server opens documents from shared links only. Its operator creates them with <code>coedit token --doc &lt;id&gt; --right edit</code>.
          </p>
        ) : (
          <div
            className={`start-actions${dragging ? ' dragging' : ''}`}
            data-testid="drop-zone"
            onDragOver={(event) => {
              event.preventDefault()
              setDragging(true)
            }}
            onDragLeave={() => setDragging(false)}
            onDrop={(event) => {
              event.preventDefault()
              setDragging(false)
              const file = event.dataTransfer.files[0]
              if (file) void start(file)
            }}
          >
            <button type="button" className="button primary large" disabled={busy} onClick={() => void start()}>
              New document
            </button>
            <button type="button" className="button large" disabled={busy} onClick={() => fileInput.current?.click()}>
              Open a file…
            </button>
            <input
              ref={fileInput}
              type="file"
              accept=".txt,.md,.markdown,text/plain,text/markdown"
              hidden
              aria-label="Text file to open as a new document"
              onChange={(event) => {
                const file = event.target.files?.[0]
                event.target.value = ''
                if (file) void start(file)
              }}
            />
            <p className="muted drop-hint">or drop a .txt or .md file here</p>
          </div>
        )}
        {error && (
          <p className="banner banner-error" role="alert">
            {error}
          </p>
        )}
      </section>
      <section className="recent" aria-labelledby="recent-title">
        <h2 id="recent-title">Recent documents</h2>
        {recent.length === 0 ? (
          <p className="muted">Documents you open in this browser will be listed here.</p>
        ) : (
          <ul className="recent-list">
            {recent.map((doc) => (
              <li key={doc.id}>
                <a
                  href={documentPath(doc.id)}
                  onClick={(event) => {
                    event.preventDefault()
                    navigate(documentPath(doc.id))
                  }}
                >
                  <span className="recent-title">{doc.title}</span>
                  <span className="recent-when">{when(doc.openedAt)}</span>
                </a>
                <button
                  type="button"
                  className="icon-button"
                  aria-label={`Remove ${doc.title} from this list`}
                  title="Remove from this list"
                  onClick={() => {
                    forgetDocument(doc.id)
                    setRecent(loadRecentDocuments())
                  }}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
    </main>
  )
}
