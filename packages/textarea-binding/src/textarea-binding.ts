import * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import { changeFromInput, diffAroundCaret, quickChange, transformIndex, type Selection, type TextChange } from './text-change.js'
import { ChunkedText } from './chunked-text.js'
import { afterNextFrame } from './after-frame.js'
import { QuietTimer } from './quiet-timer.js'

export interface TextareaBindingOptions {
  /** Publish this person's caret and selection here, as relative positions. */
  readonly awareness?: Awareness
  /** Awareness field holding `{ anchor, head }`. Default 'cursor'. */
  readonly cursorField?: string
  /**
   * Edits form one undo step until this person pauses typing for longer than this, or moves
   * the caret. Default 500 ms. Pauses are read from the input events' own times, so a busy
   * page (a big document, others typing) does not cut a run of typing into pieces.
   */
  readonly captureTimeoutMs?: number
}

/** What `awareness.getStates()` holds under the cursor field: Y.RelativePosition JSON. */
export interface CursorState {
  readonly anchor: unknown
  readonly head: unknown
}

type Delta = Array<{ retain?: number; insert?: unknown; delete?: number }>

interface Composition {
  /** The text as it was when the composition started (remote changes are held back). */
  readonly base: string
  /** Remote deltas that arrived meanwhile, to apply once it ends. */
  readonly held: Delta[]
}

/** Quiet time after typing before the textarea is checked against the text the binding holds, in ms. */
const CHECK_AFTER_MS = 500

/**
 * Keeps a <textarea> and a Y.Text equal in both directions.
 *
 * Local input becomes one small transaction per input event, with `this.origin`, which is
 * what the UndoManager tracks: undo reverts this person's edits only. Remote changes are
 * applied with setRangeText per delta op and the selection is restored from relative
 * positions taken before the transaction, so the caret stays on the text it was on.
 */
export class TextareaBinding {
  readonly origin = this
  readonly undoManager: Y.UndoManager
  /** The text as the binding last synchronised it: chunks, so a keystroke does not copy the whole text. */
  private value: ChunkedText
  private before: Selection | null = null
  private lastEditEnd = -1
  private lastInputAt = -Infinity
  /** When the key behind the coming input was pressed: key events carry the hardware time. */
  private keyDownAt: number | null = null
  private readonly captureTimeoutMs: number
  /** The check when typing pauses: each key moves it, one timer per pause. */
  private readonly checkTimer = new QuietTimer(() => this.check())
  private composition: Composition | null = null
  private savedSelection: { anchor: Y.RelativePosition; head: Y.RelativePosition; backward: boolean } | null = null
  /** Cancels the caret publish due after the next frame; null when none is. */
  private cursorUpdate: (() => void) | null = null
  private lastCursor = ''
  private readonly cursorField: string
  private readonly cleanups: Array<() => void> = []

  constructor(
    readonly ytext: Y.Text,
    readonly textarea: HTMLTextAreaElement,
    private readonly options: TextareaBindingOptions = {},
  ) {
    const doc = ytext.doc
    if (!doc) throw new Error('bind the Y.Text of a Y.Doc (getText on a doc), not a standalone one')
    this.cursorField = options.cursorField ?? 'cursor'
    this.value = ChunkedText.from(ytext.toString())
    textarea.value = this.value.toString()
    this.captureTimeoutMs = options.captureTimeoutMs ?? 500
    // The binding decides where undo steps end (see onBeforeInput); the manager merges until told.
    this.undoManager = new Y.UndoManager(ytext, { trackedOrigins: new Set([this.origin]), captureTimeout: 2 ** 31 })

    const onBeforeTransaction = (transaction: Y.Transaction): void => this.rememberSelection(transaction)
    const onText = (event: Y.YTextEvent): void => this.applyRemote(event)
    doc.on('beforeTransaction', onBeforeTransaction)
    ytext.observe(onText)
    this.cleanups.push(
      () => doc.off('beforeTransaction', onBeforeTransaction),
      () => ytext.unobserve(onText),
    )

    this.listen(textarea, 'beforeinput', (event) => this.onBeforeInput(event as InputEvent))
    this.listen(textarea, 'input', (event) => this.onInput(event as InputEvent))
    this.listen(textarea, 'keydown', (event) => this.onKeyDown(event as KeyboardEvent))
    this.listen(textarea, 'keyup', () => (this.keyDownAt = null))
    this.listen(textarea, 'compositionstart', () => this.onCompositionStart())
    this.listen(textarea, 'compositionend', () => this.onCompositionEnd())
    if (options.awareness) {
      for (const type of ['select', 'keyup', 'mouseup', 'focus', 'input']) this.listen(textarea, type, () => this.scheduleCursorUpdate())
      this.listen(textarea.ownerDocument, 'selectionchange', () => {
        if (textarea.ownerDocument.activeElement === textarea) this.scheduleCursorUpdate()
      })
      this.listen(textarea, 'blur', () => this.publishCursor(null))
    }
  }

