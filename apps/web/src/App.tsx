import { documentIdFromPath, isDocumentId } from './lib/document-id'
import { usePathname } from './lib/navigation'
import { EditorPage } from './pages/EditorPage'
import { HomePage } from './pages/HomePage'
import { InvalidDocumentPage } from './pages/InvalidDocumentPage'

export function App() {
  const pathname = usePathname()
  const id = documentIdFromPath(pathname)
  if (id === null) return <HomePage />
  if (!isDocumentId(id)) return <InvalidDocumentPage id={id} />
  // key: a different document is a fresh page, with fresh state.
  return <EditorPage key={id} id={id} />
}
