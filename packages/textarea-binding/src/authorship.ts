import type * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import type { Delta } from './text-mirror.js'

/** A stretch of the text [start, end) written by `name`, drawn in `color`. */
export interface AuthorSpan {
  readonly start: number
  readonly end: number
  readonly name: string
  readonly color: string
}

export interface LiveAuthorshipOptions {
  /** Who this browser's person is (their own edits are theirs). */
  readonly me: () => { name: string; color: string }
  /** The colour for a name nobody present wears (people who left, API writers). */
  readonly colorFor: (name: string) => string
  /** Told after every change of the spans. */
  readonly onChange?: () => void
}

/** Name used for text whose author is not known (written before history was kept). */
export const UNKNOWN_AUTHOR = 'Unknown'

/**
 * Who wrote which part of the text, kept current as people type: starts from the server's
 * answer (GET /api/docs/<id>/authorship), then every change is put on its writer, found from
 * the Yjs client whose clock the change moved and that client's presence. A change costs a binary
 * search and a shift of the spans after it, never a pass over the text.
 */
export class LiveAuthorship {
  private spans: Array<{ start: number; end: number; name: string; color: string }>
  private readonly onText: (event: Y.YTextEvent) => void

  constructor(
    private readonly ytext: Y.Text,
    private readonly awareness: Awareness,
    initial: ReadonlyArray<{ start: number; end: number; author: string | null }>,
    private readonly options: LiveAuthorshipOptions,
  ) {
    this.spans = initial.filter((s) => s.end > s.start).map((s) => this.span(s.start, s.end, s.author ?? UNKNOWN_AUTHOR))
    this.onText = (event) => {
      this.apply(event.delta as Delta, this.writerOf(event))
      options.onChange?.()
    }
    ytext.observe(this.onText)
  }

  /** The spans overlapping [from, to), in order. */
  spansIn(from: number, to: number): AuthorSpan[] {
    const found: AuthorSpan[] = []
    for (let i = this.firstEndingAfter(from); i < this.spans.length && this.spans[i]!.start < to; i++) found.push(this.spans[i]!)
    return found
  }

  /** Everyone with text in the document, with their colour, most text first. */
  legend(): Array<{ name: string; color: string; characters: number }> {
    const byName = new Map<string, { name: string; color: string; characters: number }>()
    for (const span of this.spans) {
      const entry = byName.get(span.name) ?? { name: span.name, color: span.color, characters: 0 }
      entry.characters += span.end - span.start
      byName.set(span.name, entry)
    }
    return [...byName.values()].sort((a, b) => b.characters - a.characters)
  }

  destroy(): void {
    this.ytext.unobserve(this.onText)
  }

  private span(start: number, end: number, name: string): { start: number; end: number; name: string; color: string } {
    return { start, end, name, color: this.colorOf(name) }
  }

  private colorOf(name: string): string {
    const me = this.options.me()
    if (name === me.name) return me.color
    for (const state of this.awareness.getStates().values()) {
      const user = (state as { user?: { name?: unknown; color?: unknown } }).user
      if (user?.name === name && typeof user.color === 'string') return user.color
    }
    return this.options.colorFor(name)
  }

  /** Whose change this is: this person for local ones, else the presence of the client that made the items. */
  private writerOf(event: Y.YTextEvent): string {
    if (event.transaction.local) return this.options.me().name
    // The clients whose clocks moved wrote the new items (a client id is its presence id too).
    const { beforeState, afterState } = event.transaction
    for (const [client, clock] of afterState) {
      if (clock <= (beforeState.get(client) ?? 0)) continue
      const state = this.awareness.getStates().get(client) as { user?: { name?: unknown } } | undefined
      if (typeof state?.user?.name === 'string' && state.user.name.trim()) return state.user.name.trim()
    }
    return UNKNOWN_AUTHOR
  }

  private apply(delta: Delta, writer: string): void {
    let index = 0
    for (const op of delta) {
      if (op.retain !== undefined) index += op.retain
      else if (op.insert !== undefined) {
        const length = typeof op.insert === 'string' ? op.insert.length : 1
        this.insert(index, length, writer)
        index += length
      } else if (op.delete !== undefined && op.delete > 0) this.remove(index, op.delete)
    }
  }

  private insert(at: number, length: number, name: string): void {
    const i = this.firstEndingAfter(at)
    const hit = this.spans[i]
    const added = this.span(at, at + length, name)
    for (let j = i; j < this.spans.length; j++) {
      const s = this.spans[j]!
      if (s.start >= at) this.spans[j] = { ...s, start: s.start + length, end: s.end + length }
    }
    if (hit && hit.start < at) {
      // Inside someone's span: typing into your own text extends it, else it is split around the insert.
      if (hit.name === name) {
        this.spans[i] = { ...hit, end: hit.end + length }
      } else {
        this.spans.splice(i, 1, { ...hit, end: at }, added, { ...hit, start: at + length, end: hit.end + length })
      }
      return
    }
    const before = this.spans[i - 1]
    if (before && before.end === at && before.name === name) this.spans[i - 1] = { ...before, end: before.end + length }
    else this.spans.splice(i, 0, added)
  }

  private remove(at: number, length: number): void {
    const end = at + length
    const kept: typeof this.spans = []
    for (const s of this.spans) {
      if (s.end <= at) kept.push(s)
      else if (s.start >= end) kept.push({ ...s, start: s.start - length, end: s.end - length })
      else {
        // Overlaps the removed range: what is left of it closes up.
        const left = Math.max(0, at - s.start)
        const right = Math.max(0, s.end - end)
        if (left + right > 0) kept.push({ ...s, start: Math.min(s.start, at), end: Math.min(s.start, at) + left + right })
      }
    }
    this.spans = kept
  }

  /** Index of the first span that ends after `at` (spans.length if none). */
  private firstEndingAfter(at: number): number {
    let low = 0
    let high = this.spans.length
    while (low < high) {
      const mid = (low + high) >> 1
      if (this.spans[mid]!.end <= at) low = mid + 1
      else high = mid
    }
    return low
  }
}
