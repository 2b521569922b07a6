/**
 * A copy of a textarea's text that the page can measure: the browser gives no coordinates
 * for a character inside a <textarea>, but it does inside an ordinary element laid out with
 * the same box and font.
 *
 * The text is split into blocks of whole lines (each block but the last ends with a line
 * break), so the lines fall exactly where they would in one run of text. A change touches
 * only the blocks it falls in, and the browser re-lays out only those: the cost of an edit
 * follows the edit, not the document.
 */

export type Delta = ReadonlyArray<{ retain?: number; insert?: unknown; delete?: number }>

/** Lines are gathered into blocks of about this many characters; one longer line is one block. */
const BLOCK_CHARACTERS = 2_048

/** What to draw in the mirror: one person's selection and caret, or a stretch of text they wrote. */
export interface MirrorMark {
  /** Selection, [from, to) in the text; from === to for none. */
  readonly from: number
  readonly to: number
  readonly color: string
  /** Where the caret element goes (-1: none), and the element itself (kept across renders). */
  readonly caret: number
  readonly caretElement?: HTMLElement
  /** 'author': text written by someone (drawn fainter, under any selection). Default 'selection'. */
  readonly kind?: 'selection' | 'author'
  /** Changes when anything drawn for this mark changes (name, colour). */
  readonly key: string
}

interface Block {
  length: number
  /**
   * Its text, or null when only the DOM holds it: typing edits the text node in place and
   * builds no string (read back when the block is next drawn or re-cut).
   */
  text: string | null
  readonly element: HTMLDivElement
  /** What the block was last drawn with; null while it holds just its text. */
  drawn: string | null
  /** Those marks, in block offsets. */
  marks: readonly MirrorMark[]
  /** Its text changed while it had marks: it must be drawn again. */
  stale: boolean
}

const CARET_ATTRIBUTE = 'data-coedit-caret'

export class TextMirror {
  readonly element: HTMLDivElement
  private blocks: Block[] = []
  private total = 0
  private readonly end: Text
  /** Deltas not yet in the DOM: applied when the mirror is next drawn or measured, so the page is laid out once per frame. */
  private pending: Delta[] = []

  constructor(
    private readonly doc: Document,
    text: string,
  ) {
    this.element = doc.createElement('div')
    // A trailing line break takes up a line in a textarea; in an element it needs a character after it.
    this.end = doc.createTextNode('\u200b')
    this.reset(text)
  }

  get length(): number {
    this.flush()
    return this.total
  }

  /** The mirrored text (for tests and checks; it joins every block). */
  get text(): string {
    this.flush()
    return this.blocks.map((b) => this.textOf(b)).join('')
  }

  reset(text: string): void {
    this.pending = []
    this.blocks = this.split(text)
    this.total = text.length
    if (this.blocks.length === 0) this.blocks.push(this.block(''))
    this.element.replaceChildren(...this.blocks.map((b) => b.element))
    this.blocks[this.blocks.length - 1]!.element.append(this.end)
  }

  /** Takes a Y.Text delta: the mirror stays equal to the text with work in proportion to the change. */
  apply(delta: Delta): void {
    this.pending.push(delta)
  }

  private flush(): void {
    if (this.pending.length === 0) return
    const pending = this.pending
    this.pending = []
    for (const delta of pending) this.applyNow(delta)
  }

  private applyNow(delta: Delta): void {
    let index = 0
    for (const op of delta) {
      if (op.retain !== undefined) {
        index += op.retain
      } else if (op.insert !== undefined) {
        const text = typeof op.insert === 'string' ? op.insert : ''
        if (text.length > 0) this.replace(index, 0, text)
        index += text.length
      } else if (op.delete !== undefined && op.delete > 0) {
        this.replace(index, op.delete, '')
      }
    }
  }

