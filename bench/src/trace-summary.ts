// Where a page's main thread spent its time, from a Chromium performance trace (the JSON
// that Playwright's browser.startTracing writes). Used with BENCH_TRACE=<dir> on the editor
// scenario, and runnable on its own: tsx src/trace-summary.ts <trace.json> [more.json ...]
import { readFileSync } from 'node:fs'

interface TraceEvent {
  name: string
  ph: string
  ts: number
  dur?: number
  pid: number
  tid: number
  args?: {
    name?: string
    data?: { type?: string; functionName?: string; url?: string }
    beginData?: { stackTrace?: Array<{ functionName: string; lineNumber: number }> }
  }
}

export interface TraceSummary {
  /** Milliseconds of self time per event name on the busiest renderer's main thread. */
  readonly selfMs: ReadonlyArray<{ name: string; ms: number; count: number }>
  /** Layouts started by script (forced) against those the frame ran itself. */
  readonly forcedLayoutMs: number
  readonly frameLayoutMs: number
  /** Tasks over 50 ms: their length and what took most of it. */
  readonly longTasks: ReadonlyArray<{ ms: number; top: string }>
  /** Forced layouts by the script that asked (its innermost frames). */
  readonly forcedBy: ReadonlyArray<{ stack: string; ms: number; count: number }>
  readonly keydowns: number
}

function mainThreads(events: readonly TraceEvent[]): Set<string> {
  const threads = new Set<string>()
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain') threads.add(`${e.pid}:${e.tid}`)
  return threads
}

/** Names a script-level slice by its function's file, so the table says whose code ran. */
function label(e: TraceEvent): string {
  const data = e.args?.data
  if (e.name === 'EventDispatch' && data?.type) return `EventDispatch ${data.type}`
  if (e.name === 'FunctionCall' && data?.url) return `FunctionCall ${data.url.replace(/^.*\//, '')}:${data.functionName || '(anonymous)'}`
  return e.name
}

export function summariseTrace(json: string): TraceSummary {
  const parsed = JSON.parse(json) as { traceEvents?: TraceEvent[] } | TraceEvent[]
  const events = Array.isArray(parsed) ? parsed : (parsed.traceEvents ?? [])
  const threads = mainThreads(events)
  // The page that was typed into: the renderer main thread that saw key events.
  const byThread = new Map<string, TraceEvent[]>()
  for (const e of events) {
    const key = `${e.pid}:${e.tid}`
    if (!threads.has(key) || (e.ph !== 'X' && e.ph !== 'B' && e.ph !== 'E')) continue
    let list = byThread.get(key)
    if (!list) byThread.set(key, (list = []))
    list.push(e)
  }
  let chosen: TraceEvent[] = []
  let keydowns = 0
  for (const list of byThread.values()) {
    const keys = list.filter((e) => e.name === 'EventDispatch' && e.args?.data?.type === 'keydown').length
    if (keys > keydowns || (keys === keydowns && list.length > chosen.length)) [chosen, keydowns] = [list, keys]
  }
  // B/E pairs become complete slices; then self time is a slice's duration minus its children's.
  const slices: Array<TraceEvent & { dur: number }> = []
  const open: TraceEvent[] = []
  for (const e of [...chosen].sort((a, b) => a.ts - b.ts)) {
    if (e.ph === 'X') slices.push({ ...e, dur: e.dur ?? 0 })
    else if (e.ph === 'B') open.push(e)
    else {
      const begin = open.pop()
      if (begin) slices.push({ ...begin, dur: e.ts - begin.ts })
    }
  }
  slices.sort((a, b) => a.ts - b.ts || b.dur - a.dur)
  const totals = new Map<string, { ms: number; count: number }>()
  const stack: Array<{ end: number; label: string; self: number; scripted: boolean }> = []
  // Per top-level task, self time by label, to say what its long ones were made of.
  const longTasks: Array<{ ms: number; top: string }> = []
  let task: { end: number; ms: number; parts: Map<string, number> } | null = null
  const closeTask = (until: number): void => {
    if (!task || task.end > until) return
    if (task.ms > 50) {
      const parts = [...task.parts].sort((a, b) => b[1] - a[1]).slice(0, 3)
      longTasks.push({ ms: task.ms, top: parts.map(([name, ms]) => `${name} ${ms.toFixed(0)}`).join(', ') })
    }
    task = null
  }
  let forcedLayoutMs = 0
  let frameLayoutMs = 0
  const forcedBy = new Map<string, { ms: number; count: number }>()
  const close = (until: number): void => {
    while (stack.length > 0 && stack[stack.length - 1]!.end <= until) {
      const done = stack.pop()!
      if (task) task.parts.set(done.label, (task.parts.get(done.label) ?? 0) + done.self / 1_000)
      const total = totals.get(done.label) ?? { ms: 0, count: 0 }
      total.ms += done.self / 1_000
      total.count++
      totals.set(done.label, total)
    }
  }
  for (const slice of slices) {
    close(slice.ts)
    closeTask(slice.ts)
    if (stack.length === 0) task = { end: slice.ts + slice.dur, ms: slice.dur / 1_000, parts: new Map() }
    const parent = stack[stack.length - 1]
    if (parent) parent.self -= slice.dur
    const scripted = (parent?.scripted ?? false) || slice.name === 'FunctionCall' || slice.name === 'EventDispatch' || slice.name === 'FireAnimationFrame'
    if (slice.name === 'Layout') {
      const stack = slice.args?.beginData?.stackTrace
      if (scripted || stack) {
        forcedLayoutMs += slice.dur / 1_000
        const key = stack
          ? stack
              .slice(0, 3)
              .map((f) => `${f.functionName || '(anonymous)'}:${f.lineNumber}`)
              .join(' < ')
          : '(in an event, no script)'
        const entry = forcedBy.get(key) ?? { ms: 0, count: 0 }
        entry.ms += slice.dur / 1_000
        entry.count++
        forcedBy.set(key, entry)
      } else frameLayoutMs += slice.dur / 1_000
    }
    stack.push({ end: slice.ts + slice.dur, label: label(slice), self: slice.dur, scripted })
  }
  close(Infinity)
  closeTask(Infinity)
  const selfMs = [...totals].map(([name, t]) => ({ name, ms: t.ms, count: t.count })).sort((a, b) => b.ms - a.ms)
  const forced = [...forcedBy].map(([stack, f]) => ({ stack, ...f })).sort((a, b) => b.ms - a.ms)
  return { selfMs, forcedLayoutMs, frameLayoutMs, forcedBy: forced, longTasks, keydowns }
}

