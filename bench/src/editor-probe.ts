// What the editor benchmark puts in every page before its own scripts run, and the floor
// page it compares against. Times are epoch milliseconds (timeOrigin + now) so that a
// keydown in one page and the frame that shows it in another can be subtracted.

/** What the probe collects in a page, read back by the harness. */
export interface EditorProbe {
  /** Per keydown: epoch ms of the key event. */
  readonly keys: number[]
  /** Per keydown: ms from the key event to the end of the next frame. */
  readonly keyFrames: number[]
  /**
   * Per keydown that took 16 ms or more (Event Timing reports no shorter ones): epoch ms of the
   * key event and ms from it to when the frame after its handling was presented (8 ms steps).
   */
  readonly presented: Array<{ at: number; ms: number }>
  /** Per burst of textarea changes (setRangeText or a value write): epoch ms of the end of the frame that shows it. */
  readonly shown: number[]
  /**
   * Long tasks (> 50 ms): epoch start, duration, and how much of it the page's own callbacks
   * ran (event listeners, animation-frame and timer callbacks, socket and port messages; the
   * microtasks they leave behind are not included). A long task whose duration less its
   * script is under 50 ms is one the page's script pushed over; the rest the browser's own
   * work makes long by itself.
   */
  readonly longTasks: Array<{ start: number; duration: number; script: number; longest: string }>
  /**
   * Per keydown, where its frame went (ms): the page's event handlers for the key (keydown,
   * beforeinput, input, keyup, from the first listener to the last), key event → the next
   * frame's first animation-frame callback, and that callback → after the frame; and of the
   * last two, how much the page's own callbacks ran (the rest is the browser's).
   */
  readonly phases: Array<{ handlers: number; toFrame: number; frame: number; toFrameScript: number; frameScript: number }>
  /** Resolves once `shown` has `count` entries, or with false after `timeoutMs`. */
  waitShown(count: number, timeoutMs: number): Promise<boolean>
  /** Resolves once `keyFrames` has `count` entries, or with false after `timeoutMs`. */
  waitKeyFrames(count: number, timeoutMs: number): Promise<boolean>
  reset(): void
}

/**
 * The probe as an init script. tsx keeps function names with a `__name` helper that exists
 * only in this process, so the serialised function gets a stand-in for it.
 */
export const EDITOR_PROBE_SCRIPT = { content: `var __name = (target) => target; (${installEditorProbe.toString()})()` }

