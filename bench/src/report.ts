import { cpus, totalmem } from 'node:os'
import type { ServerSpec } from './servers.js'
import type { Scenario } from './scenarios/types.js'
import { median, spread } from './stats.js'

export interface MetricResult {
  readonly runs: number[]
  readonly median: number
  readonly spread: number
}

export type Results = Record<string, Record<string, Record<string, MetricResult>>>

export interface Report {
  readonly date: string
  readonly machine: { cpu: string; cores: number; memoryGiB: number; node: string; pinned: boolean }
  readonly quick: boolean
  readonly servers: Array<{ id: string; label: string }>
  readonly results: Results
  readonly errors: Array<{ scenario: string; server: string; error: string }>
}

export function machine(pinned: boolean): Report['machine'] {
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, pinned }
}

export function summarize(runs: number[]): MetricResult {
  const finite = runs.filter((r) => Number.isFinite(r))
  return { runs, median: median(finite), spread: spread(finite) }
}

function format(value: number | undefined, unit: string): string {
  if (value === undefined || !Number.isFinite(value)) return '–'
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2
  return `${value.toFixed(digits)}${unit && unit !== '×' ? ` ${unit}` : unit}`
}

/**
 * One row per metric, one column per server, and Coedit / best peer (the relay is a floor,
 * not a peer, so it is shown but not compared against).
 */
export function markdown(report: Report, scenarios: readonly Scenario[], specs: readonly ServerSpec[]): string {
  const header = ['Scenario', ...specs.map((s) => s.label), 'Coedit / best peer']
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`]
  for (const scenario of scenarios) {
    const byServer = report.results[scenario.id]
    if (!byServer) continue
    for (const [key, meta] of Object.entries(scenario.metrics)) {
      const cells = specs.map((spec) => {
        const result = byServer[spec.id]?.[key]
        if (!result) return '–'
        const noisy = result.spread > 0.25 && result.runs.length > 1 ? ` ±${Math.round(result.spread * 50)}%` : ''
        return `${format(result.median, meta.unit)}${noisy}`
      })
      if (cells.every((c) => c === '–')) continue
      const coedit = byServer.coedit?.[key]?.median
      const peers = specs
        .filter((s) => !s.id.startsWith('coedit') && s.id !== 'relay')
        .map((s) => byServer[s.id]?.[key]?.median)
        .filter((v): v is number => v !== undefined && Number.isFinite(v))
      const best = peers.length ? (meta.lowerIsBetter ? Math.min(...peers) : Math.max(...peers)) : undefined
      const ratio = coedit !== undefined && best !== undefined && best !== 0 ? `${(coedit / best).toFixed(2)}` : '–'
      lines.push(`| ${meta.label} | ${cells.join(' | ')} | ${ratio} |`)
    }
  }
  const m = report.machine
  const notes = [
    '',
    `${report.date.slice(0, 10)} · ${m.cpu} · ${m.cores} cores · ${m.memoryGiB} GiB · Node ${m.node} · ` +
      `${m.pinned ? 'server on core 0, load generator on core 1' : 'no CPU pinning'} · ${report.quick ? 'quick run' : 'full run'}`,
    'Medians of the runs; ±x% marks a metric whose runs spread more than 25% around the median ' +
      '(half the max-min range). Ratios below 1 mean Coedit does better where lower is better.',
  ]
  for (const e of report.errors) notes.push(`- ${e.scenario} / ${e.server} failed: ${e.error}`)
  return [...lines, ...notes].join('\n')
}