  /**
   * Whether a change at `index` moves something drawn: a mark at or after it in its block, or,
   * when the change may alter line breaks (`reflows`), a mark in any block after it. Read from
   * the blocks as last drawn, so changes not yet drawn can make it a few characters off.
   */
  movesMarks(index: number, reflows: boolean): boolean {
    const { block, offset, at } = this.locate(Math.min(index, Math.max(0, this.total - 1)))
    if (block.marks.some((m) => m.caret >= offset || m.to >= offset)) return true
    return reflows && this.blocks.some((b, i) => i > at && b.marks.length > 0)
  }

  /** Draws the marks, redrawing only the blocks whose marks or text changed since the last call. */
  draw(marks: readonly MirrorMark[]): void {
    this.flush()
    let start = 0
    const last = this.blocks.length - 1
    for (let at = 0; at <= last; at++) {
      const block = this.blocks[at]!
      const end = start + block.length
      const isLast = at === last
      // Most blocks hold no mark and never did: nothing to look at, nothing allocated.
      if (block.drawn === null && !hasMarkIn(marks, start, end, isLast)) {
        start = end
        continue
      }
      const local = marksIn(marks, start, end, isLast)
      const signature = signatureOf(local)
      if (signature !== block.drawn || (signature !== null && block.stale)) this.drawBlock(block, local, isLast)
      block.drawn = signature
      block.marks = local
      block.stale = false
      start = end
    }
  }

  /** The y of the top of the line that holds `index`, in the mirror's content (scrollTop) coordinates. */
  topOf(index: number): number {
    this.flush()
    const { block, offset } = this.locate(index)
    const origin = this.element.getBoundingClientRect().top - this.element.scrollTop
    if (offset === 0 || block.length === 0) return block.element.getBoundingClientRect().top - origin
    const rect = this.characterRect(block, Math.min(offset, block.length - 1))
    return (rect ? rect.top : block.element.getBoundingClientRect().top) - origin
  }

  /** The first index on the line at content y `y` (or the nearest line). */
  indexAt(y: number): number {
    this.flush()
    const origin = this.element.getBoundingClientRect().top - this.element.scrollTop
    // Blocks are laid out top to bottom: a binary search finds the one at y.
    let low = 0
    let high = this.blocks.length - 1
    while (low < high) {
      const mid = (low + high + 1) >> 1
      if (this.blocks[mid]!.element.getBoundingClientRect().top - origin <= y) low = mid
      else high = mid - 1
    }
    const block = this.blocks[low]!
    let start = 0
    for (let i = 0; i < low; i++) start += this.blocks[i]!.length
    // Within the block: the first character whose line reaches below y.
    let first = 0
    let last = block.length
    while (first < last) {
      const mid = (first + last) >> 1
      const rect = this.characterRect(block, mid)
      if (rect && rect.bottom - origin <= y) first = mid + 1
      else last = mid
    }
    // Back to the start of that line, so the anchor is the line, not a character on it.
    const top = first < block.length ? this.characterRect(block, first)?.top : undefined
    while (top !== undefined && first > 0 && this.characterRect(block, first - 1)?.top === top) first--
    return start + first
  }

  private characterRect(block: Block, offset: number): DOMRect | null {
    const position = this.nodeAt(block, offset)
    if (!position) return null
    const range = this.doc.createRange()
    range.setStart(position.node, position.offset)
    range.setEnd(position.node, Math.min(position.node.length, position.offset + 1))
    const rects = range.getClientRects()
    return rects.length > 0 ? rects[0]! : null
  }

  /** The text node and offset in it of a block offset, skipping caret elements. */
  private nodeAt(block: Block, offset: number): { node: Text; offset: number } | null {
    let remaining = offset
    for (const child of block.element.childNodes) {
      if (child === this.end) break
      const node = this.textIn(child)
      if (node === null) continue
      if (remaining < node.length) return { node, offset: remaining }
      remaining -= node.length
    }
    return null
  }

  /** The text a child of a block holds: a text node, or one inside a mark's span; null for a caret. */
  private textIn(child: ChildNode): Text | null {
    if (child instanceof Element && child.hasAttribute(CARET_ATTRIBUTE)) return null
    const node = child instanceof Element ? child.firstChild : child
    return node instanceof Text ? node : null
  }

