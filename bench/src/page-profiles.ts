// Profiles of a page over part of a benchmark, switched on by environment variables and
// printed to the benchmark's log: where its main thread's time went, and what it allocated.
import { writeFileSync } from 'node:fs'
import type { Browser, Page } from '@playwright/test'
import { formatTraceSummary, frameLabel, summariseCpuProfile, summariseTrace } from './trace-summary.js'

/**
 * BENCH_TRACE=<dir>: a Chromium performance trace of the typist's page (BENCH_TRACE_PAGE=viewer:
 * the viewer's) over the measured keys, written there and summarised in the log.
 */
export async function traced<T>(browser: Browser, page: Page, name: string, log: (m: string) => void, work: () => Promise<T>): Promise<T> {
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
export async function allocationProfiled<T>(page: Page, name: string, keys: number, log: (m: string) => void, work: () => Promise<T>): Promise<T> {
  if (!process.env.BENCH_ALLOC) return work()
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('HeapProfiler.enable')
  await cdp.send('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
  const result = await work()
  const { profile } = (await cdp.send('HeapProfiler.stopSampling')) as unknown as { profile: { head: AllocationNode } }
  await cdp.detach()
  const bytes = new Map<string, number>()
  let total = 0
  // A built-in (slice, push, an iterator's next) says little alone: it is named with the
  // script function that called it.
  const walk = (node: AllocationNode, caller: string | null): void => {
    const own = frameLabel(node.callFrame)
    const scripted = node.callFrame.url !== ''
    const key = scripted || caller === null ? own : `${own} <- ${caller}`
    bytes.set(key, (bytes.get(key) ?? 0) + node.selfSize)
    total += node.selfSize
    for (const child of node.children) walk(child, scripted ? own : caller)
  }
  walk(profile.head, null)
  const top = [...bytes].sort((a, b) => b[1] - a[1]).slice(0, 20)
  log(
    [
      `${name}: ${(total / keys / 1024).toFixed(0)} KB allocated per key`,
      ...top.map(([key, b]) => `  ${(b / keys / 1024).toFixed(1).padStart(8)} KB/key  ${key}`),
    ].join('\n'),
  )
  return result
}
