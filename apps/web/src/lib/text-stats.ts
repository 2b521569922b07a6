/** The first non-empty line, trimmed and shortened: what the tab and the recent list show. */
export function titleOf(text: string): string {
  const end = Math.min(text.length, 2_000)
  for (const line of text.slice(0, end).split('\n')) {
    const trimmed = line.trim()
    if (trimmed) return trimmed.length > 60 ? `${trimmed.slice(0, 59)}…` : trimmed
  }
  return 'Untitled'
}

/** What the page shows about the text: counted when typing pauses, never per keystroke. */
export interface TextStats {
  readonly title: string
  readonly characters: number
  readonly words: number
}

export const EMPTY_STATS: TextStats = { title: 'Untitled', characters: 0, words: 0 }

export function statsOf(text: string): TextStats {
  return { title: titleOf(text), characters: countCharacters(text), words: countWords(text) }
}

/** Code points that join with or modify their neighbour: surrogates, combining marks, variation selectors, ZWJ. */
const CLUSTERING = /[\uD800-\uDFFF\u0300-\u036F\u1AB0-\u1AFF\u1DC0-\u1DFF\u20D0-\u20FF\uFE00-\uFE0F\uFE20-\uFE2F\u200D]/

/**
 * Characters as people see them (👍🏽 is one, not four). Text without anything that clusters
 * is counted by its length; only the rest is segmented, which is slower on big texts.
 */
export function countCharacters(text: string): number {
  if (!CLUSTERING.test(text)) return text.length
  let count = 0
  for (const _ of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)) count++
  return count
}

/** What JavaScript's `\s` matches: a word is a run of anything else, as `/\S+/g` counts them. */
function isSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d)
  if (code < 0xa0) return false
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  )
}

/** Counted in place: matching /\S+/g would build an array of every word (tens of ms at a million characters). */
export function countWords(text: string): number {
  let words = 0
  let inWord = false
  for (let i = 0; i < text.length; i++) {
    const space = isSpace(text.charCodeAt(i))
    if (!space && !inWord) words++
    inWord = !space
  }
  return words
}

export function fileNameFor(title: string, extension: 'txt' | 'md' = 'txt'): string {
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
  return `${slug || 'document'}.${extension}`
}
