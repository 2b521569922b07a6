import { createServer } from 'node:http'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { chromium } from '@playwright/test'
import { median, percentile } from '../stats.js'
import type { Metrics, Scenario, ScenarioContext } from './types.js'
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@coedit/test-utils'
import type { BindingBench } from '../../binding-page/main.js'

/** What the bench page puts on window for the harness to drive. */
interface BenchWindow {
  bench: BindingBench
}

const ENTRY = fileURLToPath(new URL('../../binding-page/main.ts', import.meta.url))
const CHROMIUM = CHROMIUM_PATH
const CHARACTERS = 200_000

async function pageServer(): Promise<{ url: string; close(): void }> {
  const bundle = await build({ entryPoints: [ENTRY], bundle: true, format: 'esm', write: false, minify: true, target: 'es2022' })
  const script = bundle.outputFiles[0]!.text
  const html =
    '<!doctype html><meta charset="utf-8"><textarea style="width:800px;height:600px;font:16px/1.5 ' +
    'serif"></textarea><script type="module" src="/main.js"></script>'
  const server = createServer((req, res) => {
    if (req.url === '/main.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' })
      res.end(script)
    } else {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end(html)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`, close: () => server.close() }
}

/** The textarea binding in real Chromium on a 200,000-character document. */
export const binding: Scenario = {
  id: 'binding',
  title: 'Textarea binding on a 200,000-character document (Chromium)',
  appliesTo: (spec) => spec.id === 'coedit',
  metrics: {
    keystroke: { unit: 'ms', lowerIsBetter: true, label: 'binding (200k chars): local keystroke, median' },
    keystrokeP95: { unit: 'ms', lowerIsBetter: true, label: 'binding (200k chars): local keystroke, p95' },
    remoteEdit: { unit: 'ms', lowerIsBetter: true, label: 'binding (200k chars): apply one remote edit, median' },
    remoteEditP95: { unit: 'ms', lowerIsBetter: true, label: 'binding (200k chars): apply one remote edit, p95' },
    browserKeystroke: { unit: 'ms', lowerIsBetter: true, label: 'binding (200k chars): same keystroke in an unbound textarea (browser alone)' },
  },
  async run(context: ScenarioContext): Promise<Metrics> {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`)
    const samples = context.quick ? 20 : 100
    const site = await pageServer()
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS],
    })
    try {
      const page = await browser.newPage()
      await page.goto(site.url)
      await page.waitForFunction(() => 'bench' in window)
      await page.evaluate((n) => (window as unknown as BenchWindow).bench.setup(n), CHARACTERS)
      // Warm up the JIT, then measure real key presses through the browser's input pipeline.
      for (let i = 0; i < 10; i++) await page.keyboard.type('w')
      await page.evaluate(() => (window as unknown as BenchWindow).bench.resetKeystrokes())
      for (let i = 0; i < samples; i++) await page.keyboard.type(String.fromCharCode(97 + (i % 26)))
      const keystrokes = (await page.evaluate(() => (window as unknown as BenchWindow).bench.keystrokes())) as number[]
      const remote: number[] = []
      for (let i = 0; i < 10; i++) await page.evaluate(() => (window as unknown as BenchWindow).bench.remoteEdit())
      for (let i = 0; i < samples; i++) remote.push((await page.evaluate(() => (window as unknown as BenchWindow).bench.remoteEdit())) as number)
      const length = (await page.evaluate(() => (window as unknown as BenchWindow).bench.text().length)) as number
      if (length !== CHARACTERS + 10 + samples + 10 + samples) throw new Error(`textarea holds ${length} characters, expected ${CHARACTERS + 20 + 2 * samples}`)
      // The same key presses with the binding gone: the part of the cost that is the browser's.
      await page.evaluate(() => {
        ;(window as unknown as BenchWindow).bench.unbind()
        ;(window as unknown as BenchWindow).bench.resetKeystrokes()
      })
      for (let i = 0; i < samples; i++) await page.keyboard.type(String.fromCharCode(97 + (i % 26)))
      const browserOnly = (await page.evaluate(() => (window as unknown as BenchWindow).bench.keystrokes())) as number[]
      return {
        keystroke: median(keystrokes),
        keystrokeP95: percentile(keystrokes, 95),
        remoteEdit: median(remote),
        remoteEditP95: percentile(remote, 95),
        browserKeystroke: median(browserOnly),
      }
    } finally {
      await browser.close()
      site.close()
    }
  },
}
