/** Chunks are cut to about this many characters; an edit re-cuts only the chunks it touches. */
const CHUNK = 4_096
/** A chunk grown past this by typing is cut again. */
const MAX_CHUNK = 2 * CHUNK

/** What reads a text without needing it as one string. */
export interface TextReader {
  readonly length: number
  charCodeAt(index: number): number
  slice(from: number, to?: number): string
}

/**
 * An immutable text kept as chunks, so that an edit costs the chunks it touches (and an array
 * of references), not the text: with one JavaScript string, editing the string the last edit
 * made (`s.slice(0, i) + typed + s.slice(i)` again) copies all of it, 1.4 ms and 2 MB of
 * garbage a keystroke at a million characters. Each edit gives a new ChunkedText and leaves
 * the old one as it was, so either can still be read (the text before and after a change).
 */
export class ChunkedText implements TextReader {
  private joined: string | null = null
  /** The chunk the last charCodeAt read, so a scan along the text locates once per chunk. */
  private cursor = { start: 0, end: 0, chunk: '' }

  private constructor(
    private readonly chunks: readonly string[],
    readonly length: number,
  ) {}

  static from(text: string): ChunkedText {
    const chunks = cut(text)
    const result = new ChunkedText(chunks, text.length)
    result.joined = text
    return result
  }

  /** The text with `remove` characters at `index` replaced by `insert`. */
  splice(index: number, remove: number, insert: string): ChunkedText {
    if (index < 0 || remove < 0 || index + remove > this.length) throw new RangeError(`splice(${index}, ${remove}) outside a text of ${this.length}`)
    if (remove === 0 && insert.length === 0) return this
    const chunks = this.chunks
    // The chunk holding index (an insert at the very end goes into the last one).
    let first = 0
    let start = 0
    while (first < chunks.length - 1 && start + chunks[first]!.length <= index) start += chunks[first++]!.length
    // The chunks the removed stretch runs through.
    let last = first
    let end = start + (chunks[first]?.length ?? 0)
    while (last < chunks.length - 1 && end < index + remove) end += chunks[++last]!.length
    const touched = chunks.length === 0 ? '' : chunks.slice(first, last + 1).join('')
    const offset = index - start
    const edited = touched.slice(0, offset) + insert + touched.slice(offset + remove)
    const replacement = edited.length > MAX_CHUNK ? cut(edited) : edited.length > 0 ? [edited] : []
    return new ChunkedText([...chunks.slice(0, first), ...replacement, ...chunks.slice(last + 1)], this.length - remove + insert.length)
  }

  charCodeAt(index: number): number {
    let { start, end, chunk } = this.cursor
    if (index < start || index >= end) {
      if (index < 0 || index >= this.length) return NaN
      start = 0
      let i = 0
      while (start + this.chunks[i]!.length <= index) start += this.chunks[i++]!.length
      chunk = this.chunks[i]!
      end = start + chunk.length
      this.cursor = { start, end, chunk }
    }
    return chunk.charCodeAt(index - start)
  }

  slice(from: number, to: number = this.length): string {
    from = Math.max(0, Math.min(from, this.length))
    to = Math.max(from, Math.min(to, this.length))
    if (this.joined !== null) return this.joined.slice(from, to)
    const parts: string[] = []
    let start = 0
    for (const chunk of this.chunks) {
      const end = start + chunk.length
      if (end > from && start < to) parts.push(chunk.slice(Math.max(0, from - start), Math.min(chunk.length, to - start)))
      if (end >= to) break
      start = end
    }
    return parts.join('')
  }

  /** Whether `text` is this text, compared chunk by chunk: neither side is copied. */
  equals(text: string): boolean {
    if (text.length !== this.length) return false
    if (this.joined !== null) return this.joined === text
    let at = 0
    for (const chunk of this.chunks) {
      if (!text.startsWith(chunk, at)) return false
      at += chunk.length
    }
    return true
  }

  /** The whole text as one string: a copy of it all, made once per ChunkedText. */
  toString(): string {
    this.joined ??= this.chunks.join('')
    return this.joined
  }
}

function cut(text: string): string[] {
  const chunks: string[] = []
  for (let at = 0; at < text.length; at += CHUNK) chunks.push(text.slice(at, at + CHUNK))
  return chunks
}
