import { createServer } from 'node:http'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from '@playwright/test'
import { CHROMIUM_ARGS, CHROMIUM_PATH, connectClient } from '@coedit/test-utils'
import { SERVERS, removeDataDir, startServer, type RunningServer } from '../servers.js'
import { median, percentile, sleep } from '../stats.js'
import { childrenNamed, cpuSeconds, processTree, treeCpuSeconds } from '../proc.js'
import { EDITOR_PROBE_SCRIPT, floorPage, type EditorProbe } from '../editor-probe.js'
import type { Metrics, Scenario, ScenarioContext } from './types.js'
import { formatTraceSummary, summariseCpuProfile, summariseTrace } from '../trace-summary.js'

const WEB = fileURLToPath(new URL('../../../apps/web/dist', import.meta.url))
/** Where the typist types: in the first paragraph, on screen for everyone. */
const TYPIST_AT = 40
/** The other two people's carets and selection, on screen too, so carets are drawn. */
const VIEWER_AT = 600
const THIRD_SELECTION = [1_200, 1_500] as const
/** A fast typist: a key every 150 ms at most, and never before the last one is shown. */
const KEY_GAP_MS = 150
/** Coedit and the floor type in turns of this many rounds each. */
const CHUNKS = 4
/** Keys typed on opening, before the measured ones, in Coedit and in the floor. */
const WARM_KEYS = 30
/** Between turns: past the editor's pause work (400 ms after the last key, then idle time). */
const TURN_GAP_MS = 1_000
/** What the Long Tasks API reports: a task longer than this. */
const LONG_TASK_MS = 50

type ProbeWindow = Window & { probe: EditorProbe; floor: { connect(url: string): Promise<void>; load(text: string, caret: number): void; length(): number } }

/** 2,000-character paragraphs, as in a long report. */
function documentText(characters: number): string {
  const words = 'the quick brown fox jumps over a lazy dog while everyone edits one shared document together'.split(' ')
  const paragraphs: string[] = []
  let total = 0
  let w = 0
  while (total < characters) {
    let paragraph = ''
    while (paragraph.length < 1_990) paragraph += `${words[w++ % words.length]} `
    paragraph = `${paragraph.slice(0, Math.min(1_999, characters - total - 1))}\n`
    paragraphs.push(paragraph)
    total += paragraph.length
  }
  return paragraphs.join('').slice(0, characters)
}

/** Keystroke figures from the typist's and a viewer's probes, paired key by key. */
interface Round {
  local: number[]
  /** Key event → presented (Event Timing), a key under 16 ms counted as 16. */
  presented: number[]
  /** Where each key's frame went (see EditorProbe.phases). */
  phases: EditorProbe['phases'][number][]
  remote: number[]
  longTasks: number
  /** Of those, the typist's page's (the rest are the viewer's). */
  typistLongTasks: number
  /** Of the typist's, those its own script pushed over 50 ms (under 50 without the page's callbacks). */
  typistScriptLongTasks: number
  /** CPU of the whole browser (every page, GPU and browser process) per key, in ms. */
  browserCpuPerKey: number
}

/** Rounds of one kind, as one. */
function joinRounds(rounds: readonly Round[]): Round {
  const keys = rounds.reduce((sum, r) => sum + r.local.length, 0)
  return {
    local: rounds.flatMap((r) => r.local),
    presented: rounds.flatMap((r) => r.presented),
    phases: rounds.flatMap((r) => r.phases),
    remote: rounds.flatMap((r) => r.remote),
    longTasks: rounds.reduce((sum, r) => sum + r.longTasks, 0),
    typistLongTasks: rounds.reduce((sum, r) => sum + r.typistLongTasks, 0),
    typistScriptLongTasks: rounds.reduce((sum, r) => sum + r.typistScriptLongTasks, 0),
    browserCpuPerKey: rounds.reduce((sum, r) => sum + r.browserCpuPerKey * r.local.length, 0) / keys,
  }
}

/** CPU seconds of the Chromium that Playwright started (this process's chromium children and theirs). */
function browserCpuSeconds(): number {
  return childrenNamed(process.pid, 'chrom').reduce((sum, pid) => sum + treeCpuSeconds(pid), 0)
}

