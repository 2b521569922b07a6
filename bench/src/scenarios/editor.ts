import { createServer } from 'node:http'
import { existsSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from '@playwright/test'
import { CHROMIUM_ARGS, CHROMIUM_PATH, connectClient } from '@coedit/test-utils'
import { SERVERS, removeDataDir, startServer, type RunningServer } from '../servers.js'
import { sleep } from '../stats.js'
import { browserCpuByProcess, browserCpuSeconds } from '../proc.js'
import { EDITOR_PROBE_SCRIPT, floorPage, type EditorProbe } from '../editor-probe.js'
import type { Metrics, Scenario, ScenarioContext } from './types.js'
import { joinRounds, metricsFor, sizeMetrics, type Round, type SizeFigures } from './editor-figures.js'
import { allocationProfiled, traced } from '../page-profiles.js'

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
    console.error(
      `  ${label}: a long task the page's script pushed over: ${task.duration.toFixed(0)} ms, ${task.script.toFixed(1)} ms script (longest: ${task.longest})${since}`,
    )
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
    coeditRounds.push(
      await trace(watched ? viewer : typist, `editor-${characters}-coedit`, () => typeAndMeasure(typist, viewer, perChunk, timeoutMs, 'coedit')),
    )
    await sleep(TURN_GAP_MS)
    floorRounds.push(
      await trace(floors[watched ? 1 : 0]!, `editor-${characters}-floor`, () => typeAndMeasure(floors[0]!, floors[1]!, perChunk, timeoutMs, 'floor')),
    )
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

const SIZES = [
  { characters: 200_000, prefix: 'k200', label: '200k' },
  { characters: 1_000_000, prefix: 'm1', label: '1M' },
] as const

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
