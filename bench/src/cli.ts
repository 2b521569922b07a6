import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { PINNING, SERVERS } from './servers.js'
import { contextFor } from './context.js'
import { machine, markdown, summarize, type Report, type Results } from './report.js'
import type { Metrics, Scenario } from './scenarios/types.js'
import { fanout } from './scenarios/fanout.js'
import { throughput } from './scenarios/throughput.js'
import { connections } from './scenarios/connections.js'
import { coldSync } from './scenarios/cold-sync.js'
import { manyRooms } from './scenarios/many-rooms.js'
import { presenceStorm } from './scenarios/presence-storm.js'
import { binding } from './scenarios/binding.js'
import { cluster } from './scenarios/cluster.js'
import { clusterRooms } from './scenarios/cluster-rooms.js'
import { editor } from './scenarios/editor.js'
import { api } from './scenarios/api.js'
import { history } from './scenarios/history.js'

const RESULTS = fileURLToPath(new URL('../results', import.meta.url))

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    servers: { type: 'string' },
    runs: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
})

const quick = values.quick ?? false
const scenarios: Scenario[] = quick
  ? [fanout(10), fanout(100), throughput, connections([1_000], 1), coldSync, manyRooms, presenceStorm, binding, editor, api, history, cluster, clusterRooms]
  : [
      fanout(10),
      fanout(100),
      fanout(500),
      throughput,
      connections([1_000, 5_000, 10_000], 3),
      coldSync,
      manyRooms,
      presenceStorm,
      binding,
      editor,
      api,
      history,
      cluster,
      clusterRooms,
    ]

if (values.help) {
  console.log(`pnpm bench [--quick] [--only <scenario,...>] [--servers <id,...>] [--runs <n>]
  --quick     reduced sizes, one run, peers without persistence (about 3 minutes)
  --only      scenarios, by id or the start of one: ${scenarios.map((s) => s.id).join(', ')}
  --servers   ${SERVERS.map((s) => s.id).join(', ')}
  --runs      repetitions per scenario and server (default 3, quick 1)
Results: bench/results/<date>.json and .md`)
  process.exit(0)
}

const only = values.only?.split(',')
// An id picks that scenario alone ('cluster' is not also 'cluster-rooms'); anything else is a prefix ('many' for many-rooms).
const picks = (id: string, wanted: string): boolean => id === wanted || (!scenarios.some((s) => s.id === wanted) && id.startsWith(wanted))
const unknown = only?.filter((wanted) => !scenarios.some((s) => picks(s.id, wanted))) ?? []
if (unknown.length > 0) {
  console.error(`--only: no scenario is or starts with ${unknown.map((u) => `'${u}'`).join(', ')} (there are: ${scenarios.map((s) => s.id).join(', ')})`)
  process.exit(2)
}
const selectedScenarios = only ? scenarios.filter((s) => only.some((o) => picks(s.id, o))) : scenarios
const serverIds = values.servers?.split(',')
// A quick run compares against one peer of each family; a full run against all of them.
const QUICK_SERVERS = ['coedit', 'yws', 'hocuspocus', 'relay']
const HISTORY_COST_SCENARIOS = ['fanout', 'many-rooms', 'throughput']
const specs = SERVERS.filter((s) => (serverIds ? serverIds.includes(s.id) : !quick || QUICK_SERVERS.includes(s.id)))
const runs = Number(values.runs ?? (quick ? 1 : 3))
const started = Date.now()

function log(message: string): void {
  const elapsed = ((Date.now() - started) / 1_000).toFixed(0).padStart(4)
  process.stderr.write(`[bench ${elapsed}s] ${message}\n`)
}

// The load generator gets core 1; servers are started on core 0.
if (PINNING) spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' })

const results: Results = {}
const errors: Report['errors'] = []
log(`${quick ? 'quick' : 'full'} run: ${selectedScenarios.length} scenarios × ${specs.length} servers × ${runs} runs; pinning ${PINNING ? 'on' : 'off'}`)
for (const scenario of selectedScenarios) {
  results[scenario.id] = {}
  for (const spec of specs.filter((s) => scenario.appliesTo(s))) {
    if (['binding', 'editor', 'api', 'history', 'cluster', 'cluster-rooms'].includes(scenario.id) && spec.id !== 'coedit') continue
    // History off is measured only where it could cost: the write path.
    if (spec.id === 'coedit-no-history' && !HISTORY_COST_SCENARIOS.some((id) => scenario.id.startsWith(id))) continue
    const collected: Metrics[] = []
    for (let run = 1; run <= (scenario.id === 'connections' ? 1 : runs); run++) {
      log(`${scenario.id} · ${spec.label} · run ${run}`)
      const context = contextFor(spec, quick, (m) => log(`  ${m}`))
      try {
        collected.push(
          await scenario.run(context).catch(async (error: unknown) => {
            // A peer that fails to come up once (slow first start) gets one more chance.
            log(`  retrying after: ${(error as Error).message.split('\n')[0]}`)
            return scenario.run(context)
          }),
        )
      } catch (error) {
        const message = (error as Error).message.split('\n')[0]!
        log(`  failed: ${message}`)
        errors.push({ scenario: scenario.id, server: spec.id, error: message })
        break
      } finally {
        context.cleanup()
      }
    }
    const keys = new Set(collected.flatMap((m) => Object.keys(m)))
    results[scenario.id]![spec.id] = Object.fromEntries([...keys].map((k) => [k, summarize(collected.map((m) => m[k] ?? NaN))]))
  }
}

const report: Report = {
  date: new Date().toISOString(),
  machine: machine(PINNING),
  quick,
  servers: specs.map((s) => ({ id: s.id, label: s.label })),
  results,
  errors,
}
const table = markdown(report, selectedScenarios, specs)
mkdirSync(RESULTS, { recursive: true })
const stamp = report.date.replace(/[:.]/g, '-')
writeFileSync(`${RESULTS}/${stamp}.json`, `${JSON.stringify(report, null, 2)}\n`)
writeFileSync(`${RESULTS}/${stamp}.md`, `${table}\n`)
console.log(`\n${table}\n`)
log(`done in ${((Date.now() - started) / 60_000).toFixed(1)} min; results in bench/results/${stamp}.{json,md}`)
process.exit(0)
