import { useEffect, useRef, type MutableRefObject } from 'react'
import type * as Y from 'yjs'
import { LiveAuthorship, RemoteCursors, TextareaBinding } from '@coedit/textarea-binding'
import { colorForName, type ServerSpan } from '../lib/history-api'
import type { Collaboration } from '../lib/use-collaboration'
import { markActive } from '../lib/use-presence'
import { PauseScheduler } from '../lib/pause-scheduler'
import { LiveTextStats, type TextStats } from '../lib/text-stats'

/** What the page may do to the live editor besides what people type. */
export interface EditorController {
  /** Makes the text `text` as one undoable edit of this person's (a restore). */
  replaceText(text: string): void
  /** Scrolls to this client's caret; false when it has none here. */
  jumpTo(clientId: number): boolean
  /** Colours the text by who wrote it, starting from the server's spans; null stops. */
  showAuthors(spans: readonly ServerSpan[] | null, onLegend: (legend: Array<{ name: string; color: string }>) => void): void
}

interface Props {
  /** Filled with the controller while the editor is mounted. */
  readonly controller?: MutableRefObject<EditorController | null>
  readonly session: Collaboration
  /** Title and counts, when typing pauses. */
  readonly onStats: (stats: TextStats) => void
  /** View-only: the text can be read, selected and copied, not changed. */
  readonly readOnly?: boolean
}

/**
 * The shared text area: the binding does the work, React only mounts it. The textarea is
 * made here rather than rendered by React, because React tracks a textarea's value by
 * reading it whole on every input event: a copy of the entire text per keystroke.
 */
export function CollaborativeTextarea({ session, onStats, readOnly = false, controller }: Props) {
  const surfaceRef = useRef<HTMLDivElement>(null)
  const textareaRef = useRef<HTMLTextAreaElement | null>(null)
  const onStatsRef = useRef(onStats)
  onStatsRef.current = onStats

  useEffect(() => {
    const surface = surfaceRef.current
    if (!surface) return
    const textarea = document.createElement('textarea')
    textarea.className = 'editor-text'
    textarea.setAttribute('aria-label', 'Document text')
    surface.append(textarea)
    textareaRef.current = textarea
    textarea.focus()
    const binding = new TextareaBinding(session.text, textarea, { awareness: session.awareness })
    const cursors = new RemoteCursors(textarea, session.text, session.awareness)
    const activity = { at: 0 }
    markActive(session.awareness, activity)
    // Counts follow each change at the cost of the change; the page is told when typing pauses
    // (and every few seconds meanwhile), in idle time, so it never renders between a key and its frame.
    const live = new LiveTextStats(binding.snapshot)
    const counter = new PauseScheduler(() => onStatsRef.current(live.stats()))
    const onLocalInput = (): void => markActive(session.awareness, activity)
    // The text arriving in an empty editor (the document loading) is counted at once, so the
    // title and counts do not read "Untitled, 0 characters" until the first pause.
    let counted = binding.snapshot.length > 0
    const report = (event: Y.YTextEvent): void => {
      // The binding observed the change first: its text is the text after it.
      live.apply(event.delta, binding.snapshot)
      if (counted || binding.snapshot.length === 0) return counter.poke()
      counted = true
      onStatsRef.current(live.stats())
    }
    session.text.observe(report)
    textarea.addEventListener('input', onLocalInput)
    onStatsRef.current(live.stats())
    let authors: LiveAuthorship | null = null
    let legendTimer: ReturnType<typeof setTimeout> | undefined
    const me = (): { name: string; color: string } => {
      const user = (session.awareness.getLocalState() as { user?: { name?: string; color?: string } } | null)?.user
      return { name: user?.name ?? 'You', color: user?.color ?? '#6d6875' }
    }
    if (controller)
      controller.current = {
        replaceText: (text) => binding.replaceText(text),
        jumpTo: (clientId) => cursors.reveal(clientId),
        showAuthors: (spans, onLegend) => {
          authors?.destroy()
          authors = null
          clearTimeout(legendTimer)
          cursors.setHighlights(null)
          if (!spans) return
          const live = new LiveAuthorship(session.text, session.awareness, spans, {
            me,
            colorFor: colorForName,
            onChange: () => {
              cursors.refresh()
              // The legend counts every span: worked out when typing pauses, not per keystroke.
              clearTimeout(legendTimer)
              legendTimer = setTimeout(() => onLegend(live.legend()), 400)
            },
          })
          authors = live
          cursors.setHighlights(live)
          onLegend(live.legend())
        },
      }
    return () => {
      if (controller) controller.current = null
      clearTimeout(legendTimer)
      authors?.destroy()
      counter.cancel()
      session.text.unobserve(report)
      textarea.removeEventListener('input', onLocalInput)
      cursors.destroy()
      binding.destroy()
      textarea.remove()
      textareaRef.current = null
    }
  }, [session, controller])

  useEffect(() => {
    const textarea = textareaRef.current
    if (!textarea) return
    textarea.placeholder = readOnly
      ? 'Nothing written yet. You can read along here as others write.'
      : 'Start typing. Everyone with the link sees it as you write.'
    textarea.readOnly = readOnly
    textarea.setAttribute('aria-readonly', String(readOnly))
    textarea.spellcheck = !readOnly
  }, [session, readOnly])

  return <div className="editor-surface" ref={surfaceRef} />
}
