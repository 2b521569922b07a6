/**
 * Turning "the textarea went from A to B" into one small edit, without scanning 200,000
 * characters on every keystroke when the input event already says where the edit was.
 */

export interface TextChange {
  /** Where the edit starts, in the old text. */
  readonly index: number
  /** How many characters of the old text it removes. */
  readonly remove: number
  /** What it inserts at `index`. */
  readonly insert: string
}

export interface Selection {
  readonly start: number
  readonly end: number
}

/**
 * The edit of a plain keystroke (typing, Enter, Backspace, Delete, replacing a selection by
 * typing), from the event, the selection before and the new length alone, without reading
 * the textarea's value. Null when the event is anything else or the numbers disagree.
 */
export function quickChange(
  oldLength: number,
  after: { readonly textLength: number; readonly selectionStart: number; readonly selectionEnd: number },
  before: Selection,
  event: { readonly inputType: string; readonly data: string | null },
): TextChange | null {
  if (after.selectionStart !== after.selectionEnd) return null
  const caret = after.selectionStart
  const selected = before.end - before.start
  if (event.inputType === 'insertText' || event.inputType === 'insertLineBreak') {
    const insert = event.inputType === 'insertLineBreak' ? '\n' : event.data
    if (insert === null || insert.length === 0) return null
    if (after.textLength !== oldLength - selected + insert.length || caret !== before.start + insert.length) return null
    return { index: before.start, remove: selected, insert }
  }
  if (event.inputType === 'deleteContentBackward' || event.inputType === 'deleteContentForward') {
    const removed = oldLength - after.textLength
    if (removed <= 0) return null
    if (selected > 0) return removed === selected && caret === before.start ? { index: caret, remove: removed, insert: '' } : null
    const expected = event.inputType === 'deleteContentBackward' ? before.start - removed : before.start
    return caret === expected ? { index: caret, remove: removed, insert: '' } : null
  }
  return null
}

/** Characters compared on each side of a hinted edit to confirm the hint. */
const CONFIRM = 16

/**
 * Derives the edit from the input type and the selections before and after it; falls back
 * to `diffAroundCaret` when the event does not say or the hint does not hold.
 */
export function changeFromInput(oldText: string, newText: string, before: Selection | null, after: Selection, inputType: string): TextChange | null {
  if (oldText === newText) return null
  const hinted = before ? hintedChange(oldText, newText, before, after, inputType) : null
  if (hinted && confirms(oldText, newText, hinted)) return hinted
  return diffAroundCaret(oldText, newText, after.end)
}

function hintedChange(oldText: string, newText: string, before: Selection, after: Selection, inputType: string): TextChange | null {
  const grown = newText.length - oldText.length
  if (inputType === 'insertFromDrop') {
    // The dropped text ends up selected where it landed; a move also fires deleteByDrag first.
    if (grown !== after.end - after.start) return null
    return { index: after.start, remove: 0, insert: newText.slice(after.start, after.end) }
  }
  if (inputType.startsWith('insert')) {
    const index = before.start
    const insertedLength = after.end - index
    if (insertedLength < 0) return null
    const remove = before.end - before.start
    if (oldText.length - remove + insertedLength !== newText.length) return null
    return { index, remove, insert: newText.slice(index, index + insertedLength) }
  }
  if (inputType.startsWith('delete')) {
    const removed = -grown
    if (removed <= 0) return null
    // Word and line deletions extend beyond the caret; the caret after the edit is where it began.
    return { index: after.start, remove: removed, insert: '' }
  }
  return null
}

/** Checks the text around a hinted edit, so a wrong hint costs a diff, never a corrupt document. */
function confirms(oldText: string, newText: string, change: TextChange): boolean {
  const { index, remove, insert } = change
  if (index < 0 || index + remove > oldText.length) return false
  const oldTail = index + remove
  const newTail = index + insert.length
  if (oldText.length - oldTail !== newText.length - newTail) return false
  const headStart = Math.max(0, index - CONFIRM)
  return (
    oldText.slice(headStart, index) === newText.slice(headStart, index) &&
    oldText.slice(oldTail, oldTail + CONFIRM) === newText.slice(newTail, newTail + CONFIRM)
  )
}

function commonPrefix(a: string, b: string, limit: number): number {
  let n = 0
  while (n < limit && a.charCodeAt(n) === b.charCodeAt(n)) n++
  return n
}

function commonSuffix(a: string, b: string, limit: number): number {
  let n = 0
  while (n < limit && a.charCodeAt(a.length - 1 - n) === b.charCodeAt(b.length - 1 - n)) n++
  return n
}

/**
 * The smallest single edit turning `oldText` into `newText`. Inside a run of repeated
 * characters ("aa" -> "aaa") a pure insertion or deletion could sit at several places;
 * it is placed at the caret, where the person typed.
 */
export function diffAroundCaret(oldText: string, newText: string, caret: number): TextChange | null {
  if (oldText === newText) return null
  const minLength = Math.min(oldText.length, newText.length)
  const rightmost = commonPrefix(oldText, newText, minLength)
  const suffix = commonSuffix(oldText, newText, minLength - rightmost)
  const remove = oldText.length - rightmost - suffix
  const insertLength = newText.length - rightmost - suffix
  let index = rightmost
  if (remove === 0 || insertLength === 0) {
    const leftmost = commonPrefix(oldText, newText, minLength - commonSuffix(oldText, newText, minLength))
    const wanted = remove === 0 ? caret - insertLength : caret
    index = Math.min(rightmost, Math.max(leftmost, wanted))
  }
  return { index, remove, insert: newText.slice(index, index + insertLength) }
}

/** Moves a position in the old text to the new one across a Yjs text delta. */
export function transformIndex(index: number, delta: ReadonlyArray<{ retain?: number; insert?: unknown; delete?: number }>, stickToRight = true): number {
  let cursor = 0
  let result = index
  for (const op of delta) {
    if (op.retain !== undefined) {
      cursor += op.retain
    } else if (op.insert !== undefined) {
      const length = typeof op.insert === 'string' ? op.insert.length : 1
      if (cursor < result || (cursor === result && stickToRight)) result += length
      cursor += length
    } else if (op.delete !== undefined) {
      if (cursor < result) result -= Math.min(op.delete, result - cursor)
    }
    if (cursor > result) break
  }
  return result
}
