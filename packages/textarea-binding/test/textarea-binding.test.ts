// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { Awareness } from 'y-protocols/awareness'
import { TextareaBinding, RemoteCursors } from '../src/index.js'

interface Pair {
  local: Y.Doc
  remote: Y.Doc
  textarea: HTMLTextAreaElement
  binding: TextareaBinding
  remoteDeltas: unknown[]
}

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
  document.body.replaceChildren()
})

/** A bound textarea on one doc and a second doc playing "someone else", synced both ways. */
function setup(initial = '', awareness?: (doc: Y.Doc) => Awareness): Pair {
  const local = new Y.Doc()
  const remote = new Y.Doc()
  local.on('update', (u: Uint8Array, origin: unknown) => origin !== 'net' && Y.applyUpdate(remote, u, 'net'))
  remote.on('update', (u: Uint8Array, origin: unknown) => origin !== 'net' && Y.applyUpdate(local, u, 'net'))
  if (initial) remote.getText('text').insert(0, initial)
  const textarea = document.createElement('textarea')
  document.body.append(textarea)
  const binding = new TextareaBinding(local.getText('text'), textarea, awareness ? { awareness: awareness(local) } : {})
  const remoteDeltas: unknown[] = []
  remote.getText('text').observe((event) => remoteDeltas.push(event.delta))
  cleanups.push(() => {
    binding.destroy()
    local.destroy()
    remote.destroy()
  })
  return { local, remote, textarea, binding, remoteDeltas }
}

/** What a browser does for one input: beforeinput, the edit, the caret, input. */
function userInput(textarea: HTMLTextAreaElement, inputType: string, edit: () => void): void {
  textarea.dispatchEvent(new InputEvent('beforeinput', { inputType, bubbles: true, cancelable: true }))
  edit()
  textarea.dispatchEvent(new InputEvent('input', { inputType, bubbles: true }))
}

/** Replaces [start, end) and leaves the caret after the new text, as typing does. */
function replace(textarea: HTMLTextAreaElement, text: string, start: number, end: number): void {
  textarea.setRangeText(text, start, end)
  textarea.setSelectionRange(start + text.length, start + text.length)
}

function typeAt(textarea: HTMLTextAreaElement, index: number, text: string): void {
  textarea.setSelectionRange(index, index)
  userInput(textarea, 'insertText', () => replace(textarea, text, index, index))
}