  /** The text the textarea shows, as the binding last synchronised it (joined: a copy of it all). */
  get text(): string {
    return this.value.toString()
  }

  /**
   * The same text, read without joining it: each change gives a new snapshot and leaves the
   * one before it readable.
   */
  get snapshot(): ChunkedText {
    return this.value
  }

  undo(): void {
    this.undoManager.stopCapturing()
    this.undoManager.undo()
  }

  redo(): void {
    this.undoManager.stopCapturing()
    this.undoManager.redo()
  }

  /**
   * Makes the text `next` as one edit of this person's (a restore, say): one undo step, the
   * common start and end kept, so others' carets there stay put.
   */
  replaceText(next: string): void {
    const change = diffAroundCaret(this.value.toString(), next, next.length)
    if (!change) return
    this.undoManager.stopCapturing()
    this.applyLocal(change)
    this.undoManager.stopCapturing()
    this.value = ChunkedText.from(next)
    this.textarea.setRangeText(change.insert, change.index, change.index + change.remove, 'end')
  }

  destroy(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup()
    this.checkTimer.cancel()
    this.cursorUpdate?.()
    this.undoManager.destroy()
    if (this.options.awareness) this.publishCursor(null)
  }

  // Local input.

  private onBeforeInput(event: InputEvent): void {
    if (event.inputType === 'historyUndo' || event.inputType === 'historyRedo') {
      // The browser's own undo stack knows nothing of remote edits and would fight the binding.
      event.preventDefault()
      if (event.inputType === 'historyUndo') this.undo()
      else this.redo()
      return
    }
    this.before = { start: this.textarea.selectionStart, end: this.textarea.selectionEnd }
    // Typing somewhere else starts a new undo step, as in any editor, however fast it follows.
    const at = this.keyDownAt ?? event.timeStamp
    this.keyDownAt = null
    const paused = at - this.lastInputAt > this.captureTimeoutMs
    this.lastInputAt = at
    if (paused || this.before.start !== this.before.end || this.before.start !== this.lastEditEnd) this.undoManager.stopCapturing()
  }

  private onKeyDown(event: KeyboardEvent): void {
    this.keyDownAt = event.timeStamp
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return
    const key = event.key.toLowerCase()
    if (key === 'z' && !event.shiftKey) {
      event.preventDefault()
      this.undo()
    } else if ((key === 'z' && event.shiftKey) || (key === 'y' && event.ctrlKey && !event.metaKey)) {
      event.preventDefault()
      this.redo()
    }
  }