/** Runs in the page: no closures over module scope. */
function installEditorProbe(): void {
  const epoch = (t: number): number => performance.timeOrigin + t
  const waiters: Array<() => void> = []
  const probe = {
    keys: [] as number[],
    keyFrames: [] as number[],
    presented: [] as Array<{ at: number; ms: number }>,
    shown: [] as number[],
    longTasks: [] as Array<{ start: number; duration: number; script: number; longest: string }>,
    phases: [] as Array<{ handlers: number; toFrame: number; frame: number; toFrameScript: number; frameScript: number }>,
    waitShown: (count: number, timeoutMs: number) => until(() => probe.shown.length >= count, timeoutMs),
    waitKeyFrames: (count: number, timeoutMs: number) => until(() => probe.keyFrames.length >= count, timeoutMs),
    reset() {
      probe.keys.length = 0
      probe.keyFrames.length = 0
      probe.presented.length = 0
      probe.shown.length = 0
      probe.longTasks.length = 0
      probe.phases.length = 0
    },
  }
  // Every callback the page runs is timed (the outermost of nested ones), so that a long
  // task can be split into the page's script and the rest.
  // A ring of the last SPANS callbacks, written in place: the probe must not add garbage of its
  // own to the page it measures (a closure, an array and two numbers a callback did, 5 KB a key).
  const SPANS = 10_000
  const spanStarts = new Float64Array(SPANS)
  const spanEnds = new Float64Array(SPANS)
  const spanKinds: string[] = new Array<string>(SPANS).fill('')
  let spans = 0
  let depth = 0
  function timed<A extends unknown[], R>(fn: (this: unknown, ...args: A) => R, kind: string): (this: unknown, ...args: A) => R {
    return function (this: unknown): R {
      // `arguments`, not a rest parameter: no array per call.
      // eslint-disable-next-line prefer-rest-params
      const args = arguments as unknown as A
      if (depth++ > 0) {
        try {
          return fn.apply(this, args)
        } finally {
          depth--
        }
      }
      const start = performance.now()
      try {
        return fn.apply(this, args)
      } finally {
        depth--
        const slot = spans++ % SPANS
        spanStarts[slot] = start
        spanEnds[slot] = performance.now()
        spanKinds[slot] = kind
      }
    }
  }
  function scriptWithin(start: number, end: number): number {
    return scriptIn(start, end).sum
  }
  /** The page's callbacks in [start, end): their total, and the longest one (its kind and ms). */
  function scriptIn(start: number, end: number): { sum: number; longest: string } {
    let sum = 0
    let longest = 0
    let kind = ''
    for (let n = spans - 1; n >= Math.max(0, spans - SPANS); n--) {
      const slot = n % SPANS
      if (spanEnds[slot]! <= start - 1_000) break
      const ms = Math.max(0, Math.min(end, spanEnds[slot]!) - Math.max(start, spanStarts[slot]!))
      sum += ms
      if (ms > longest) [longest, kind] = [ms, spanKinds[slot]!]
    }
    return { sum, longest: longest > 0 ? `${kind} ${longest.toFixed(1)} ms` : '' }
  }
  const listeners = new WeakMap<object, EventListener>()
  const addEventListener = EventTarget.prototype.addEventListener
  const removeEventListener = EventTarget.prototype.removeEventListener
  const wrapListener = (listener: EventListenerOrEventListenerObject, type: string): EventListener => {
    let wrapped = listeners.get(listener)
    if (!wrapped) {
      const call = typeof listener === 'function' ? listener : (event: Event) => listener.handleEvent(event)
      listeners.set(listener, (wrapped = timed(call, type) as EventListener))
    }
    return wrapped
  }
  EventTarget.prototype.addEventListener = function (
    this: EventTarget,
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ) {
    addEventListener.call(this, type, listener ? wrapListener(listener, type) : listener, options)
  }
  EventTarget.prototype.removeEventListener = function (
    this: EventTarget,
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ) {
    removeEventListener.call(this, type, listener ? (listeners.get(listener) ?? listener) : listener, options)
  }
  const handlerProperties: Array<[{ prototype: object }, string[]]> = [
    [WebSocket, ['onmessage', 'onopen', 'onclose', 'onerror']],
    [MessagePort, ['onmessage']],
    [IDBRequest, ['onsuccess', 'onerror']],
    [IDBOpenDBRequest, ['onupgradeneeded', 'onblocked']],
    [IDBTransaction, ['oncomplete', 'onerror', 'onabort']],
  ]
  for (const [type, names] of handlerProperties) {
    for (const name of names) {
      const property = Object.getOwnPropertyDescriptor(type.prototype, name)
      if (!property?.set) continue
      Object.defineProperty(type.prototype, name, {
        ...property,
        set(this: object, handler: unknown) {
          property.set!.call(this, typeof handler === 'function' ? timed(handler as (...args: unknown[]) => unknown, name) : handler)
        },
      })
    }
  }
  const requestFrame = window.requestAnimationFrame.bind(window)
  window.requestAnimationFrame = (callback) => requestFrame(timed(callback, 'animation frame'))
  const setTimer = window.setTimeout.bind(window)
  window.setTimeout = ((handler: TimerHandler, ms?: number, ...args: unknown[]) =>
    setTimer(typeof handler === 'function' ? timed(handler as (...args: unknown[]) => unknown, 'timeout') : handler, ms, ...args)) as typeof window.setTimeout
  function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(done()), timeoutMs)
      const check = (): void => {
        if (!done()) return void waiters.push(check)
        clearTimeout(timer)
        resolve(true)
      }
      waiters.push(check)
    })
  }
  function notify(): void {
    for (const waiter of waiters.splice(0)) waiter()
  }
  // The end of the next frame: rAF callbacks run before style, layout and paint; a message
  // posted from one is handled after them.
  function afterNextFrame(callback: (at: number, frameStart: number) => void): void {
    requestAnimationFrame(() => {
      const frameStart = epoch(performance.now())
      const channel = new MessageChannel()
      channel.port1.onmessage = () => callback(epoch(performance.now()), frameStart)
      channel.port2.postMessage(null)
    })
  }
  // The page's own handlers for the current key: from window capture (first) to window bubble (last).
  let handlers = 0
  let handlerStart = 0
  for (const type of ['keydown', 'beforeinput', 'input', 'keyup']) {
    window.addEventListener(type, () => (handlerStart = performance.now()), true)
    window.addEventListener(type, () => (handlers += performance.now() - handlerStart))
  }
  document.addEventListener(
    'keydown',
    (event) => {
      const at = epoch(event.timeStamp)
      probe.keys.push(at)
      handlers = 0
      afterNextFrame((end, frameStart) => {
        probe.keyFrames.push(end - at)
        const [key, start, stop] = [event.timeStamp, frameStart - performance.timeOrigin, end - performance.timeOrigin]
        probe.phases.push({
          handlers,
          toFrame: frameStart - at,
          frame: end - frameStart,
          toFrameScript: scriptWithin(key, start),
          frameScript: scriptWithin(start, stop),
        })
        notify()
      })
    },
    true,
  )
  let pending = false
  const changed = (): void => {
    if (pending) return
    pending = true
    afterNextFrame((end) => {
      pending = false
      probe.shown.push(end)
      notify()
    })
  }
  const proto = HTMLTextAreaElement.prototype
  const setRangeText = proto.setRangeText as (this: HTMLTextAreaElement, ...args: unknown[]) => void
  proto.setRangeText = function (this: HTMLTextAreaElement, ...args: unknown[]) {
    setRangeText.apply(this, args)
    if (this.isConnected) changed()
  } as typeof proto.setRangeText
  const value = Object.getOwnPropertyDescriptor(proto, 'value')!
  Object.defineProperty(proto, 'value', {
    ...value,
    set(this: HTMLTextAreaElement, next: string) {
      value.set!.call(this, next)
      if (this.isConnected) changed()
    },
  })
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (entry.name === 'keydown') probe.presented.push({ at: epoch(entry.startTime), ms: entry.duration })
  }).observe({ type: 'event', durationThreshold: 16, buffered: true } as PerformanceObserverInit)
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const { sum, longest } = scriptIn(entry.startTime, entry.startTime + entry.duration)
      probe.longTasks.push({ start: epoch(entry.startTime), duration: entry.duration, script: sum, longest })
    }
  }).observe({ type: 'longtask', buffered: true })
  ;(window as unknown as { probe: typeof probe }).probe = probe
}

