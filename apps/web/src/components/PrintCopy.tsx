import { useEffect, useState } from 'react'
import type * as Y from 'yjs'

/**
 * What Ctrl+P prints: the title and the whole text (a textarea prints only what is scrolled
 * into view). Filled only while printing, so a big document costs nothing on screen.
 */
export function PrintCopy({ title, text }: { title: string; text: Y.Text }) {
  const [printing, setPrinting] = useState<string | null>(null)
  useEffect(() => {
    const print = window.matchMedia('print')
    const update = (): void => setPrinting(print.matches ? text.toString() : null)
    const before = (): void => setPrinting(text.toString())
    const after = (): void => setPrinting(null)
    print.addEventListener('change', update)
    window.addEventListener('beforeprint', before)
    window.addEventListener('afterprint', after)
    update()
    return () => {
      print.removeEventListener('change', update)
      window.removeEventListener('beforeprint', before)
      window.removeEventListener('afterprint', after)
    }
  }, [text])
  return (
    <article className="print-copy" aria-hidden={printing === null}>
      {printing !== null && (
        <>
          <h1>{title}</h1>
          <div className="print-text">{printing}</div>
        </>
      )}
    </article>
  )
}
