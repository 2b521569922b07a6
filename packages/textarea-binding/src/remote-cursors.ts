import * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import { TextMirror, type Delta, type MirrorMark } from './text-mirror.js'
import { CaretLabels, caretElement } from './caret-labels.js'
import { afterNextFrame } from './after-frame.js'

export interface RemoteCursorsOptions {
  /** Awareness field with `{ anchor, head }` relative positions. Default 'cursor'. */
  readonly cursorField?: string
  /** Reads a peer's display name and colour from its awareness state. */
  readonly identify?: (state: Record<string, unknown>) => { name: string; color: string }
  /** Keep the text this person is reading still when others edit above it. Default true. */
  readonly keepViewStill?: boolean
}

/** One remote person's caret and selection, resolved to indexes in the current text. */
export interface ResolvedCursor {
  readonly clientId: number
  readonly name: string
  readonly color: string
  readonly anchor: number
  readonly head: number
}

/** With the head as its person set it (their relative position, serialised): it changes only when they move. */
type PlacedCursor = ResolvedCursor & { readonly headKey: string }

const MIRRORED_STYLES = [
  'boxSizing',
  'width',
  'height',
  'paddingTop',
  'paddingRight',
  'paddingBottom',
  'paddingLeft',
  'borderTopWidth',
  'borderRightWidth',
  'borderBottomWidth',
  'borderLeftWidth',
  'borderTopStyle',
  'borderRightStyle',
  'borderBottomStyle',
  'borderLeftStyle',
  'fontFamily',
  'fontSize',
  'fontWeight',
  'fontStyle',
  'fontVariantLigatures',
  'lineHeight',
  'letterSpacing',
  'wordSpacing',
  'tabSize',
  'textIndent',
  'textTransform',
  'overflowWrap',
  'wordBreak',
] as const

const HEX_COLOUR = /^#(?:[0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})$/i

/**
 * A colour from someone else's presence, safe to put in a style: a hex colour, else the
 * fallback. Anything else (url(...), expressions) could make this browser fetch or misrender.
 */
export function safeColour(value: unknown, fallback = '#888888'): string {
  return typeof value === 'string' && HEX_COLOUR.test(value) ? value : fallback
}

function defaultIdentity(state: Record<string, unknown>): { name: string; color: string } {
  const user = (state.user ?? {}) as { name?: unknown; color?: unknown }
  return { name: typeof user.name === 'string' ? user.name : 'Anonymous', color: safeColour(user.color) }
}

/** The line at the top of the view, held by a relative position so edits move it with its text. */
interface ViewAnchor {
  readonly position: Y.RelativePosition
  /** Its line's top minus scrollTop, in pixels. */
  readonly offset: number
}

/**
 * Draws other people's carets and selections over a textarea, and keeps this person's view
 * still when others edit above it. Both rest on a mirror of the text laid out like the
 * textarea (see TextMirror), kept in step delta by delta. All DOM work happens once per
 * animation frame; layout is read at most once per frame, and only when something needs it.
 */
/** What RemoteCursors draws under the text besides selections: who wrote what. */
export interface HighlightSource {
  spansIn(from: number, to: number): ReadonlyArray<{ readonly start: number; readonly end: number; readonly name: string; readonly color: string }>
}

/** Characters drawn past the last line measured on screen (that line's own length, roughly). */
const HIGHLIGHT_SLACK = 4_096

export class RemoteCursors {
  readonly layer: HTMLDivElement
  private readonly mirror: TextMirror
  private readonly labels: CaretLabels
  private readonly carets = new Map<number, HTMLElement>()
  private frame: number | null = null
  /** Cancels the draw due after the next frame (see scheduleAfterFrame); null when none is. */
  private later: (() => void) | null = null
  private anchor: ViewAnchor | null = null
  private anchorStale = true
  /** The first index others changed since the last frame (Infinity: none). */
  private othersChangedFrom = Infinity
  private boxStale = true
  private readonly cursorField: string
  private readonly identify: (state: Record<string, unknown>) => { name: string; color: string }
  private readonly keepViewStill: boolean
  private readonly cleanups: Array<() => void> = []
  private highlights: HighlightSource | null = null