describe('TextareaBinding', () => {
  it('shows the existing text and sends a keystroke as a minimal insert', () => {
    const { textarea, remote, remoteDeltas } = setup('hello world')
    expect(textarea.value).toBe('hello world')
    typeAt(textarea, 5, ',')
    expect(remote.getText('text').toString()).toBe('hello, world')
    expect(remoteDeltas).toEqual([[{ retain: 5 }, { insert: ',' }]])
  })

  it('replaces a selection with one delete and one insert, not the whole text', () => {
    const { textarea, remote, remoteDeltas } = setup('the quick fox')
    textarea.setSelectionRange(4, 9)
    userInput(textarea, 'insertText', () => replace(textarea, 'slow', 4, 9))
    expect(remote.getText('text').toString()).toBe('the slow fox')
    expect(remoteDeltas).toHaveLength(1)
    expect(remoteDeltas[0]).toEqual(expect.arrayContaining([{ retain: 4 }, { insert: 'slow' }, { delete: 5 }]))
    expect(remoteDeltas[0]).toHaveLength(3)
  })

  it('applies a backspace as a one-character delete', () => {
    const { textarea, remote, remoteDeltas } = setup('abc')
    textarea.setSelectionRange(2, 2)
    userInput(textarea, 'deleteContentBackward', () => replace(textarea, '', 1, 2))
    expect(remote.getText('text').toString()).toBe('ac')
    expect(remoteDeltas).toEqual([[{ retain: 1 }, { delete: 1 }]])
  })

  it('keeps the caret and selection on the same text when someone inserts before it', () => {
    const { textarea, remote } = setup('hello world')
    textarea.focus()
    textarea.setSelectionRange(6, 11)
    remote.getText('text').insert(0, '>>> ')
    expect(textarea.value).toBe('>>> hello world')
    expect(textarea.value.slice(textarea.selectionStart, textarea.selectionEnd)).toBe('world')
    remote.getText('text').delete(0, 4)
    expect(textarea.value.slice(textarea.selectionStart, textarea.selectionEnd)).toBe('world')
  })

  it('keeps the caret still when someone types after it', () => {
    const { textarea, remote } = setup('abc')
    textarea.setSelectionRange(1, 1)
    remote.getText('text').insert(3, 'def')
    expect(textarea.value).toBe('abcdef')
    expect([textarea.selectionStart, textarea.selectionEnd]).toEqual([1, 1])
  })

  it("undoes only this person's edits, with Ctrl+Z and Ctrl+Shift+Z", () => {
    const { textarea, remote, binding } = setup('base')
    typeAt(textarea, 4, ' mine')
    binding.undoManager.stopCapturing()
    remote.getText('text').insert(0, 'theirs ')
    expect(textarea.value).toBe('theirs base mine')
    textarea.dispatchEvent(new KeyboardEvent('keydown', { key: 'z', ctrlKey: true, bubbles: true, cancelable: true }))
    expect(textarea.value).toBe('theirs base')
    expect(remote.getText('text').toString()).toBe('theirs base')
    textarea.dispatchEvent(new KeyboardEvent('keydown', { key: 'Z', ctrlKey: true, shiftKey: true, bubbles: true, cancelable: true }))
    expect(remote.getText('text').toString()).toBe('theirs base mine')
  })

  it('groups a run of typing into one undo step while someone else types above it', () => {
    const { textarea, remote, binding } = setup('first line\nsecond line')
    const end = textarea.value.length
    textarea.setSelectionRange(end, end)
    // One keystroke each, interleaved, within the capture timeout: as when two people type at once.
    for (const [i, ch] of [...' and more'].entries()) {
      const at = textarea.selectionStart
      userInput(textarea, 'insertText', () => replace(textarea, ch, at, at))
      remote.getText('text').insert(i, 'x')
    }
    expect(textarea.value).toBe('xxxxxxxxxfirst line\nsecond line and more')
    binding.undo()
    expect(textarea.value).toBe('xxxxxxxxxfirst line\nsecond line')
    expect(binding.undoManager.undoStack).toHaveLength(0)
  })

  it("ends an undo step where this person paused typing, read from the input events' times", () => {
    vi.useFakeTimers({ toFake: ['performance', 'Date', 'setTimeout', 'clearTimeout'] })
    try {
      const { textarea, binding } = setup('')
      const type = (text: string): void => {
        for (const ch of text) {
          const at = textarea.selectionStart
          userInput(textarea, 'insertText', () => replace(textarea, ch, at, at))
          vi.advanceTimersByTime(100)
        }
      }
      type('one two')
      vi.advanceTimersByTime(600)
      type(' three')
      binding.undo()
      expect(textarea.value).toBe('one two')
      binding.undo()
      expect(textarea.value).toBe('')
    } finally {
      vi.useRealTimers()
    }
  })

  it('takes a keystroke from the event without reading the value, and reconciles if the event misled it', () => {
    vi.useFakeTimers()
    try {
      const { textarea, remote } = setup('abc')
      textarea.setSelectionRange(1, 1)
      textarea.dispatchEvent(new InputEvent('beforeinput', { inputType: 'insertText', data: 'X', cancelable: true }))
      replace(textarea, 'X', 1, 1)
      textarea.dispatchEvent(new InputEvent('input', { inputType: 'insertText', data: 'X' }))
      expect(remote.getText('text').toString()).toBe('aXbc')
      // An event that claims 'Y' while the browser inserted 'Z' (an input method, say).
      textarea.dispatchEvent(new InputEvent('beforeinput', { inputType: 'insertText', data: 'Y', cancelable: true }))
      replace(textarea, 'Z', 2, 2)
      textarea.dispatchEvent(new InputEvent('input', { inputType: 'insertText', data: 'Y' }))
      expect(remote.getText('text').toString()).toBe('aXYbc')
      vi.advanceTimersByTime(600)
      expect(remote.getText('text').toString()).toBe('aXZbc')
      expect(textarea.value).toBe('aXZbc')
    } finally {
      vi.useRealTimers()
    }
  })

  it("replaces the browser's native undo with its own", () => {
    const { textarea, remote } = setup('x')
    typeAt(textarea, 1, 'y')
    const event = new InputEvent('beforeinput', { inputType: 'historyUndo', cancelable: true })
    textarea.dispatchEvent(event)
    expect(event.defaultPrevented).toBe(true)
    expect(remote.getText('text').toString()).toBe('x')
  })

  it('holds remote edits during an IME composition and merges them after it', () => {
    const { textarea, remote, local } = setup('ab')
    textarea.setSelectionRange(1, 1)
    textarea.dispatchEvent(new CompositionEvent('compositionstart'))
    replace(textarea, 'に', 1, 1)
    textarea.dispatchEvent(new InputEvent('input', { inputType: 'insertCompositionText', isComposing: true }))
    remote.getText('text').insert(0, 'Z')
    // The composition in progress is untouched.
    expect(textarea.value).toBe('aにb')
    replace(textarea, '日本', 1, 2)
    textarea.dispatchEvent(new CompositionEvent('compositionend'))
    expect(textarea.value).toBe('Za日本b')
    expect(local.getText('text').toString()).toBe('Za日本b')
    expect(remote.getText('text').toString()).toBe('Za日本b')
    expect(textarea.selectionStart).toBe(4)
  })

  it('publishes the caret as relative positions that others resolve to the right place', async () => {
    let awareness: Awareness | undefined
    const { textarea, remote } = setup('hello world', (doc) => (awareness = new Awareness(doc)))
    cleanups.push(() => awareness?.destroy())
    textarea.focus()
    textarea.setSelectionRange(6, 11)
    textarea.dispatchEvent(new Event('select'))
    // Published after the next frame.
    const cursor = await vi.waitFor(() => {
      const published = awareness!.getLocalState()?.cursor as { anchor: unknown; head: unknown } | undefined
      expect(published).toBeTruthy()
      return published!
    })
    remote.getText('text').insert(0, 'oh, ')
    const anchor = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.anchor), remote)
    const head = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.head), remote)
    expect(remote.getText('text').toString().slice(anchor!.index, head!.index)).toBe('world')
  })
  it('sends nothing while its person types at the caret (the caret stays tied to the same character), and sends a move', async () => {
    let awareness: Awareness | undefined
    const { textarea, remote } = setup('hello world', (doc) => (awareness = new Awareness(doc)))
    cleanups.push(() => awareness?.destroy())
    const sent: unknown[] = []
    awareness!.on('update', ({ updated }: { updated: number[] }) => updated.includes(awareness!.clientID) && sent.push(awareness!.getLocalState()?.cursor))
    const publishedAt = async (index: number): Promise<void> =>
      void (await vi.waitFor(() => {
        const cursor = awareness!.getLocalState()?.cursor as { head: unknown } | undefined
        expect(cursor).toBeTruthy()
        expect(Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor!.head), remote)?.index).toBe(index)
      }))
    textarea.focus()
    textarea.setSelectionRange(5, 5)
    textarea.dispatchEvent(new Event('select'))
    await publishedAt(5)
    const before = sent.length
    // Three keys, each waited past the frame in which the caret would be published.
    for (const [i, key] of [...'abc'].entries()) {
      typeAt(textarea, 5 + i, key)
      await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)))
      await new Promise((resolve) => setTimeout(resolve, 0))
    }
    expect(remote.getText('text').toString()).toBe('helloabc world')
    // Moving it is sent, and it is the only thing sent since the typing started.
    textarea.setSelectionRange(1, 1)
    textarea.dispatchEvent(new Event('select'))
    await publishedAt(1)
    expect(sent.length).toBe(before + 1)
  })
})

