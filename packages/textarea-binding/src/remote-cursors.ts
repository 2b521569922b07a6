import * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'

export interface RemoteCursorsOptions {
  /** Awareness field with `{ anchor, head }` relative positions. Default 'cursor'. */
  readonly cursorField?: string
  /** Reads a peer's display name and colour from its awareness state. */
  readonly identify?: (state: Record<string, unknown>) => { name: string; color: string }
}

/** One remote person's caret and selection, resolved to indexes in the current text. */
export interface ResolvedCursor {
  readonly clientId: number
  readonly name: string
  readonly color: string
  readonly anchor: number
  readonly head: number
}

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

/**
 * Draws other people's carets and selections under a transparent textarea. A mirror element
 * with the textarea's box and font lays out the same text, with selections as highlighted
 * runs and carets as marks; it follows the textarea's scroll. Updates are coalesced to one
 * per animation frame and nothing is measured on the typing path.
 */
export class RemoteCursors {
  readonly layer: HTMLDivElement
  private frame: number | null = null
  private readonly cursorField: string
  private readonly identify: (state: Record<string, unknown>) => { name: string; color: string }
  private readonly cleanups: Array<() => void> = []

  constructor(
    private readonly textarea: HTMLTextAreaElement,
    private readonly ytext: Y.Text,
    private readonly awareness: Awareness,
    options: RemoteCursorsOptions = {},
  ) {
    this.cursorField = options.cursorField ?? 'cursor'
    this.identify = options.identify ?? defaultIdentity
    const doc = textarea.ownerDocument
    this.layer = doc.createElement('div')
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
    })
    textarea.insertAdjacentElement('beforebegin', this.layer)

    const schedule = (): void => this.schedule()
    awareness.on('change', schedule)
    ytext.observe(schedule)
    this.cleanups.push(
      () => awareness.off('change', schedule),
      () => ytext.unobserve(schedule),
    )
    const onScroll = (): void => this.syncScroll()
    textarea.addEventListener('scroll', onScroll, { passive: true })
    textarea.addEventListener('input', schedule)
    this.cleanups.push(
      () => textarea.removeEventListener('scroll', onScroll),
      () => textarea.removeEventListener('input', schedule),
    )
    if (typeof ResizeObserver !== 'undefined') {
      const observer = new ResizeObserver(schedule)
      observer.observe(textarea)
      this.cleanups.push(() => observer.disconnect())
    }
    this.schedule()
  }

  /** Remote cursors with their positions in the current text, for rendering or tests. */
  resolve(): ResolvedCursor[] {
    const doc = this.ytext.doc
    if (!doc) return []
    const cursors: ResolvedCursor[] = []
    for (const [clientId, state] of this.awareness.getStates()) {
      if (clientId === this.awareness.clientID) continue
      const cursor = state[this.cursorField] as { anchor?: unknown; head?: unknown } | null | undefined
      if (!cursor || cursor.anchor == null || cursor.head == null) continue
      const anchor = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.anchor), doc)
      const head = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.head), doc)
      if (!anchor || !head || anchor.type !== this.ytext || head.type !== this.ytext) continue
      cursors.push({ clientId, ...this.identify(state), anchor: anchor.index, head: head.index })
    }
    return cursors
  }

  destroy(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup()
    if (this.frame !== null) cancelAnimationFrame(this.frame)
    this.layer.remove()
  }

  private schedule(): void {
    if (this.frame !== null) return
    this.frame = requestAnimationFrame(() => {
      this.frame = null
      this.render()
    })
  }

  private syncScroll(): void {
    this.layer.scrollTop = this.textarea.scrollTop
    this.layer.scrollLeft = this.textarea.scrollLeft
  }

  private render(): void {
    const cursors = this.resolve()
    const layer = this.layer
    if (cursors.length === 0) {
      layer.replaceChildren()
      return
    }
    this.copyBox()
    const text = this.textarea.value
    const doc = layer.ownerDocument
    // Boundaries where something starts or ends; each run between them is one node.
    const points = new Set<number>([0, text.length])
    for (const c of cursors) {
      points.add(Math.min(c.anchor, text.length))
      points.add(Math.min(c.head, text.length))
    }
    const sorted = [...points].sort((a, b) => a - b)
    const fragment = doc.createDocumentFragment()
    for (let i = 0; i < sorted.length; i++) {
      const at = sorted[i]!
      for (const c of cursors) if (Math.min(c.head, text.length) === at) fragment.append(this.caret(c))
      const next = sorted[i + 1]
      if (next === undefined || next === at) continue
      const run = text.slice(at, next)
      const covering = cursors.find((c) => Math.min(c.anchor, c.head) <= at && Math.max(c.anchor, c.head) >= next)
      if (covering) {
        const mark = doc.createElement('span')
        mark.className = 'coedit-remote-selection'
        mark.style.backgroundColor = withAlpha(covering.color, 0.25)
        mark.textContent = run
        fragment.append(mark)
      } else {
        fragment.append(doc.createTextNode(run))
      }
    }
    // A trailing newline needs a character after it to take up a line, as in the textarea.
    fragment.append(doc.createTextNode('\u200b'))
    layer.replaceChildren(fragment)
    this.syncScroll()
    // A label above a caret on the first visible line would be cut off: put it below.
    for (const caret of layer.querySelectorAll<HTMLElement>('.coedit-remote-caret')) {
      const label = caret.firstElementChild as HTMLElement | null
      if (!label) continue
      const below = caret.offsetTop - layer.scrollTop < label.offsetHeight + 2
      label.style.bottom = below ? '' : '100%'
      label.style.top = below ? '100%' : ''
    }
  }

  private caret(cursor: ResolvedCursor): HTMLElement {
    const doc = this.layer.ownerDocument
    const caret = doc.createElement('span')
    caret.className = 'coedit-remote-caret'
    caret.dataset.clientId = String(cursor.clientId)
    // Inline layout so the carets work without a stylesheet; classes are there for theming.
    Object.assign(caret.style, { position: 'relative', borderLeft: `2px solid ${cursor.color}`, marginLeft: '-1px', marginRight: '-1px' })
    const label = doc.createElement('span')
    label.className = 'coedit-remote-caret-label'
    Object.assign(label.style, {
      position: 'absolute',
      bottom: '100%',
      left: '-2px',
      backgroundColor: cursor.color,
      color: '#fff',
      font: '600 11px/1.4 system-ui, sans-serif',
      padding: '0 4px',
      borderRadius: '3px 3px 3px 0',
      whiteSpace: 'nowrap',
    })
    label.textContent = cursor.name
    caret.append(label)
    return caret
  }

  private copyBox(): void {
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

function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})$/i.exec(color)
  if (!hex) return color
  const n = parseInt(hex[1]!, 16)
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`
}