/** BENCH_CPU_DETAIL=1: CPU seconds per Chromium process (renderers by client id), to say whose the CPU per key is. */
function browserCpuByProcess(): Map<string, number> {
  const result = new Map<string, number>()
  if (!process.env.BENCH_CPU_DETAIL) return result
  for (const pid of processTree(childrenNamed(process.pid, 'chrom'))) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/)
      const type = args.find((a) => a.startsWith('--type='))?.slice(7) ?? 'browser'
      const client = args.find((a) => a.startsWith('--renderer-client-id='))?.split('=')[1] ?? ''
      result.set(`${type}${client} ${pid}`, cpuSeconds(pid))
    } catch {
      // Ended meanwhile.
    }
  }
  return result
}

/**
 * BENCH_TRACE=<dir>: a Chromium performance trace of the typist's page (BENCH_TRACE_PAGE=viewer:
 * the viewer's) over the measured keys, written there and summarised in the log.
 */
async function traced<T>(browser: Browser, page: Page, name: string, log: (m: string) => void, work: () => Promise<T>): Promise<T> {
  const dir = process.env.BENCH_TRACE
  if (!dir) return work()
  const path = `${dir}/${name}.json`
  // A CPU profile too: the trace names only the entry point of each script task.
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Profiler.enable')
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
  await cdp.send('Profiler.start')
  await browser.startTracing(page, { path })
  const result = await work()
  const trace = await browser.stopTracing()
  const { profile } = await cdp.send('Profiler.stop')
  writeFileSync(`${dir}/${name}.cpuprofile`, JSON.stringify(profile))
  await cdp.detach()
  log(`${path}\n${formatTraceSummary(summariseTrace(trace.toString('utf8')))}\n${summariseCpuProfile(profile)}`)
  return result
}

interface AllocationNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }
  selfSize: number
  children: AllocationNode[]
}

/**
 * BENCH_ALLOC=1: what the typist's page allocates over the measured keys (V8's sampling heap
 * profiler, objects later collected included), by function, per key. Garbage is work: each
 * collection it brings on lands in some key's handler or frame.
 */
