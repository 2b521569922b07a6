import type { Page } from '@playwright/test'
import type { Person } from './fixtures.js'

/** Puts the caret at `index` in the person's editor, as a click there would. */
export async function placeCaret(person: Person, index: number): Promise<void> {
  await person.editor.evaluate((el: HTMLTextAreaElement, i) => {
    el.focus()
    el.setSelectionRange(i, i)
  }, index)
}

export async function caretContext(person: Person, before: number, after: number): Promise<string> {
  return person.editor.evaluate(
    (el: HTMLTextAreaElement, [b, a]) =>
      `${el.value.slice(Math.max(0, el.selectionStart - b), el.selectionStart)}|${el.value.slice(el.selectionStart, el.selectionStart + a)}`,
    [before, after] as const,
  )
}

/** True when `needle`'s characters appear in `haystack` in order (others may be interleaved). */
export function isSubsequence(needle: string, haystack: string): boolean {
  let i = 0
  for (const ch of haystack) if (ch === needle[i]) i++
  return i === needle.length
}

/**
 * Types at a steady pace as a person does: each key carries the time it was pressed, as
 * hardware keys do, however late a busy page gets to it (Playwright's own typing stamps a
 * key with the time the page handles it).
 */
export async function typeAtPace(page: Page, text: string, intervalMs: number): Promise<void> {
  const cdp = await page.context().newCDPSession(page)
  const start = Date.now()
  for (const [i, key] of [...text].entries()) {
    const pressedAt = start + i * intervalMs
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, pressedAt - Date.now())))
    await cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', key, text: key, timestamp: pressedAt / 1_000 })
    await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key, timestamp: (pressedAt + 10) / 1_000 })
  }
  await cdp.detach()
}
