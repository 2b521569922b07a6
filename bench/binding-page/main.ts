// Runs in Chromium: a 200,000-character document bound to a textarea, and the two costs
// the binding adds: handling one local keystroke, and applying one remote edit.
import * as Y from 'yjs'
import { TextareaBinding } from '@coedit/textarea-binding'

export interface BindingBench {
  setup(characters: number): void
  /** Time from beforeinput to the end of the binding's input handling, per keystroke. */
  keystrokes(): number[]
  resetKeystrokes(): void
  /** Applies one remote single-character insert at a random place; returns ms. */
  remoteEdit(): number
  text(): string
  /** Removes the binding but keeps the text: what the browser alone costs per keystroke. */
  unbind(): void
}

const textarea = document.querySelector('textarea')!
let local: Y.Doc
let remote: Y.Doc
let binding: TextareaBinding | null = null
let started = 0
let timings: number[] = []

// Listeners around the binding's own: the first beforeinput listener runs before it, the
// input listener added after it runs after it.
textarea.addEventListener('beforeinput', () => (started = performance.now()))

const bench: BindingBench = {
  setup(characters) {
    binding?.destroy()
    local = new Y.Doc()
    remote = new Y.Doc()
    const line = 'The quick brown fox jumps over the lazy dog while everyone edits the same document. '
    let content = ''
    while (content.length < characters) content += line + (content.length % 2000 < 90 ? '\n' : '')
    remote.getText('text').insert(0, content.slice(0, characters))
    Y.applyUpdate(local, Y.encodeStateAsUpdate(remote))
    local.on('update', (u: Uint8Array, origin: unknown) => origin !== 'remote' && Y.applyUpdate(remote, u, 'local'))
    binding = new TextareaBinding(local.getText('text'), textarea)
    textarea.addEventListener('input', () => timings.push(performance.now() - started))
    textarea.focus()
    textarea.setSelectionRange(characters / 2, characters / 2)
  },
  keystrokes: () => timings,
  resetKeystrokes: () => {
    timings = []
  },
  remoteEdit() {
    const text = remote.getText('text')
    const before = Y.encodeStateVector(remote)
    text.insert(Math.floor(Math.random() * text.length), 'x')
    const update = Y.encodeStateAsUpdate(remote, before)
    const t0 = performance.now()
    Y.applyUpdate(local, update, 'remote')
    return performance.now() - t0
  },
  text: () => textarea.value,
  unbind() {
    binding?.destroy()
    binding = null
  },
}

;(window as unknown as { bench: BindingBench }).bench = bench
