import type { TextReader } from '@coedit/textarea-binding'

/** How much of the text the title is looked for in. */
const TITLE_SCAN = 2_000

/** The first non-empty line, trimmed and shortened: what the tab and the recent list show. */
export function titleOf(text: string): string {
  const end = Math.min(text.length, TITLE_SCAN)
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

/**
 * Characters as people see them (👍🏽 is one, not four). Text without anything that clusters
 * is counted by its length; only the rest is segmented, which is slower on big texts.
 */
export function countCharacters(text: string): number {
  for (let i = 0; i < text.length; i++) if (clusters(text.charCodeAt(i))) return countGraphemes(text)
  return text.length
}

function countGraphemes(text: string): number {
  let count = 0
  for (const _ of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)) count++
  return count
}

/** Code units in text[start, end) that join with or modify a neighbour. */
function countClustering(text: TextReader, start: number, end: number): number {
  let count = 0
  for (let i = start; i < end; i++) if (clusters(text.charCodeAt(i))) count++
  return count
}

/** Surrogates, combining marks, variation selectors, the zero-width joiner. */
function clusters(code: number): boolean {
  if (code < 0x0300) return false
  return (
    (code >= 0xd800 && code <= 0xdfff) ||
    code <= 0x036f ||
    (code >= 0x1ab0 && code <= 0x1aff) ||
    (code >= 0x1dc0 && code <= 0x1dff) ||
    (code >= 0x20d0 && code <= 0x20ff) ||
    (code >= 0xfe00 && code <= 0xfe0f) ||
    (code >= 0xfe20 && code <= 0xfe2f) ||
    code === 0x200d
  )
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

/** Where a word count over pieces of text has got to. */
interface WordScan {
  words: number
  inWord: boolean
}

function scanWords(scan: WordScan, text: TextReader, start: number, end: number): void {
  let { words, inWord } = scan
  for (let i = start; i < end; i++) {
    const space = isSpace(text.charCodeAt(i))
    if (!space && !inWord) words++
    inWord = !space
  }
  scan.words = words
  scan.inWord = inWord
}

/** Counted in place: matching /\S+/g would build an array of every word (tens of ms at a million characters). */
export function countWords(text: TextReader, start = 0, end = text.length): number {
  const scan = { words: 0, inWord: false }
  scanWords(scan, text, start, end)
  return scan.words
}

/** One operation of a Y.Text change, as Yjs reports it. */
export interface TextDeltaOp {
  readonly retain?: number
  readonly delete?: number
  readonly insert?: unknown
}

/**
 * Title and counts of a text that changes a little at a time. Each change costs what it
 * touches plus the words at its two ends, not the document: a keystroke in a million
 * characters recounts one word. It keeps no copy of the text: it is handed the text after
 * each change (the binding's snapshot, which exists anyway) and holds on to it as the text
 * before the next. Characters are the length while the text holds nothing that clusters; once it does,
 * they are segmented again when asked (the slow path).
 */
export class LiveTextStats {
  private words: number
  private clustering: number
  private graphemes: { text: TextReader; count: number } | null = null
  /** A change could not be followed (an embed, or a text that does not match it): recount when asked. */
  private lost = false
  /** null: the text the title is looked for in changed since it was found. */
  private title: string | null = null

  constructor(private text: TextReader) {
    this.words = 0
    this.clustering = 0
    this.recount()
  }

  /** Everything counted again from the whole text (at the start, and after a change it could not follow). */
  private recount(): void {
    const whole = this.text.toString()
    this.words = countWords(whole)
    this.clustering = countClustering(whole, 0, whole.length)
    this.title = null
  }

  /**
   * Follows one change (a Y.Text event's delta) that made the text `next`. It reads the text
   * before and the delta, never `next`: the first read of a text just joined from slices copies
   * all of it (measured: the input event of a key at a million characters went from 12 to 20 ms).
   */
  apply(delta: readonly TextDeltaOp[], next: TextReader): void {
    const old = this.text
    this.text = next
    // The title is read again (when asked) only after a change where it is looked for: keeping
    // a copy of the text's start in step cost a 4 KB string per key typed there.
    const first = delta[0]
    if ((first?.retain ?? 0) < TITLE_SCAN) this.title = null
    if (this.lost) return
    // The changed span, from the first delete or insert to the end of the last (in the old
    // text), and what stands there now: retained stretches and inserted text.
    let index = 0
    let from = -1
    let end = 0
    let grown = 0
    const now: Array<[TextReader, number, number]> = []
    let kept = 0
    for (const op of delta) {
      if (op.retain !== undefined) {
        if (from >= 0) now.push([old, index, index + op.retain])
        index += op.retain
        continue
      }
      if (from < 0) from = index
      if (op.delete !== undefined) {
        index += op.delete
        grown -= op.delete
      } else if (typeof op.insert === 'string') {
        now.push([op.insert, 0, op.insert.length])
        grown += op.insert.length
      } else return void (this.lost = true)
      end = index
      kept = now.length
    }
    if (from < 0) return
    if (end > old.length || next.length !== old.length + grown) return void (this.lost = true)
    // Words that straddle the span's ends are counted again whole, before and after.
    let left = from
    while (left > 0 && !isSpace(old.charCodeAt(left - 1))) left--
    let right = end
    while (right < old.length && !isSpace(old.charCodeAt(right))) right++
    const after = { words: 0, inWord: false }
    scanWords(after, old, left, from)
    let clustering = 0
    for (let i = 0; i < kept; i++) {
      const [text, start, stop] = now[i]!
      scanWords(after, text, start, stop)
      clustering += countClustering(text, start, stop)
    }
    scanWords(after, old, end, right)
    this.words += after.words - countWords(old, left, right)
    this.clustering += clustering - countClustering(old, from, end)
  }

  stats(): TextStats {
    const text = this.text
    if (this.lost) {
      this.lost = false
      this.recount()
    }
    let characters = text.length
    if (this.clustering > 0) {
      if (this.graphemes?.text !== text) this.graphemes = { text, count: countGraphemes(text.toString()) }
      characters = this.graphemes.count
    }
    this.title ??= titleOf(text.slice(0, TITLE_SCAN))
    return { title: this.title, characters, words: this.words }
  }
}

export function fileNameFor(title: string, extension: 'txt' | 'md' = 'txt'): string {
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
  return `${slug || 'document'}.${extension}`
}
