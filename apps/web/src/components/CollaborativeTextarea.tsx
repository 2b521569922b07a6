import { useEffect, useRef } from 'react'
import { RemoteCursors, TextareaBinding } from '@coedit/textarea-binding'
import type { Collaboration } from '../lib/use-collaboration'
import { markActive } from '../lib/use-presence'

interface Props {
  readonly session: Collaboration
  readonly onTextChange: (text: string) => void
  /** View-only: the text can be read, selected and copied, not changed. */
  readonly readOnly?: boolean
}

/** The shared text area: the binding does the work, React only mounts it. */
export function CollaborativeTextarea({ session, onTextChange, readOnly = false }: Props) {
  const textareaRef = useRef<HTMLTextAreaElement>(null)
  const onTextChangeRef = useRef(onTextChange)
  onTextChangeRef.current = onTextChange

  useEffect(() => {
    const textarea = textareaRef.current
    if (!textarea) return
    const binding = new TextareaBinding(session.text, textarea, { awareness: session.awareness })
    const cursors = new RemoteCursors(textarea, session.text, session.awareness)
    const activity = { at: 0 }
    markActive(session.awareness, activity)
    // Counts and title need not follow every keystroke of a 200,000-character text.
    let timer: ReturnType<typeof setTimeout> | null = null
    const report = (): void => {
      if (timer) return
      timer = setTimeout(() => {
        timer = null
        onTextChangeRef.current(binding.text)
      }, 150)
    }
    const onLocalInput = (): void => markActive(session.awareness, activity)
    session.text.observe(report)
    textarea.addEventListener('input', onLocalInput)
    onTextChangeRef.current(binding.text)
    return () => {
      if (timer) clearTimeout(timer)
      session.text.unobserve(report)
      textarea.removeEventListener('input', onLocalInput)
      cursors.destroy()
      binding.destroy()
    }
  }, [session])

  return (
    <div className="editor-surface">
      <textarea
        ref={textareaRef}
        className="editor-text"
        aria-label="Document text"
        placeholder={readOnly ? 'Nothing written yet. You can read along here as others write.' : 'Start typing. Everyone with the link sees it as you write.'}
        readOnly={readOnly}
        aria-readonly={readOnly}
        spellCheck={!readOnly}
        autoFocus
      />
    </div>
  )
}
