import { useEffect, useRef } from 'react'
import { RemoteCursors, TextareaBinding } from '@coedit/textarea-binding'
import type { Collaboration } from '../lib/use-collaboration'
import { markActive } from '../lib/use-presence'
import { PauseScheduler } from '../lib/pause-scheduler'
import { statsOf, type TextStats } from '../lib/text-stats'

interface Props {
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
export function CollaborativeTextarea({ session, onStats, readOnly = false }: Props) {
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
    // Title and counts scan the whole text (tens of ms at a million characters): they are
    // worked out when typing pauses, in idle time, and at least every few seconds meanwhile.
    const counter = new PauseScheduler(() => onStatsRef.current(statsOf(binding.text)))
    const onLocalInput = (): void => markActive(session.awareness, activity)
    const report = (): void => counter.poke()
    session.text.observe(report)
    textarea.addEventListener('input', onLocalInput)
    onStatsRef.current(statsOf(binding.text))
    return () => {
      counter.cancel()
      session.text.unobserve(report)
      textarea.removeEventListener('input', onLocalInput)
      cursors.destroy()
      binding.destroy()
      textarea.remove()
      textareaRef.current = null
    }
  }, [session])

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