describe('RemoteCursors', () => {
  it('resolves and draws a remote caret with the person name', async () => {
    const doc = new Y.Doc()
    const text = doc.getText('text')
    text.insert(0, 'hello world')
    const awareness = new Awareness(doc)
    const textarea = document.createElement('textarea')
    document.body.append(textarea)
    textarea.value = text.toString()
    const cursors = new RemoteCursors(textarea, text, awareness)
    // Someone else's state arrives as it would from the network.
    const other = 4242
    awareness.states.set(other, {
      user: { name: 'Ada', color: '#aa3377' },
      cursor: {
        anchor: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, 6)),
        head: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, 11)),
      },
    })
    awareness.meta.set(other, { clock: 1, lastUpdated: Date.now() })
    awareness.emit('change', [{ added: [other], updated: [], removed: [] }, 'remote'])
    expect(cursors.resolve()).toEqual([{ clientId: other, name: 'Ada', color: '#aa3377', anchor: 6, head: 11 }])
    await new Promise((resolve) => requestAnimationFrame(resolve))
    await new Promise((resolve) => requestAnimationFrame(resolve))
    const label = cursors.layer.querySelector('.coedit-remote-caret-label')
    expect(label?.textContent).toBe('Ada')
    expect(cursors.layer.querySelector('.coedit-remote-selection')?.textContent).toBe('world')
    cursors.destroy()
    awareness.destroy()
    doc.destroy()
  })
})