  private onInput(event: InputEvent): void {
    if (this.composition || event.isComposing) return
    const quick = this.before ? quickChange(this.value.length, this.textarea, this.before, event) : null
    if (quick) {
      // Typing and deleting never read the whole value back from the DOM: on a 200,000-character
      // text that copy is most of a keystroke's cost. A check when typing pauses guards it.
      this.before = null
      this.value = this.value.splice(quick.index, quick.remove, quick.insert)
      this.applyLocal(quick)
      this.scheduleCheck()
      return
    }
    const next = this.textarea.value
    const after = { start: this.textarea.selectionStart, end: this.textarea.selectionEnd }
    const change = changeFromInput(this.value.toString(), next, this.before, after, event.inputType ?? '')
    this.before = null
    this.value = ChunkedText.from(next)
    if (change) this.applyLocal(change)
  }

  private scheduleCheck(): void {
    this.checkTimer.runAt(performance.now() + CHECK_AFTER_MS)
  }

  private check(): void {
    if (this.composition) return
    // Compared in place: joining the text to compare it made a copy of a big document at
    // every pause in typing, garbage whose collection then landed in later keystrokes.
    const actual = this.textarea.value
    if (this.value.equals(actual)) return
    // The browser edited differently from what its event said; reconcile with a diff.
    const change = diffAroundCaret(this.value.toString(), actual, this.textarea.selectionEnd)
    this.value = ChunkedText.from(actual)
    if (change) this.applyLocal(change)
  }

  private onCompositionStart(): void {
    this.composition = { base: this.value.toString(), held: [] }
  }

  private onCompositionEnd(): void {
    const composition = this.composition
    this.composition = null
    if (!composition) return
    const typed = this.textarea.value
    const change = diffAroundCaret(composition.base, typed, this.textarea.selectionEnd)
    if (composition.held.length === 0) {
      this.value = ChunkedText.from(typed)
      if (change) this.applyLocal(change)
      return
    }
    // Remote edits waited for the composition; place the composed text where its anchor
    // moved to, then show the merged result.
    let caret = this.textarea.selectionEnd
    let local = change
    for (const delta of composition.held) {
      caret = transformIndex(caret, delta)
      if (local) local = { ...local, index: transformIndex(local.index, delta, false) }
    }
    if (local) this.applyLocal(local)
    this.value = ChunkedText.from(this.ytext.toString())
    this.textarea.value = this.value.toString()
    this.textarea.setSelectionRange(caret, caret)
  }

  private applyLocal(change: TextChange): void {
    this.lastEditEnd = change.index + change.insert.length
    const doc = this.ytext.doc!
    doc.transact(() => {
      if (change.remove > 0) this.ytext.delete(change.index, change.remove)
      if (change.insert.length > 0) this.ytext.insert(change.index, change.insert)
    }, this.origin)
  }

  // Remote changes.

  private rememberSelection(transaction: Y.Transaction): void {
    if (transaction.origin === this.origin || this.composition) return
    const { selectionStart, selectionEnd, selectionDirection } = this.textarea
    const backward = selectionDirection === 'backward'
    if (selectionStart === selectionEnd) {
      // A caret sticks to the character on its left: text someone else types right here
      // appears after it, and this person's own typing is not pushed around.
      const caret = Y.createRelativePositionFromTypeIndex(this.ytext, selectionStart, -1)
      this.savedSelection = { anchor: caret, head: caret, backward: false }
      return
    }
    // A selection holds its first and last characters, so text typed at its edges stays outside.
    const start = Y.createRelativePositionFromTypeIndex(this.ytext, selectionStart, 0)
    const end = Y.createRelativePositionFromTypeIndex(this.ytext, selectionEnd, -1)
    this.savedSelection = {
      anchor: backward ? end : start,
      head: backward ? start : end,
      backward,
    }
  }

