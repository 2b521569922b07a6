/**
 * The name tags on other people's carets. A tag shows when its caret moves (or its person
 * is renamed) and while the pointer is near it, then fades to the caret alone, so tags do
 * not sit on the text people are reading. Tags are kept inside the editor's box.
 */

/** How long a tag stays after its caret last moved, in ms. */
export const LABEL_VISIBLE_MS = 2_000
/** How near the pointer must come to a caret (px, sideways) to show its tag. */
const HOVER_REACH = 6

interface LabelState {
  name: string
  color: string
  /** Where the person put their caret (their relative position), not its index: text others type before it moves the index, not the person. */
  head: string
  timer: ReturnType<typeof setTimeout> | null
  shown: boolean
}

/** A caret mark with its tag; inline styles, so it works without a stylesheet (classes are for theming). */
export function caretElement(doc: Document, clientId: number): HTMLElement {
  const caret = doc.createElement('span')
  caret.className = 'coedit-remote-caret'
  caret.dataset.clientId = String(clientId)
  Object.assign(caret.style, { position: 'relative', borderLeft: '2px solid', marginLeft: '-1px', marginRight: '-1px', visibility: 'visible' })
  const label = doc.createElement('span')
  label.className = 'coedit-remote-caret-label'
  Object.assign(label.style, {
    position: 'absolute',
    bottom: '100%',
    left: '-2px',
    color: '#fff',
    font: '600 11px/1.4 system-ui, sans-serif',
    padding: '0 4px',
    borderRadius: '3px 3px 3px 0',
    whiteSpace: 'nowrap',
    opacity: '0',
    transition: 'opacity 0.3s',
  })
  caret.append(label)
  return caret
}

export class CaretLabels {
  private readonly states = new Map<HTMLElement, LabelState>()

  constructor(
    private readonly layer: HTMLElement,
    /** Asks for a frame in which `place` runs. */
    private readonly requestFrame: () => void,
  ) {}

  /** Called every frame for each caret with what it should show; `head` identifies where its person put it. */
  update(caret: HTMLElement, name: string, color: string, head: string): void {
    const label = caret.firstElementChild as HTMLElement
    let state = this.states.get(caret)
    if (!state) this.states.set(caret, (state = { name: '', color: '', head: '', timer: null, shown: false }))
    if (state.color !== color) {
      caret.style.borderLeftColor = color
      label.style.backgroundColor = color
    }
    if (state.name !== name) label.textContent = name
    const moved = state.head !== head || state.name !== name
    Object.assign(state, { name, color, head })
    if (moved) this.show(caret, state)
  }

  /** The pointer is at (x, y) in the viewport: shows the tags of carets right there. */
  hover(x: number, y: number): void {
    for (const [caret, state] of this.states) {
      const rect = caret.getBoundingClientRect()
      if (x >= rect.left - HOVER_REACH && x <= rect.right + HOVER_REACH && y >= rect.top && y <= rect.bottom) this.show(caret, state)
    }
  }

  /** Keeps shown tags inside the box: below the caret on the first line, shifted left at the right edge. */
  place(): void {
    // Nothing is read while no tag shows: a read here would lay out the text in every frame.
    const shown = [...this.states].filter(([caret, state]) => state.shown && caret.isConnected)
    if (shown.length === 0) return
    const width = this.layer.clientWidth
    // All reads, then all writes: a write between two reads would lay the page out again.
    const placements: Array<{ label: HTMLElement; below: boolean; left: number }> = []
    for (const [caret] of shown) {
      const label = caret.firstElementChild as HTMLElement
      const top = caret.offsetTop - this.layer.scrollTop
      const left = caret.offsetLeft - this.layer.scrollLeft
      const overflow = left + label.offsetWidth + 2 - width
      placements.push({ label, below: top < label.offsetHeight + 2, left: overflow > 0 ? Math.max(-left, -2 - overflow) : -2 })
    }
    for (const { label, below, left } of placements) {
      label.style.bottom = below ? '' : '100%'
      label.style.top = below ? '100%' : ''
      label.style.left = `${left}px`
    }
  }

  forget(caret: HTMLElement): void {
    const state = this.states.get(caret)
    if (state?.timer) clearTimeout(state.timer)
    this.states.delete(caret)
  }

  destroy(): void {
    for (const caret of [...this.states.keys()]) this.forget(caret)
  }

  private show(caret: HTMLElement, state: LabelState): void {
    const label = caret.firstElementChild as HTMLElement
    if (state.timer) clearTimeout(state.timer)
    if (!state.shown) {
      state.shown = true
      label.style.opacity = '1'
      this.requestFrame()
    }
    state.timer = setTimeout(() => {
      state.timer = null
      state.shown = false
      label.style.opacity = '0'
    }, LABEL_VISIBLE_MS)
  }
}
