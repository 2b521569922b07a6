// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { TextMirror, type MirrorMark } from '../src/text-mirror.js'

/** A replayable sequence of edits (the package is published alone, without test-utils). */
function seededRandom(seed: number): () => number {
  let state = seed
  return () => (state = (state * 48271) % 2147483647) / 2147483647
}

/** The text the mirror's DOM shows, without caret tags and the end marker. */
function shown(mirror: TextMirror): string {
  const clone = mirror.element.cloneNode(true) as HTMLElement
  for (const caret of clone.querySelectorAll('[data-coedit-caret]')) caret.remove()
  return (clone.textContent ?? '').replace(/\u200b$/, '')
}

function blocks(mirror: TextMirror): string[] {
  return [...mirror.element.children].map((b) => {
    const clone = b.cloneNode(true) as HTMLElement
    for (const caret of clone.querySelectorAll('[data-coedit-caret]')) caret.remove()
    return (clone.textContent ?? '').replace(/\u200b$/, '')
  })
}

function paragraphText(paragraphs: number, length: number): string {
  return Array.from({ length: paragraphs }, (_, i) => `${String(i).padStart(4, '0')} ${'word '.repeat(length / 5)}`.slice(0, length - 1) + '\n').join('')
}

/** A Y.Text holding `initial` and a mirror kept in step with it. */
function mirrored(initial: string): { doc: Y.Doc; text: Y.Text; mirror: TextMirror } {
  const doc = new Y.Doc()
  const text = doc.getText('text')
  text.insert(0, initial)
  const mirror = new TextMirror(document, text.toString())
  text.observe((event) => mirror.apply(event.delta))
  return { doc, text, mirror }
}