async function allocationProfiled<T>(page: Page, name: string, keys: number, log: (m: string) => void, work: () => Promise<T>): Promise<T> {
  if (!process.env.BENCH_ALLOC) return work()
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('HeapProfiler.enable')
  await cdp.send('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
  const result = await work()
  const { profile } = (await cdp.send('HeapProfiler.stopSampling')) as unknown as { profile: { head: AllocationNode } }
  await cdp.detach()
  const bytes = new Map<string, number>()
  let total = 0
  const walk = (node: AllocationNode): void => {
    const { functionName, url, lineNumber, columnNumber } = node.callFrame
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*\//, '')}:${lineNumber + 1}:${columnNumber + 1}`
    bytes.set(key, (bytes.get(key) ?? 0) + node.selfSize)
    total += node.selfSize
    for (const child of node.children) walk(child)
  }
  walk(profile.head)
  const top = [...bytes].sort((a, b) => b[1] - a[1]).slice(0, 20)
  log(
    [`${name}: ${(total / keys / 1024).toFixed(0)} KB allocated per key`, ...top.map(([key, b]) => `  ${(b / keys / 1024).toFixed(1).padStart(8)} KB/key  ${key}`)].join('\n'),
  )
  return result
}

async function typeAndMeasure(typist: Page, viewer: Page, keys: number, timeoutMs: number, label: string): Promise<Round> {
  await Promise.all([typist, viewer].map((p) => p.evaluate(() => (window as unknown as ProbeWindow).probe.reset())))
  const cpuBefore = browserCpuSeconds()
  const detailBefore = browserCpuByProcess()
  for (let i = 0; i < keys; i++) {
    const started = Date.now()
    await typist.keyboard.press(String.fromCharCode(97 + (i % 26)))
    const [typed, shown] = await Promise.all([
      typist.evaluate(([n, t]) => (window as unknown as ProbeWindow).probe.waitKeyFrames(n, t), [i + 1, timeoutMs] as const),
      viewer.evaluate(([n, t]) => (window as unknown as ProbeWindow).probe.waitShown(n, t), [i + 1, timeoutMs] as const),
    ])
    if (!typed || !shown) throw new Error(`key ${i + 1}: ${typed ? '' : 'no frame in the typist'}${shown ? '' : ' never shown to the viewer'}`)
    await sleep(Math.max(0, KEY_GAP_MS - (Date.now() - started)))
  }
  const browserCpuPerKey = ((browserCpuSeconds() - cpuBefore) * 1_000) / keys
  for (const [name, seconds] of browserCpuByProcess()) {
    const ms = ((seconds - (detailBefore.get(name) ?? 0)) * 1_000) / keys
    if (ms >= 1) console.error(`  cpu per key ${ms.toFixed(1).padStart(7)} ms  ${name}`)
  }
  const a = await typist.evaluate(() => {
    const { keys, keyFrames, longTasks, presented, phases } = (window as unknown as ProbeWindow).probe
    return { keys: [...keys], keyFrames: [...keyFrames], longTasks: [...longTasks], presented: [...presented], phases: [...phases] }
  })
  const b = await viewer.evaluate(() => {
    const { shown, longTasks } = (window as unknown as ProbeWindow).probe
    return { shown: [...shown], longTasks: longTasks.length }
  })
  const presented = a.keys.map((at) => a.presented.find((p) => Math.abs(p.at - at) < 1)?.ms ?? 16)
  const pushed = a.longTasks.filter((task) => task.duration - task.script < LONG_TASK_MS)
  for (const task of pushed) {
    const key = a.keys.findLastIndex((at) => at <= task.start + 1)
    const since = key < 0 ? '' : `, ${(task.start - a.keys[key]!).toFixed(0)} ms after key ${key + 1}`
    console.error(`  ${label}: a long task the page's script pushed over: ${task.duration.toFixed(0)} ms, ${task.script.toFixed(1)} ms script (longest: ${task.longest})${since}`)
  }
  return {
    local: a.keyFrames,
    presented,
    phases: a.phases,
    remote: b.shown.map((at, i) => at - a.keys[i]!),
    longTasks: a.longTasks.length + b.longTasks,
    typistLongTasks: a.longTasks.length,
    typistScriptLongTasks: pushed.length,
    browserCpuPerKey,
  }
}

async function person(browser: Browser, name: string, url: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } })
  await context.addInitScript(EDITOR_PROBE_SCRIPT)
  await context.addInitScript((n) => localStorage.setItem('coedit:identity', JSON.stringify({ name: n, color: '#2d7dd2' })), name)
  const page = await context.newPage()
  await page.goto(url)
  return page
}

/** Waits until the opened document's whole text is in an editable textarea; returns the ms waited. */
async function openEditor(page: Page, length: number, timeoutMs: number): Promise<number> {
  const started = performance.now()
  await page.waitForFunction(
    (n) => {
      const textarea = document.querySelector<HTMLTextAreaElement>('textarea.editor-text')
      return textarea !== null && !textarea.readOnly && textarea.textLength === n
    },
    length,
    { timeout: timeoutMs, polling: 20 },
  )
  return performance.now() - started
}

async function placeCaret(page: Page, start: number, end = start): Promise<void> {
  await page.evaluate(
    ([s, e]) => {
      const textarea = document.querySelector<HTMLTextAreaElement>('textarea.editor-text')!
      textarea.focus()
      textarea.setSelectionRange(s, e)
      textarea.scrollTop = 0
    },
    [start, end] as const,
  )
}