/** Long tasks grouped by their largest part. */
function longTaskKinds(tasks: TraceSummary['longTasks']): string[] {
  const kinds = new Map<string, { count: number; ms: number }>()
  for (const t of tasks) {
    const kind = t.top.replace(/ \d+(,.*)?$/, '')
    const entry = kinds.get(kind) ?? { count: 0, ms: 0 }
    entry.count++
    entry.ms += t.ms
    kinds.set(kind, entry)
  }
  return [...kinds]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([kind, k]) => `  ${String(k.count).padStart(4)}× ${(k.ms / k.count).toFixed(0).padStart(5)} ms avg  ${kind}`)
}

export function formatTraceSummary(summary: TraceSummary, top = 25): string {
  const lines = [
    `keydowns ${summary.keydowns}; layout forced by script ${summary.forcedLayoutMs.toFixed(1)} ms, run by the frame ${summary.frameLayoutMs.toFixed(1)} ms`,
    ...summary.forcedBy.slice(0, 5).map((f) => `  forced ${f.ms.toFixed(1).padStart(7)} ms ${String(f.count).padStart(4)}×  ${f.stack}`),
    `tasks over 50 ms: ${summary.longTasks.length}; by what most of each was:`,
    ...longTaskKinds(summary.longTasks),
    ...summary.selfMs.slice(0, top).map((row) => `${row.ms.toFixed(1).padStart(9)} ms ${String(row.count).padStart(6)}×  ${row.name}`),
  ]
  return lines.join('\n')
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  for (const file of process.argv.slice(2)) console.log(`${file}\n${formatTraceSummary(summariseTrace(readFileSync(file, 'utf8')))}\n`)
}

/** A profile's call frame as `function file:line:column`, the way both profile summaries name code. */
export function frameLabel({
  functionName,
  url,
  lineNumber,
  columnNumber,
}: {
  functionName: string
  url: string
  lineNumber: number
  columnNumber: number
}): string {
  return `${functionName || '(anonymous)'} ${url.replace(/^.*\//, '')}:${lineNumber + 1}:${columnNumber + 1}`
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] }>
  samples?: number[]
  timeDeltas?: number[]
}

/** Self time per function from a V8 CPU profile (CDP Profiler.stop), busiest first. */
export function summariseCpuProfile(profile: CpuProfile, top = 30): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  const samples = profile.samples ?? []
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]!)
    if (!node) continue
    const key = frameLabel(node.callFrame)
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas?.[i] ?? 0) / 1_000)
  }
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, ms]) => `${ms.toFixed(1).padStart(9)} ms  ${key}`)
    .join('\n')
}
