import * as Y from 'yjs'
import type { IndexeddbPersistence } from 'y-indexeddb'
import { afterNextFrame } from '@coedit/textarea-binding'

/** A page that renders no frames (a hidden tab) still writes its edits within this, in ms. */
const HIDDEN_PAGE_MS = 1_000

type StoreUpdate = (update: Uint8Array, origin: unknown) => void

export interface LocalWrites {
  /** Writes what is queued and stops (before the store is closed). */
  close(): void
  /** Drops what is queued and stops writing (the document is gone: its copy is being deleted). */
  cancel(): void
}

/**
 * y-indexeddb writes each update to IndexedDB from inside the transaction that made it: for a
 * keystroke, in the key's own handler, before the frame that shows it. This takes over that
 * write and does it right after the next frame instead, the updates of that frame merged into
 * one. The copy on this device is as durable as before for anything a person can do: the
 * queue is written when the page is hidden or left, and before the store closes.
 */
export function writeLocalBehindFrame(local: IndexeddbPersistence, doc: Y.Doc): LocalWrites {
  // The library's own handler: it knows its database, its counts and when to compact.
  const store = (local as unknown as { _storeUpdate: StoreUpdate })._storeUpdate
  doc.off('update', store)
  let queued: Uint8Array[] = []
  /** Cancels the write due after the next frame; null when none is. */
  let afterFrame: (() => void) | null = null
  let hiddenTimer: ReturnType<typeof setTimeout> | null = null
  let stopped = false

  const unschedule = (): void => {
    afterFrame?.()
    if (hiddenTimer !== null) clearTimeout(hiddenTimer)
    afterFrame = null
    hiddenTimer = null
  }
  const flush = (): void => {
    unschedule()
    if (stopped || queued.length === 0) return
    const update = queued.length === 1 ? queued[0]! : Y.mergeUpdates(queued)
    queued = []
    // Not `local` as the origin: that would mark it as read back from the store, and skip it.
    store(update, null)
  }
  const onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === local || stopped) return
    queued.push(update)
    if (afterFrame !== null) return
    afterFrame = afterNextFrame(flush)
    hiddenTimer = setTimeout(flush, HIDDEN_PAGE_MS)
  }
  const onHidden = (): void => {
    if (document.visibilityState === 'hidden') flush()
  }
  doc.on('update', onUpdate)
  window.addEventListener('pagehide', flush)
  document.addEventListener('visibilitychange', onHidden)
  const stop = (): void => {
    stopped = true
    unschedule()
    doc.off('update', onUpdate)
    window.removeEventListener('pagehide', flush)
    document.removeEventListener('visibilitychange', onHidden)
  }
  return {
    close: () => {
      flush()
      stop()
    },
    cancel: () => {
      queued = []
      stop()
    },
  }
}