async function floorServer(style: string): Promise<{ url: string; close(): void }> {
  const html = floorPage(style)
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(html)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`, close: () => server.close() }
}

/** The editor textarea's look, so the floor lays out and paints the same lines. */
async function editorStyle(page: Page): Promise<string> {
  return page.evaluate(() => {
    const textarea = document.querySelector<HTMLTextAreaElement>('textarea.editor-text')!
    const style = getComputedStyle(textarea)
    // Its box, font and paint too (background, border radius, shadow): the same textarea, bare.
    const keys = [
      'box-sizing',
      'width',
      'height',
      'padding',
      'border',
      'border-radius',
      'box-shadow',
      'background',
      'color',
      'font',
      'line-height',
      'letter-spacing',
      'tab-size',
      'white-space',
      'overflow-wrap',
    ]
    return keys
      .map((k) => `${k}:${style.getPropertyValue(k)}`)
      .join(';')
      .replace(/"/g, "'")
  })
}

interface SizeFigures {
  open: number
  local: number[]
  presented: number[]
  floorPresented: number[]
  phases: Round['phases']
  floorPhases: Round['phases']
  coldLocal: number[]
  floorColdLocal: number[]
  remote: number[]
  longTasks: number
  typistLongTasks: number
  typistScriptLongTasks: number
  floorLocal: number[]
  floorRemote: number[]
  floorLongTasks: number
  floorTypistLongTasks: number
  floorTypistScriptLongTasks: number
  cpuPerKey: number
  floorCpuPerKey: number
}

async function measureSize(
  browser: Browser,
  coedit: RunningServer,
  relay: RunningServer,
  characters: number,
  keys: number,
  warmKeys: number,
  log: (m: string) => void,
): Promise<SizeFigures> {
  const text = documentText(characters)
  const room = randomBytes(16).toString('base64url')
  const seed = connectClient(`ws://127.0.0.1:${coedit.port}`, room)
  await seed.synced(10_000)
  seed.text.insert(0, text)
  const timeoutMs = 30_000
  const url = `http://127.0.0.1:${coedit.port}/d/${room}`
  // Three people: the typist, the viewer whose screen is timed, and a third with a selection.
  const typist = await person(browser, 'Typist', url)
  await openEditor(typist, characters, timeoutMs)
  seed.destroy()
  // From the navigation (page load included) to the whole text in an editable textarea.
  const navigated = performance.now()
  const viewer = await person(browser, 'Viewer', url)
  await openEditor(viewer, characters, timeoutMs)
  const open = performance.now() - navigated
  const third = await person(browser, 'Third', url)
  await openEditor(third, characters, timeoutMs)
  await placeCaret(viewer, VIEWER_AT)
  await placeCaret(third, THIRD_SELECTION[0], THIRD_SELECTION[1])
  await placeCaret(typist, TYPIST_AT)
  // Everyone's carets drawn in everyone's editor before the timing starts.
  for (const page of [typist, viewer, third]) {
    await page.waitForFunction(() => document.querySelectorAll('.coedit-remote-caret').length === 2, undefined, { timeout: timeoutMs })
  }
  log(
    `editor ${characters}: opened in ${open.toFixed(0)} ms; typing ${warmKeys} keys to warm up, then ${keys} in each, ${CHUNKS} rounds in turn with the floor`,
  )
  const style = await editorStyle(typist)

  // The floor, in the same browser and the same number of pages: bare textareas on a raw relay.
  const site = await floorServer(style)
  const floors: Page[] = []
  for (let i = 0; i < 3; i++) {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } })
    await context.addInitScript(EDITOR_PROBE_SCRIPT)
    const page = await context.newPage()
    await page.goto(site.url)
    await page.evaluate(
      async ([relayUrl, t, caret]) => {
        const w = window as unknown as ProbeWindow
        await w.floor.connect(relayUrl)
        w.floor.load(t, caret)
      },
      [relay.url(room), text, [TYPIST_AT, VIEWER_AT, THIRD_SELECTION[0]][i]!] as const,
    )
    floors.push(page)
  }
  // The first keys after opening, while V8 still compiles the editor's code (the floor has
  // almost none): reported apart, and not mixed into the figures of someone typing along.
  const cold = await typeAndMeasure(typist, viewer, warmKeys, timeoutMs, 'coedit, first keys')
  const floorCold = await typeAndMeasure(floors[0]!, floors[1]!, warmKeys, timeoutMs, 'floor, first keys')
  // Coedit and the floor take turns, a few keys at a time, so a machine that slows down or
  // speeds up during the run weighs on both alike. Each turn starts once the last one's
  // pause work (counts and title, 400 ms after the last key, in idle time) is done.
  const watched = process.env.BENCH_TRACE_PAGE === 'viewer'
  const coeditRounds: Round[] = []
  const floorRounds: Round[] = []
  const perChunk = Math.ceil(keys / CHUNKS)
  for (let chunk = 0; chunk < CHUNKS; chunk++) {
    // Traced: the first turn of each.
    const trace = <T>(page: Page, name: string, work: () => Promise<T>): Promise<T> =>
      chunk === 0 ? traced(browser, page, name, log, () => allocationProfiled(page, name, perChunk, log, work)) : work()
    coeditRounds.push(await trace(watched ? viewer : typist, `editor-${characters}-coedit`, () => typeAndMeasure(typist, viewer, perChunk, timeoutMs, 'coedit')))
    await sleep(TURN_GAP_MS)
    floorRounds.push(await trace(floors[watched ? 1 : 0]!, `editor-${characters}-floor`, () => typeAndMeasure(floors[0]!, floors[1]!, perChunk, timeoutMs, 'floor')))
    await sleep(TURN_GAP_MS)
  }
  const coeditRound = joinRounds(coeditRounds)
  const floorRound = joinRounds(floorRounds)
  for (const page of [typist, viewer, third, ...floors]) await page.context().close()
  site.close()
  return {
    open,
    local: coeditRound.local,
    presented: coeditRound.presented,
    floorPresented: floorRound.presented,
    phases: coeditRound.phases,
    floorPhases: floorRound.phases,
    coldLocal: cold.local,
    floorColdLocal: floorCold.local,
    remote: coeditRound.remote,
    longTasks: coeditRound.longTasks,
    typistLongTasks: coeditRound.typistLongTasks,
    typistScriptLongTasks: coeditRound.typistScriptLongTasks,
    floorLocal: floorRound.local,
    floorRemote: floorRound.remote,
    floorLongTasks: floorRound.longTasks,
    floorTypistLongTasks: floorRound.typistLongTasks,
    floorTypistScriptLongTasks: floorRound.typistScriptLongTasks,
    cpuPerKey: coeditRound.browserCpuPerKey,
    floorCpuPerKey: floorRound.browserCpuPerKey,
  }
}