/**
 * The floor: a textarea with no binding, no carets, no Yjs, on a raw WebSocket relay. A
 * keystroke is sent as {index, text} and applied by the others with setRangeText: the least
 * any collaborative textarea can cost. `style` is the editor textarea's computed box and font.
 */
export function floorPage(style: string): string {
  return `<!doctype html><meta charset="utf-8"><title>floor</title>
<body style="margin:0"><textarea style="${style}"></textarea>
<script>
const textarea = document.querySelector('textarea')
let socket
let before = 0
window.floor = {
  connect(url) {
    return new Promise((resolve, reject) => {
      socket = new WebSocket(url)
      socket.onopen = () => resolve()
      socket.onerror = () => reject(new Error('relay unreachable'))
      socket.onmessage = (event) => {
        const { index, text } = JSON.parse(event.data)
        textarea.setRangeText(text, index, index, 'preserve')
      }
    })
  },
  load(text, caret) {
    textarea.value = text
    textarea.focus()
    textarea.setSelectionRange(caret, caret)
  },
  length: () => textarea.textLength,
}
textarea.addEventListener('beforeinput', () => (before = textarea.selectionStart))
textarea.addEventListener('input', (event) => socket && socket.send(JSON.stringify({ index: before, text: event.data ?? '' })))
</script>`
}