  private applyRemote(event: Y.YTextEvent): void {
    if (event.transaction.origin === this.origin) return
    // Take the selection captured before this transaction first: computing event.delta runs
    // a transaction of its own, which would capture again, against the changed text.
    const saved = this.savedSelection
    this.savedSelection = null
    const delta = event.delta as Delta
    if (this.composition) {
      this.composition.held.push(delta)
      return
    }
    const textarea = this.textarea
    let index = 0
    let value = this.value
    for (const op of delta) {
      if (op.retain !== undefined) {
        index += op.retain
      } else if (op.insert !== undefined) {
        const text = typeof op.insert === 'string' ? op.insert : ''
        textarea.setRangeText(text, index, index, 'preserve')
        value = value.splice(index, 0, text)
        index += text.length
      } else if (op.delete !== undefined) {
        textarea.setRangeText('', index, index + op.delete, 'preserve')
        value = value.splice(index, op.delete, '')
      }
    }
    this.value = value
    // Where this person's last edit ended moves with others' edits: otherwise their typing
    // above would end each undo step after one character.
    if (this.lastEditEnd >= 0) this.lastEditEnd = transformIndex(this.lastEditEnd, delta, false)
    // No scrollTop read or write here: either would force a layout of the whole text on every
    // remote edit. setRangeText leaves the scroll position alone, and the selection is only
    // touched when it differs from where 'preserve' put it.
    this.restoreSelection(saved, event.transaction.origin instanceof Y.UndoManager ? index : null)
  }

  private restoreSelection(saved: TextareaBinding['savedSelection'], caretAfterUndo: number | null): void {
    if (caretAfterUndo !== null) {
      this.textarea.setSelectionRange(caretAfterUndo, caretAfterUndo)
      return
    }
    if (!saved) return
    const doc = this.ytext.doc!
    const anchor = Y.createAbsolutePositionFromRelativePosition(saved.anchor, doc)
    const head = Y.createAbsolutePositionFromRelativePosition(saved.head, doc)
    if (!anchor || !head) return
    const start = Math.min(anchor.index, head.index)
    const end = Math.max(anchor.index, head.index)
    const direction = saved.backward ? 'backward' : start === end ? this.textarea.selectionDirection : 'forward'
    const { selectionStart, selectionEnd, selectionDirection } = this.textarea
    if (selectionStart === start && selectionEnd === end && selectionDirection === direction) return
    this.textarea.setSelectionRange(start, end, direction)
  }

  // Presence.

  private scheduleCursorUpdate(): void {
    if (this.cursorUpdate !== null) return
    // Once per frame, and after it: the frame that shows the keystroke does not wait for presence.
    this.cursorUpdate = afterNextFrame(() => {
      this.cursorUpdate = null
      const { selectionStart, selectionEnd, selectionDirection } = this.textarea
      const backward = selectionDirection === 'backward'
      this.publishCursor({ anchor: backward ? selectionEnd : selectionStart, head: backward ? selectionStart : selectionEnd })
    })
  }

  private publishCursor(selection: { anchor: number; head: number } | null): void {
    const awareness = this.options.awareness
    if (!awareness) return
    const key = selection ? `${selection.anchor}:${selection.head}` : ''
    if (key === this.lastCursor) return
    this.lastCursor = key
    if (!selection) {
      if (awareness.getLocalState()) awareness.setLocalStateField(this.cursorField, null)
      return
    }
    const cursor: CursorState = {
      anchor: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(this.ytext, selection.anchor)),
      head: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(this.ytext, selection.head)),
    }
    // Typing at the caret moves its index but not the character it is tied to (the one after
    // it): the others already see it in the right place, so nothing is sent, with every key,
    // to the server, everyone in the room, and back as their clients' echoes.
    const published = awareness.getLocalState()?.[this.cursorField]
    if (published && JSON.stringify(published) === JSON.stringify(cursor)) return
    awareness.setLocalStateField(this.cursorField, cursor)
  }

  private listen(target: EventTarget, type: string, handler: (event: Event) => void): void {
    target.addEventListener(type, handler)
    this.cleanups.push(() => target.removeEventListener(type, handler))
  }
}

export function bindTextarea(ytext: Y.Text, textarea: HTMLTextAreaElement, options?: TextareaBindingOptions): TextareaBinding {
  return new TextareaBinding(ytext, textarea, options)
}