  private textOf(block: Block): string {
    if (block.text === null) {
      let text = ''
      for (const child of block.element.childNodes) {
        if (child === this.end) break
        text += this.textIn(child)?.data ?? ''
      }
      block.text = text
    }
    return block.text
  }

  private locate(index: number): { block: Block; offset: number; at: number } {
    let start = 0
    for (let at = 0; at < this.blocks.length; at++) {
      const block = this.blocks[at]!
      if (index < start + block.length || at === this.blocks.length - 1) return { block, offset: index - start, at }
      start += block.length
    }
    throw new Error('the mirror has no blocks')
  }

  private replace(index: number, remove: number, insert: string): void {
    const { block, offset, at } = this.locate(index)
    const isLast = at === this.blocks.length - 1
    const length = block.length - remove + insert.length
    // Inside one block, clear of the line break that ends it: the block still ends a line.
    const inside = offset + remove < block.length || (isLast && offset + remove <= block.length)
    if (inside && length <= 2 * BLOCK_CHARACTERS && (length > 0 || this.blocks.length === 1)) {
      this.setText(block, offset, remove, insert, isLast)
    } else {
      let text = this.textOf(block)
      let blocks = 1
      // A deletion may run on into the following blocks.
      while (offset + remove > text.length && at + blocks < this.blocks.length) text += this.textOf(this.blocks[at + blocks++]!)
      text = text.slice(0, offset) + insert + text.slice(offset + remove)
      // Every block but the last must end with a line break, or lines would break differently.
      while (at + blocks < this.blocks.length && !text.endsWith('\n')) text += this.textOf(this.blocks[at + blocks++]!)
      const replaced = this.blocks.slice(at, at + blocks)
      const fresh = this.split(text)
      if (fresh.length === 0 && this.blocks.length === blocks) fresh.push(this.block(''))
      const after = this.blocks[at + blocks]?.element ?? null
      for (const old of replaced) old.element.remove()
      for (const added of fresh) this.element.insertBefore(added.element, after)
      this.blocks.splice(at, blocks, ...fresh)
    }
    this.total += insert.length - remove
    const last = this.blocks[this.blocks.length - 1]!.element
    if (this.end.parentNode !== last || last.lastChild !== this.end) last.append(this.end)
  }

  private setText(block: Block, offset: number, remove: number, insert: string, isLast: boolean): void {
    const before = block.length
    block.length = before - remove + insert.length
    // Edited in place, the browser re-shapes only around the change, and no string is built.
    const position = before === 0 ? null : this.nodeAt(block, Math.min(offset, before - 1))
    const inNode = position !== null && (offset < before ? position.offset + remove <= position.node.length : remove === 0)
    if (inNode) {
      const at = offset < before ? position.offset : position.node.length
      if (remove > 0) position.node.deleteData(at, remove)
      if (insert.length > 0) position.node.insertData(at, insert)
      block.text = null
    } else {
      const text = this.textOf(block)
      block.text = text.slice(0, offset) + insert + text.slice(offset + remove)
      this.drawBlock(block, [], isLast)
    }
    if (block.drawn === null || block.stale) return
    // Marks clear of the change are still drawn right: they only move along (typing near
    // someone's caret, not at it). Otherwise they are drawn again in the next frame, and until
    // then the block holds its text only, so that it measures right.
    const end = offset + remove
    const at = (p: number): boolean => p >= 0 && p >= offset && p <= end
    const touched = block.marks.some((m) => at(m.from) || at(m.to) || at(m.caret))
    if (inNode && !touched) {
      const shift = (p: number): number => (p > end ? p + insert.length - remove : p)
      block.marks = block.marks.map((m) => ({ ...m, from: shift(m.from), to: shift(m.to), caret: m.caret < 0 ? m.caret : shift(m.caret) }))
      block.drawn = signatureOf(block.marks)
    } else {
      // Marks take no room, so even out of place they leave the text measuring right.
      block.stale = true
    }
  }

