import { Receiver, openMany } from '../clients.js'
import { rssBytes } from '../proc.js'
import { sleep, until } from '../stats.js'
import type { Metrics, Scenario, ScenarioContext } from './types.js'

async function roomsLoaded(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const match = /^coedit_rooms_loaded (\S+)$/m.exec(text)
  return match ? Number(match[1]) : NaN
}

/** Idle connections over rooms of 5: memory per connection, then all close: what stays behind. */
export function connections(counts: readonly number[], cycles: number): Scenario {
  const metrics: Scenario['metrics'] = {}
  for (const n of counts)
    metrics[`kbPerConnection${n}`] = { unit: 'KB', lowerIsBetter: true, label: `idle connections: RSS per connection at ${n.toLocaleString('en')}` }
  metrics.rssGrowth = { unit: 'MB', lowerIsBetter: true, label: `idle connections: RSS growth over ${cycles} open/close cycles` }
  metrics.roomsAfterClose = { unit: '', lowerIsBetter: true, label: 'idle connections: rooms loaded 10 s after all closed (Coedit /metrics)' }
  return {
    id: 'connections',
    title: 'Idle connections',
    // Idle sockets never touch storage: the persistent variants would only repeat their peers.
    appliesTo: (spec) => spec.id !== 'yws-leveldb' && spec.id !== 'hocuspocus-sqlite',
    metrics,
    async run(context: ScenarioContext): Promise<Metrics> {
      const settleMs = context.quick ? 1_000 : 10_000
      const server = await context.start()
      try {
        await sleep(500)
        const baseline = rssBytes(server.pid)
        const result: Metrics = {}
        const afterClose: number[] = []
        const largest = counts[counts.length - 1]!
        const plan = [...counts, ...Array.from({ length: Math.max(0, cycles - 1) }, () => largest)]
        for (const n of plan) {
          const clients = await openMany(n, (i) => new Receiver(server, `idle-${Math.floor(i / 5)}`), 200)
          if (!(await until(() => clients.every((c) => c.synced), 60_000, 20))) throw new Error(`${n} connections did not all sync`)
          await sleep(500)
          const rss = rssBytes(server.pid)
          const key = `kbPerConnection${n}`
          if (result[key] === undefined) result[key] = (rss - baseline) / n / 1024
          for (const c of clients) c.close()
          // Only the repeated cycles at the largest size check what stays behind after closing.
          await sleep(n === largest ? settleMs : 1_000)
          afterClose.push(rssBytes(server.pid))
          context.log(
            `${n} connections: ${((rss - baseline) / n / 1024).toFixed(1)} KB each; RSS ` +
              `after close ${(afterClose[afterClose.length - 1]! / 1048576).toFixed(0)} MB`,
          )
        }
        const cycleRss = afterClose.slice(counts.length - 1)
        if (cycleRss.length > 1) result.rssGrowth = (cycleRss[cycleRss.length - 1]! - cycleRss[0]!) / 1048576
        if (server.spec.id === 'coedit') result.roomsAfterClose = await roomsLoaded(server.port)
        return result
      } finally {
        await server.stop()
      }
    },
  }
}
