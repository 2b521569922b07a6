import { documentPath, newDocumentId } from '../lib/document-id'
import { navigate } from '../lib/navigation'

export function InvalidDocumentPage({ id }: { id: string }) {
  return (
    <main className="message-page">
      <h1>This link does not point to a document</h1>
      <p className="muted">
        <code>{id || '(empty)'}</code> is not a valid document id. Check that the whole link was copied, or start a new document.
      </p>
      <div className="message-actions">
        <button type="button" className="button primary" onClick={() => navigate(documentPath(newDocumentId()))}>
          New document
        </button>
        <button type="button" className="button ghost" onClick={() => navigate('/')}>
          Home
        </button>
      </div>
    </main>
  )
}