  constructor(
    private readonly textarea: HTMLTextAreaElement,
    private readonly ytext: Y.Text,
    private readonly awareness: Awareness,
    options: RemoteCursorsOptions = {},
  ) {
    this.cursorField = options.cursorField ?? 'cursor'
    this.identify = options.identify ?? defaultIdentity
    this.keepViewStill = options.keepViewStill ?? true
    const doc = textarea.ownerDocument
    this.mirror = new TextMirror(doc, ytext.toString())
    this.layer = this.mirror.element
    this.layer.className = 'coedit-cursors'
    this.layer.setAttribute('aria-hidden', 'true')
    Object.assign(this.layer.style, {
      position: 'absolute',
      pointerEvents: 'none',
      overflow: 'hidden',
      whiteSpace: 'pre-wrap',
      color: 'transparent',
      borderColor: 'transparent',
      margin: '0',
      // The mirror's text is there to be measured, never seen: hidden text is laid out but not
      // painted, so a keystroke does not repaint a screenful of invisible text. Marks opt back in.
      visibility: 'hidden',
    })
    textarea.insertAdjacentElement('beforebegin', this.layer)
    this.labels = new CaretLabels(this.layer, () => this.schedule())

    // This person's own caret is the textarea's: their presence changing (with every key) draws nothing here.
    const onPresence = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }): void => {
      const self = awareness.clientID
      if (added.some((id) => id !== self) || updated.some((id) => id !== self) || removed.some((id) => id !== self)) this.schedule()
    }
    const onText = (event: Y.YTextEvent): void => {
      const delta = event.delta as Delta
      this.mirror.apply(delta)
      if (!event.transaction.local) {
        this.othersChangedFrom = Math.min(this.othersChangedFrom, firstChange(delta))
        return this.schedule()
      }
      this.anchorStale = true
      // This person's typing moves no one's caret or selection on screen most of the time: then
      // the mirror takes it after the frame that shows the key, which is not made to wait for it.
      if (this.mirror.movesMarks(firstChange(delta), reflows(delta))) this.schedule()
      else this.scheduleAfterFrame()
    }
    // The view is measured before others' edits land, if it moved since the last frame.
    const beforeTransaction = (transaction: Y.Transaction): void => {
      if (!transaction.local && this.keepViewStill && this.anchorStale) this.captureView()
    }
    const ydoc = ytext.doc!
    awareness.on('change', onPresence)
    ytext.observe(onText)
    ydoc.on('beforeTransaction', beforeTransaction)
    this.cleanups.push(
      () => awareness.off('change', onPresence),
      () => ytext.unobserve(onText),
      () => ydoc.off('beforeTransaction', beforeTransaction),
    )
    const onScroll = (): void => {
      this.syncScroll()
      this.anchorStale = true
      this.schedule()
    }
    const onPointer = (event: MouseEvent): void => this.labels.hover(event.clientX, event.clientY)
    textarea.addEventListener('scroll', onScroll, { passive: true })
    textarea.addEventListener('mousemove', onPointer, { passive: true })
    this.cleanups.push(
      () => textarea.removeEventListener('scroll', onScroll),
      () => textarea.removeEventListener('mousemove', onPointer),
    )
    if (typeof ResizeObserver !== 'undefined') {
      const observer = new ResizeObserver(() => {
        this.boxStale = true
        this.anchorStale = true
        this.schedule()
      })
      observer.observe(textarea)
      this.cleanups.push(() => observer.disconnect())
    }
    this.schedule()
  }

  /** Remote cursors with their positions in the current text, for rendering or tests. */
  resolve(): ResolvedCursor[] {
    return this.locateCursors().map(({ headKey: _, ...cursor }) => cursor)
  }

  private locateCursors(): PlacedCursor[] {
    const doc = this.ytext.doc
    if (!doc) return []
    const cursors: PlacedCursor[] = []
    for (const [clientId, state] of this.awareness.getStates()) {
      if (clientId === this.awareness.clientID) continue
      const cursor = state[this.cursorField] as { anchor?: unknown; head?: unknown } | null | undefined
      if (!cursor || cursor.anchor == null || cursor.head == null) continue
      const anchor = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.anchor), doc)
      const head = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.head), doc)
      if (!anchor || !head || anchor.type !== this.ytext || head.type !== this.ytext) continue
      cursors.push({ clientId, ...this.identify(state), anchor: anchor.index, head: head.index, headKey: JSON.stringify(cursor.head) })
    }
    return cursors
  }

  /**
   * Colours the text by who wrote it (LiveAuthorship), under the selections; null stops. Only
   * what is on screen (and a screen either side) is drawn.
   */
  setHighlights(source: HighlightSource | null): void {
    this.highlights = source
    this.schedule()
  }

  /**
   * Scrolls the textarea so that this client's caret is in view, a third of the way down.
   * Returns false when the client has no caret in this text.
   */
  reveal(clientId: number): boolean {
    const cursor = this.resolve().find((c) => c.clientId === clientId)
    if (!cursor) return false
    if (this.boxStale) this.copyBox()
    const top = this.mirror.topOf(cursor.head)
    this.textarea.scrollTop = Math.max(0, top - this.textarea.clientHeight / 3)
    this.anchorStale = true
    this.syncScroll()
    this.schedule()
    return true
  }

  /** Draw again soon (the highlights changed). */
  refresh(): void {
    this.schedule()
  }

  destroy(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup()
    if (this.frame !== null) cancelAnimationFrame(this.frame)
    this.later?.()
    this.labels.destroy()
    this.layer.remove()
  }

  private schedule(): void {
    if (this.frame !== null) return
    this.frame = requestAnimationFrame(() => {
      this.frame = null
      this.render()
    })
  }

  /** Draws in a task after the next frame, unless a frame draws first. */
  private scheduleAfterFrame(): void {
    if (this.frame !== null || this.later !== null) return
    this.later = afterNextFrame(() => {
      this.later = null
      if (this.frame === null) this.render()
    })
  }

  private syncScroll(): void {
    this.layer.scrollTop = this.textarea.scrollTop
    this.layer.scrollLeft = this.textarea.scrollLeft
  }

  private render(): void {
    // Writes first, then reads, then the few writes that depend on them: one layout per frame.
    const resized = this.boxStale
    if (resized) this.copyBox()
    const cursors = this.locateCursors()
    this.mirror.draw(this.marks(cursors))
    const changedFrom = this.othersChangedFrom
    this.othersChangedFrom = Infinity
    let scrolled = false
    if (this.keepViewStill && changedFrom !== Infinity) {
      // Others' text below the line at the top cannot move it: nothing to measure then. After
      // a local edit or a scroll the view is measured lazily, when others next edit: typing
      // alone never reads layout here.
      const top = this.anchor && this.anchorIndex(this.anchor)
      if (top === null || changedFrom <= top) {
        if (this.anchor && top !== null) scrolled = this.restoreView(this.anchor, top)
        this.captureView()
      }
    }
    // The layer follows the textarea's scrolling from its scroll events; here only when the view
    // was just moved, since reading scrollTop would lay out the whole text in every frame.
    if (scrolled || resized) this.syncScroll()
    this.labels.place()
  }

  private marks(cursors: readonly PlacedCursor[]): MirrorMark[] {
    const seen = new Set<number>()
    const marks: MirrorMark[] = []
    for (const cursor of cursors) {
      seen.add(cursor.clientId)
      let caret = this.carets.get(cursor.clientId)
      if (!caret) this.carets.set(cursor.clientId, (caret = caretElement(this.layer.ownerDocument, cursor.clientId)))
      this.labels.update(caret, cursor.name, cursor.color, cursor.headKey)
      marks.push({
        from: Math.min(cursor.anchor, cursor.head),
        to: Math.max(cursor.anchor, cursor.head),
        caret: cursor.head,
        caretElement: caret,
        color: cursor.color,
        key: `${cursor.clientId}:${cursor.color}:${cursor.name}`,
      })
    }
    if (this.highlights) {
      const top = this.textarea.scrollTop
      const height = this.textarea.clientHeight
      const from = this.mirror.indexAt(Math.max(0, top - height))
      const to = Math.min(this.mirror.length, this.mirror.indexAt(top + 2 * height) + HIGHLIGHT_SLACK)
      for (const span of this.highlights.spansIn(from, to)) {
        marks.push({ from: span.start, to: span.end, caret: -1, color: span.color, kind: 'author', key: `author:${span.name}:${span.color}` })
      }
    }
    for (const [clientId, caret] of this.carets) {
      if (seen.has(clientId)) continue
      this.carets.delete(clientId)
      this.labels.forget(caret)
      caret.remove()
    }
    return marks
  }

  private captureView(): void {
    this.anchorStale = false
    const top = this.textarea.scrollTop
    const index = this.mirror.indexAt(top)
    this.anchor = {
      position: Y.createRelativePositionFromTypeIndex(this.ytext, index, 0),
      offset: this.mirror.topOf(index) - top,
    }
  }

  private anchorIndex(anchor: ViewAnchor): number | null {
    const doc = this.ytext.doc
    const absolute = doc ? Y.createAbsolutePositionFromRelativePosition(anchor.position, doc) : null
    return absolute ? absolute.index : null
  }

  /** Scrolls back to the line that was at the top (now at `index`); true when it scrolled. */
  private restoreView(anchor: ViewAnchor, index: number): boolean {
    const wanted = Math.round(this.mirror.topOf(index) - anchor.offset)
    if (Math.abs(wanted - this.textarea.scrollTop) < 1) return false
    this.textarea.scrollTop = wanted
    return true
  }

  private copyBox(): void {
    this.boxStale = false
    const style = getComputedStyle(this.textarea)
    const layerStyle = this.layer.style as unknown as Record<string, string>
    for (const key of MIRRORED_STYLES) layerStyle[key] = (style as unknown as Record<string, string>)[key] ?? ''
    layerStyle.top = `${this.textarea.offsetTop}px`
    layerStyle.left = `${this.textarea.offsetLeft}px`
    // The mirror must wrap lines where the textarea does: same width minus its scrollbar.
    const scrollbar = this.textarea.offsetWidth - this.textarea.clientWidth - parseFloat(style.borderLeftWidth) - parseFloat(style.borderRightWidth)
    layerStyle.paddingRight = `${parseFloat(style.paddingRight) + Math.max(0, scrollbar)}px`
  }
}

/** Whether a delta may change where lines break after it: it removes text or inserts a line break. */
function reflows(delta: Delta): boolean {
  return delta.some((op) => op.delete !== undefined || (typeof op.insert === 'string' && op.insert.includes('\n')))
}

/** Where a delta first changes the text: the length of its leading retain. */
function firstChange(delta: Delta): number {
  const first = delta[0]
  return first && first.retain !== undefined ? first.retain : 0
}
