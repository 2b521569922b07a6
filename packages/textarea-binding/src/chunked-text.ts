/** Chunks are cut to about this many characters; an edit copies only the chunk it touches. */
const CHUNK = 1_024
/** A chunk grown past this by typing is cut again. */
const MAX_CHUNK = 2 * CHUNK
/** Chunks are gathered into groups of about this many; an edit copies one group's list of chunks. */
const GROUP = 32
/** A group grown past this many chunks is cut again. */
const MAX_GROUP = 2 * GROUP

/** What reads a text without needing it as one string. */
export interface TextReader {
  readonly length: number
  charCodeAt(index: number): number
  slice(from: number, to?: number): string
}

type Group = readonly string[]

/**
 * An immutable text kept as chunks in groups (a two-level rope), so that an edit costs the
 * chunk it touches, its group's list and the list of groups, never the text: with one
 * JavaScript string, editing the string the last edit made copies all of it (2 MB of garbage a
 * keystroke at a million characters), and with one flat list of chunks each keystroke still
 * copied that list and a 4 KB chunk. Each edit gives a new ChunkedText and leaves the old one as
 * it was, so either can still be read (the text before and after a change).
 */
export class ChunkedText implements TextReader {
  private joined: string | null = null
  /** The chunk the last charCodeAt read, so a scan along the text locates once per chunk. */
  private cursor = { start: 0, end: 0, chunk: '' }

  private constructor(
    private readonly groups: readonly Group[],
    /** Each group's length in characters. */
    private readonly sizes: readonly number[],
    readonly length: number,
  ) {}

  static from(text: string): ChunkedText {
    const { groups, sizes } = grouped(cut(text))
    const result = new ChunkedText(groups, sizes, text.length)
    result.joined = text
    return result
  }

  /** The text with `remove` characters at `index` replaced by `insert`. */
  splice(index: number, remove: number, insert: string): ChunkedText {
    if (index < 0 || remove < 0 || index + remove > this.length) throw new RangeError(`splice(${index}, ${remove}) outside a text of ${this.length}`)
    if (remove === 0 && insert.length === 0) return this
    const { groups, sizes } = this
    // The group holding index (an insert at the very end goes into the last one), and the
    // groups the removed stretch runs through.
    let first = 0
    let start = 0
    while (first < groups.length - 1 && start + sizes[first]! <= index) start += sizes[first++]!
    let last = first
    let end = start + (sizes[first] ?? 0)
    while (last < groups.length - 1 && end < index + remove) end += sizes[++last]!
    const chunks = first === last ? (groups[first] ?? []) : groups.slice(first, last + 1).flat()
    const edited = spliceChunks(chunks, index - start, remove, insert)
    const replacement = grouped(edited)
    const nextGroups = groups.slice()
    nextGroups.splice(first, last - first + 1, ...replacement.groups)
    const nextSizes = sizes.slice()
    nextSizes.splice(first, last - first + 1, ...replacement.sizes)
    return new ChunkedText(nextGroups, nextSizes, this.length - remove + insert.length)
  }

  charCodeAt(index: number): number {
    let { start, end, chunk } = this.cursor
    if (index < start || index >= end) {
      if (index < 0 || index >= this.length) return NaN
      let g = 0
      start = 0
      while (start + this.sizes[g]! <= index) start += this.sizes[g++]!
      const group = this.groups[g]!
      let c = 0
      while (start + group[c]!.length <= index) start += group[c++]!.length
      chunk = group[c]!
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
    for (let g = 0; g < this.groups.length && start < to; g++) {
      const size = this.sizes[g]!
      if (start + size <= from) {
        start += size
        continue
      }
      for (const chunk of this.groups[g]!) {
        const end = start + chunk.length
        if (end > from && start < to) parts.push(chunk.slice(Math.max(0, from - start), Math.min(chunk.length, to - start)))
        start = end
        if (start >= to) break
      }
    }
    return parts.join('')
  }

  /** Whether `text` is this text, compared chunk by chunk: neither side is copied. */
  equals(text: string): boolean {
    if (text.length !== this.length) return false
    if (this.joined !== null) return this.joined === text
    let at = 0
    for (const group of this.groups) {
      for (const chunk of group) {
        if (!text.startsWith(chunk, at)) return false
        at += chunk.length
      }
    }
    return true
  }

  /** The whole text as one string: a copy of it all, made once per ChunkedText. */
  toString(): string {
    this.joined ??= this.groups.map((g) => g.join('')).join('')
    return this.joined
  }
}

/** A group's chunks with `remove` characters at `index` (in the group) replaced by `insert`. */
function spliceChunks(chunks: readonly string[], index: number, remove: number, insert: string): string[] {
  let first = 0
  let start = 0
  while (first < chunks.length - 1 && start + chunks[first]!.length <= index) start += chunks[first++]!.length
  let last = first
  let end = start + (chunks[first]?.length ?? 0)
  while (last < chunks.length - 1 && end < index + remove) end += chunks[++last]!.length
  // One chunk (typing) is edited as it is: a join would copy it once more.
  const touched = chunks.length === 0 ? '' : first === last ? chunks[first]! : chunks.slice(first, last + 1).join('')
  const offset = index - start
  const edited = touched.slice(0, offset) + insert + touched.slice(offset + remove)
  const result = chunks.slice()
  if (edited.length > MAX_CHUNK) result.splice(first, last - first + 1, ...cut(edited))
  else if (edited.length > 0) result.splice(first, last - first + 1, edited)
  else result.splice(first, last - first + 1)
  return result
}

function cut(text: string): string[] {
  const chunks: string[] = []
  for (let at = 0; at < text.length; at += CHUNK) chunks.push(text.slice(at, at + CHUNK))
  return chunks
}

/** Chunks gathered into groups: one while there are few enough, else groups of GROUP. */
function grouped(chunks: readonly string[]): { groups: Group[]; sizes: number[] } {
  const groups: Group[] = []
  if (chunks.length > MAX_GROUP) for (let at = 0; at < chunks.length; at += GROUP) groups.push(chunks.slice(at, at + GROUP))
  else if (chunks.length > 0) groups.push(chunks)
  return { groups, sizes: groups.map((group) => group.reduce((n, chunk) => n + chunk.length, 0)) }
}