function sizeMetrics(prefix: string, figures: SizeFigures): Metrics {
  const floorRemote = median(figures.floorRemote)
  const floorLocal = median(figures.floorLocal)
  return {
    [`${prefix}Open`]: figures.open,
    [`${prefix}RemoteP50`]: median(figures.remote),
    [`${prefix}RemoteP95`]: percentile(figures.remote, 95),
    [`${prefix}RemoteMax`]: Math.max(...figures.remote),
    [`${prefix}FloorRemoteP50`]: floorRemote,
    [`${prefix}FloorRemoteMax`]: Math.max(...figures.floorRemote),
    [`${prefix}RemoteRatio`]: median(figures.remote) / floorRemote,
    [`${prefix}RemoteMaxRatio`]: Math.max(...figures.remote) / floorRemote,
    [`${prefix}LocalP50`]: median(figures.local),
    [`${prefix}LocalP95`]: percentile(figures.local, 95),
    [`${prefix}LocalMax`]: Math.max(...figures.local),
    [`${prefix}FloorLocalP50`]: floorLocal,
    [`${prefix}LocalRatio`]: median(figures.local) / floorLocal,
    [`${prefix}PresentedP50`]: median(figures.presented),
    [`${prefix}FloorPresentedP50`]: median(figures.floorPresented),
    [`${prefix}PresentedRatio`]: median(figures.presented) / median(figures.floorPresented),
    [`${prefix}ColdLocalRatio`]: median(figures.coldLocal) / median(figures.floorColdLocal),
    [`${prefix}KeyHandlers`]: median(figures.phases.map((p) => p.handlers)),
    [`${prefix}FloorKeyHandlers`]: median(figures.floorPhases.map((p) => p.handlers)),
    [`${prefix}KeyToFrame`]: median(figures.phases.map((p) => p.toFrame)),
    [`${prefix}FloorKeyToFrame`]: median(figures.floorPhases.map((p) => p.toFrame)),
    [`${prefix}KeyFrame`]: median(figures.phases.map((p) => p.frame)),
    [`${prefix}FloorKeyFrame`]: median(figures.floorPhases.map((p) => p.frame)),
    [`${prefix}KeyToFrameScript`]: median(figures.phases.map((p) => p.toFrameScript)),
    [`${prefix}FloorKeyToFrameScript`]: median(figures.floorPhases.map((p) => p.toFrameScript)),
    [`${prefix}KeyFrameScript`]: median(figures.phases.map((p) => p.frameScript)),
    [`${prefix}FloorKeyFrameScript`]: median(figures.floorPhases.map((p) => p.frameScript)),
    [`${prefix}LongTasks`]: figures.longTasks,
    [`${prefix}FloorLongTasks`]: figures.floorLongTasks,
    [`${prefix}TypistLongTasks`]: figures.typistLongTasks,
    [`${prefix}FloorTypistLongTasks`]: figures.floorTypistLongTasks,
    [`${prefix}TypistScriptLongTasks`]: figures.typistScriptLongTasks,
    [`${prefix}FloorTypistScriptLongTasks`]: figures.floorTypistScriptLongTasks,
    [`${prefix}CpuPerKey`]: figures.cpuPerKey,
    [`${prefix}FloorCpuPerKey`]: figures.floorCpuPerKey,
    [`${prefix}CpuRatio`]: figures.cpuPerKey / figures.floorCpuPerKey,
  }
}