  private split(text: string): Block[] {
    const blocks: Block[] = []
    let start = 0
    while (start < text.length) {
      let end = start
      // Whole lines, until the block is big enough.
      while (end < text.length && end - start < BLOCK_CHARACTERS) {
        const lineEnd = text.indexOf('\n', end)
        end = lineEnd === -1 ? text.length : lineEnd + 1
      }
      blocks.push(this.block(text.slice(start, end)))
      start = end
    }
    return blocks
  }

  private block(text: string): Block {
    const element = this.doc.createElement('div')
    if (text.length > 0) element.append(this.doc.createTextNode(text))
    return { length: text.length, text, element, drawn: null, marks: [], stale: false }
  }

  private drawBlock(block: Block, marks: readonly MirrorMark[], isLast: boolean): void {
    const text = this.textOf(block)
    const nodes: Node[] = []
    if (marks.length === 0) {
      if (text.length > 0) nodes.push(this.doc.createTextNode(text))
    } else {
      const points = new Set<number>([0, text.length])
      for (const m of marks) {
        points.add(clamp(m.caret, text.length))
        points.add(clamp(m.from, text.length))
        points.add(clamp(m.to, text.length))
      }
      const sorted = [...points].sort((a, b) => a - b)
      for (let i = 0; i < sorted.length; i++) {
        const at = sorted[i]!
        for (const m of marks) {
          if (m.caret === at && m.caretElement) {
            m.caretElement.setAttribute(CARET_ATTRIBUTE, '')
            nodes.push(m.caretElement)
          }
        }
        const next = sorted[i + 1]
        if (next === undefined || next === at) continue
        const run = this.doc.createTextNode(text.slice(at, next))
        // Selections come first in the list, so they show over authorship.
        const covering = marks.find((m) => m.from <= at && m.to >= next && m.from < m.to)
        if (covering) {
          const span = this.doc.createElement('span')
          const author = covering.kind === 'author'
          span.className = author ? 'coedit-author' : 'coedit-remote-selection'
          span.style.backgroundColor = withAlpha(covering.color, author ? 0.18 : 0.25)
          span.style.visibility = 'visible'
          span.append(run)
          nodes.push(span)
        } else {
          nodes.push(run)
        }
      }
    }
    if (isLast) nodes.push(this.end)
    block.element.replaceChildren(...nodes)
  }
}

function signatureOf(marks: readonly MirrorMark[]): string | null {
  return marks.length === 0 ? null : marks.map((m) => `${m.key}@${m.from},${m.to},${m.caret}`).join('|')
}

/** Whether any mark's caret or selection falls in [start, end): the test of marksIn, allocating nothing. */
function hasMarkIn(marks: readonly MirrorMark[], start: number, end: number, isLast: boolean): boolean {
  for (let i = 0; i < marks.length; i++) if (markIn(marks[i]!, start, end, isLast)) return true
  return false
}

function markIn(m: MirrorMark, start: number, end: number, isLast: boolean): boolean {
  return caretIn(m, start, end, isLast) || (m.from < m.to && m.from < end && m.to > start)
}

function caretIn(m: MirrorMark, start: number, end: number, isLast: boolean): boolean {
  return m.caret >= 0 && m.caret >= start && (m.caret < end || (isLast && m.caret === end))
}

/** The marks that fall in [start, end), with positions made relative to start. */
function marksIn(marks: readonly MirrorMark[], start: number, end: number, isLast: boolean): MirrorMark[] {
  const local: MirrorMark[] = []
  for (const m of marks) {
    if (!markIn(m, start, end, isLast)) continue
    local.push({
      ...m,
      caret: caretIn(m, start, end, isLast) ? m.caret - start : -1,
      from: Math.max(m.from, start) - start,
      to: Math.min(m.to, end) - start,
    })
  }
  return local
}

function clamp(value: number, max: number): number {
  return Math.max(0, Math.min(value, max))
}

export function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})$/i.exec(color)
  if (!hex) return color
  const n = parseInt(hex[1]!, 16)
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`
}
