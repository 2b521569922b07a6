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