const SIZES = [
  { characters: 200_000, prefix: 'k200', label: '200k' },
  { characters: 1_000_000, prefix: 'm1', label: '1M' },
] as const

function metricsFor(prefix: string, label: string): Scenario['metrics'] {
  const ms = (name: string) => ({ unit: 'ms', lowerIsBetter: true, label: `editor (${label}, 3 people): ${name}` })
  const ratio = (name: string) => ({ unit: '×', lowerIsBetter: true, label: `editor (${label}, 3 people): ${name}` })
  return {
    [`${prefix}Open`]: ms('open until editable'),
    [`${prefix}RemoteP50`]: ms("other's keydown → shown here, p50"),
    [`${prefix}RemoteP95`]: ms("other's keydown → shown here, p95"),
    [`${prefix}RemoteMax`]: ms("other's keydown → shown here, max"),
    [`${prefix}FloorRemoteP50`]: ms('floor (bare textareas, raw relay): keydown → shown, p50'),
    [`${prefix}FloorRemoteMax`]: ms('floor: keydown → shown, max'),
    [`${prefix}RemoteRatio`]: ratio('shown p50 / floor p50 (target ≤ 1.3)'),
    [`${prefix}RemoteMaxRatio`]: ratio('shown max / floor p50 (target ≤ 2)'),
    [`${prefix}LocalP50`]: ms('own key → next frame, p50'),
    [`${prefix}LocalP95`]: ms('own key → next frame, p95'),
    [`${prefix}LocalMax`]: ms('own key → next frame, max'),
    [`${prefix}FloorLocalP50`]: ms('floor: own key → next frame, p50'),
    [`${prefix}LocalRatio`]: ratio('own key p50 / floor p50 (target ≤ 1.2)'),
    [`${prefix}PresentedP50`]: ms('own key → frame presented (Event Timing), p50'),
    [`${prefix}FloorPresentedP50`]: ms('floor: own key → frame presented, p50'),
    [`${prefix}PresentedRatio`]: ratio('own key presented p50 / floor p50'),
    [`${prefix}ColdLocalRatio`]: ratio('the first keys after opening (V8 still compiling): own key p50 / floor'),
    [`${prefix}KeyHandlers`]: ms("own key: the page's key and input handlers, p50"),
    [`${prefix}FloorKeyHandlers`]: ms('floor: own key: handlers, p50'),
    [`${prefix}KeyToFrame`]: ms('own key → start of the next frame (first animation-frame callback), p50'),
    [`${prefix}FloorKeyToFrame`]: ms('floor: own key → start of the next frame, p50'),
    [`${prefix}KeyFrame`]: ms("own key: that frame's callbacks, style, layout and paint, and tasks queued before its end, p50"),
    [`${prefix}FloorKeyFrame`]: ms('floor: own key: that frame, p50'),
    [`${prefix}KeyToFrameScript`]: ms("own key → next frame: of it, the page's own callbacks (handlers included), p50"),
    [`${prefix}FloorKeyToFrameScript`]: ms('floor: own key → next frame: its callbacks, p50'),
    [`${prefix}KeyFrameScript`]: ms("own key: that frame: of it, the page's own callbacks, p50"),
    [`${prefix}FloorKeyFrameScript`]: ms('floor: own key: that frame: its callbacks, p50'),
    [`${prefix}LongTasks`]: { unit: '', lowerIsBetter: true, label: `editor (${label}, 3 people): long tasks (> 50 ms) in typist + viewer while typing` },
    [`${prefix}FloorLongTasks`]: { unit: '', lowerIsBetter: true, label: `editor (${label}): floor: long tasks in typist + viewer (the browser's own)` },
    [`${prefix}TypistLongTasks`]: { unit: '', lowerIsBetter: true, label: `editor (${label}, 3 people): of those, in the typist's page` },
    [`${prefix}FloorTypistLongTasks`]: { unit: '', lowerIsBetter: true, label: `editor (${label}): floor: of those, in the typist's page` },
    [`${prefix}TypistScriptLongTasks`]: {
      unit: '',
      lowerIsBetter: true,
      label: `editor (${label}, 3 people): of the typist's, pushed over 50 ms by the page's own script (under 50 without it)`,
    },
    [`${prefix}FloorTypistScriptLongTasks`]: { unit: '', lowerIsBetter: true, label: `editor (${label}): floor: of the typist's, pushed over by its script` },
    [`${prefix}CpuPerKey`]: ms('browser CPU per key, all three pages'),
    [`${prefix}FloorCpuPerKey`]: ms('floor: browser CPU per key, all three pages'),
    [`${prefix}CpuRatio`]: ratio('browser CPU per key / floor'),
  }
}

