import { describe, expect, it } from 'vitest'
import { contextFor } from '../src/context.js'
import { SERVERS } from '../src/servers.js'
import { fanout } from '../src/scenarios/fanout.js'
import { markdown, machine, summarize, type Report } from '../src/report.js'

// Keeps the benchmark from rotting: one tiny scenario against Coedit and the raw relay,
// through the same code `pnpm bench` runs, down to the table.
describe('benchmark harness', () => {
  it('runs a tiny fan-out against Coedit and the relay and reports it', async () => {
    const scenario = fanout(3)
    const results: Report['results'] = { [scenario.id]: {} }
    const specs = SERVERS.filter((s) => s.id === 'coedit' || s.id === 'relay')
    for (const spec of specs) {
      const context = contextFor(spec, true, () => {})
      try {
        const metrics = await scenario.run(context)
        expect(metrics.p50).toBeGreaterThan(0)
        expect(metrics.p99).toBeGreaterThanOrEqual(metrics.p50!)
        expect(Number.isFinite(metrics.cpuPerDelivery)).toBe(true)
        results[scenario.id]![spec.id] = Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, summarize([v])]))
      } finally {
        context.cleanup()
      }
    }
    const report: Report = { date: new Date().toISOString(), machine: machine(false), quick: true, servers: specs, results, errors: [] }
    const table = markdown(report, [scenario], specs)
    expect(table).toContain('| fan-out N=3: last receiver p50 |')
    expect(table.split('\n')[0]).toContain('Coedit (SQLite)')
  }, 60_000)
})