describe('TextMirror', () => {
  it('stays equal to the Y.Text through random edits, with every block but the last ending a line', () => {
    const { text, mirror } = mirrored(paragraphText(40, 700))
    const random = seededRandom(7)
    for (let step = 0; step < 400; step++) {
      const length = text.length
      const at = Math.floor(random() * (length + 1))
      const roll = random()
      if (roll < 0.45) text.insert(at, random() < 0.2 ? '\n' : 'abc'.slice(0, 1 + Math.floor(random() * 3)))
      else if (roll < 0.8) text.delete(at, Math.min(length - at, 1 + Math.floor(random() * 3)))
      else if (roll < 0.9) text.delete(at, Math.min(length - at, Math.floor(random() * 5_000)))
      else text.insert(at, paragraphText(1 + Math.floor(random() * 8), 300))
      expect(mirror.length).toBe(text.length)
    }
    expect(mirror.text).toBe(text.toString())
    expect(shown(mirror)).toBe(text.toString())
    const parts = blocks(mirror)
    expect(parts.join('')).toBe(text.toString())
    for (const part of parts.slice(0, -1)) expect(part.endsWith('\n')).toBe(true)
    // Blocks stay small, so an edit re-lays out little.
    expect(Math.max(...parts.map((p) => p.length))).toBeLessThanOrEqual(4_096 + 700)
  })

  it('draws carets and selections where they belong through random edits near them', () => {
    const { doc, text, mirror } = mirrored(paragraphText(6, 900))
    const carets = [document.createElement('span'), document.createElement('span')]
    // Where each mark is, as relative positions: they move with the text as a remote caret does.
    const positions = [900, 2_000].map((i) => Y.createRelativePositionFromTypeIndex(text, i))
    const random = seededRandom(11)
    /** Offsets of the caret elements and selection spans in the mirror's text. */
    const drawn = (): { carets: number[]; selections: Array<[number, number]> } => {
      const result = { carets: [] as number[], selections: [] as Array<[number, number]> }
      let at = 0
      const walk = (node: Node): void => {
        if (node instanceof HTMLElement && node.hasAttribute('data-coedit-caret')) return void result.carets.push(at)
        if (node instanceof HTMLElement && node.classList.contains('coedit-remote-selection'))
          result.selections.push([at, at + (node.textContent ?? '').length])
        if (node instanceof Text) at += node.data.replace(/​$/, '').length
        else for (const child of node.childNodes) walk(child)
      }
      walk(mirror.element)
      return result
    }
    for (let step = 0; step < 300; step++) {
      const [a, b] = positions.map((p) => Y.createAbsolutePositionFromRelativePosition(p, doc)!.index)
      const near = random() < 0.5 ? a! : b!
      const at = Math.max(0, Math.min(text.length, near + Math.floor(random() * 21) - 10))
      if (random() < 0.6) text.insert(at, 'xy'.slice(0, 1 + Math.floor(random() * 2)))
      else text.delete(at, Math.min(text.length - at, 1 + Math.floor(random() * 4)))
      const [c, d] = positions.map((p) => Y.createAbsolutePositionFromRelativePosition(p, doc)!.index)
      const from = Math.min(c!, d!)
      const to = Math.max(c!, d!)
      mirror.draw([
        { from: c!, to: c!, caret: c!, caretElement: carets[0], color: '#aa3377', key: 'a' },
        { from, to, caret: d!, caretElement: carets[1], color: '#3377aa', key: 'b' },
      ])
      const seen = drawn()
      expect(
        seen.carets.sort((x, y) => x - y),
        `step ${step}`,
      ).toEqual([c!, d!].sort((x, y) => x - y))
      const covered = seen.selections.reduce((n, [x, y]) => n + y - x, 0)
      expect(covered, `step ${step}`).toBe(to - from)
      for (const [x, y] of seen.selections) expect(x >= from && y <= to, `step ${step}`).toBe(true)
    }
    expect(shown(mirror)).toBe(text.toString())
  })

  it('redraws only the blocks whose marks or text changed', () => {
    const { text, mirror } = mirrored(paragraphText(20, 1_000))
    const caret = document.createElement('span')
    const mark = (at: number, from = at, to = at): MirrorMark => ({ from, to, caret: at, caretElement: caret, color: '#aa3377', key: 'a' })
    mirror.draw([mark(5_500, 5_400, 5_500)])
    expect(caret.parentElement).not.toBeNull()
    expect(mirror.element.querySelector('.coedit-remote-selection')?.textContent).toBe(text.toString().slice(5_400, 5_500))
    const untouched = [...mirror.element.children].map((b) => b.firstChild)
    text.insert(5_450, 'XYZ')
    mirror.draw([mark(5_503, 5_400, 5_503)])
    expect(mirror.element.querySelector('.coedit-remote-selection')?.textContent).toBe(text.toString().slice(5_400, 5_503))
    const marked = caret.parentElement
    const after = [...mirror.element.children]
    // Every other block kept its very text node.
    expect(after.filter((b, i) => b !== marked && b.firstChild !== untouched[i])).toHaveLength(0)
    expect(shown(mirror)).toBe(text.toString())
    mirror.draw([])
    expect(caret.parentElement).toBeNull()
    expect(shown(mirror)).toBe(text.toString())
  })

  it('keeps what it drew when text changes clear of the marks, and draws again when a change touches one', () => {
    const { text, mirror } = mirrored(paragraphText(4, 1_000))
    const caret = document.createElement('span')
    const mark = (at: number, from = at, to = at): MirrorMark => ({ from, to, caret: at, caretElement: caret, color: '#aa3377', key: 'a' })
    mirror.draw([mark(1_600, 1_500, 1_600)])
    const selection = mirror.element.querySelector('.coedit-remote-selection')
    // Someone types before the selection, in the same block: the marks move along with the text.
    text.insert(1_200, 'typed')
    text.delete(1_100, 3)
    mirror.draw([mark(1_602, 1_502, 1_602)])
    expect(mirror.element.querySelector('.coedit-remote-selection')).toBe(selection)
    expect(selection?.textContent).toBe(text.toString().slice(1_502, 1_602))
    expect(shown(mirror)).toBe(text.toString())
    // Typing right at the caret: the block is drawn again, with the caret after the new text.
    text.insert(1_602, 'Z')
    mirror.draw([mark(1_603, 1_502, 1_603)])
    expect(mirror.element.querySelector('.coedit-remote-selection')).not.toBe(selection)
    expect(mirror.element.querySelector('.coedit-remote-selection')?.textContent).toBe(text.toString().slice(1_502, 1_603))
    expect(caret.previousSibling?.textContent?.endsWith('Z')).toBe(true)
    expect(shown(mirror)).toBe(text.toString())
  })

  it('says whether a change would move a drawn mark: after it in its block, or in a later block when lines may reflow', () => {
    // Blocks of two 1,100-character paragraphs: [0, 2200), [2200, 4400), [4400, 6600).
    const { mirror } = mirrored(paragraphText(6, 1_100))
    const caret = document.createElement('span')
    mirror.draw([{ from: 2_500, to: 2_600, caret: 2_600, caretElement: caret, color: '#aa3377', key: 'a' }])
    // In the marked block: before the selection moves it, after the caret does not.
    expect(mirror.movesMarks(2_300, false)).toBe(true)
    expect(mirror.movesMarks(2_600, false)).toBe(true)
    expect(mirror.movesMarks(2_700, false)).toBe(false)
    // An earlier block: only a change that may break lines differently moves what is below.
    expect(mirror.movesMarks(100, false)).toBe(false)
    expect(mirror.movesMarks(100, true)).toBe(true)
    // Below every mark nothing moves them.
    expect(mirror.movesMarks(5_000, true)).toBe(false)
    mirror.draw([])
    expect(mirror.movesMarks(100, true)).toBe(false)
    expect(mirror.movesMarks(2_300, false)).toBe(false)
  })

  it('handles an empty text, a trailing line break and a caret at the very end', () => {
    const doc = new Y.Doc()
    const text = doc.getText('text')
    const mirror = new TextMirror(document, '')
    text.observe((event) => mirror.apply(event.delta))
    text.insert(0, 'one\n')
    const caret = document.createElement('span')
    mirror.draw([{ from: 4, to: 4, caret: 4, caretElement: caret, color: '#000000', key: 'k' }])
    expect(caret.parentElement).toBe(mirror.element.lastElementChild)
    text.delete(0, 4)
    expect(mirror.text).toBe('')
    expect(mirror.element.children).toHaveLength(1)
  })
})