/**
 * The web editor as people use it: three Chromium pages on one document through the real
 * server, carets drawn; the typist's key to their next frame, and to the frame that shows
 * it to another person; against bare textareas on a raw relay in the same run.
 */
export const editor: Scenario = {
  id: 'editor',
  title: 'Web editor on big documents, three people (Chromium), against bare textareas on a raw relay',
  appliesTo: (spec) => spec.id === 'coedit',
  metrics: Object.assign({}, ...SIZES.map((s) => metricsFor(s.prefix, s.label))) as Scenario['metrics'],
  async run(context: ScenarioContext): Promise<Metrics> {
    if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium is missing at ${CHROMIUM_PATH}: apt-get install chromium, or set CHROMIUM_PATH`)
    if (!existsSync(`${WEB}/index.html`)) throw new Error("the web app is not built: run 'pnpm build'")
    const keys = context.quick ? 15 : 40
    const warmKeys = context.quick ? 5 : WARM_KEYS
    const coedit = await startServer(
      SERVERS.find((s) => s.id === 'coedit')!,
      undefined,
      { args: ['--web-dir', WEB] },
    )
    const relay = await startServer(SERVERS.find((s) => s.id === 'relay')!)
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] })
    try {
      const metrics: Metrics = {}
      // BENCH_EDITOR_CHARS=1000000: one size only (when profiling it).
      const only = Number(process.env.BENCH_EDITOR_CHARS) || null
      for (const size of SIZES.filter((s) => only === null || s.characters === only))
        Object.assign(metrics, sizeMetrics(size.prefix, await measureSize(browser, coedit, relay, size.characters, keys, warmKeys, context.log)))
      return metrics
    } finally {
      await browser.close()
      await coedit.stop()
      await relay.stop()
      removeDataDir(coedit.dataDir)
      removeDataDir(relay.dataDir)
    }
  },
}
