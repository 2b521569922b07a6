import { Writer, openMany } from '../clients.js'
import { cpuSeconds } from '../proc.js'
import { percentile, sleep, until } from '../stats.js'
import type { Metrics, Scenario, ScenarioContext } from './types.js'

/** Many small rooms, two people each typing once a second: CPU per edit and lag. */
export const manyRooms: Scenario = {
  id: 'many-rooms',
  title: 'Many rooms × 2 clients × 1 edit/s',
  appliesTo: () => true,
  metrics: {
    cpuPerEdit: { unit: 'µs', lowerIsBetter: true, label: 'many rooms: server CPU per edit' },
    lagP99: { unit: 'ms', lowerIsBetter: true, label: 'many rooms: lag p99' },
    lagMax: { unit: 'ms', lowerIsBetter: true, label: 'many rooms: worst lag (store stalls)' },
  },
  async run(context: ScenarioContext): Promise<Metrics> {
    const rooms = context.quick ? 100 : 500
    const seconds = context.quick ? 3 : 15
    const server = await context.start()
    try {
      const clients = await openMany(rooms * 2, (i) => new Writer(server, `room-${Math.floor(i / 2)}`), 200)
      if (!(await until(() => clients.every((c) => c.synced), 30_000, 10))) throw new Error('clients did not sync')
      const lags: number[] = []
      // Each client's partner is the other one in its room; a change it receives is the
      // partner's latest edit (edits are a second apart, so frames map one to one).
      const lastSent = new Map<Writer, number[]>()
      clients.forEach((client, i) => {
        const partner = clients[i % 2 === 0 ? i + 1 : i - 1]!
        lastSent.set(partner, [])
        client.onChange = (at) => {
          const queue = lastSent.get(partner)!
          const sent = queue.shift()
          if (sent !== undefined) lags.push(at - sent)
        }
      })
      const cpuBefore = cpuSeconds(server.pid)
      const started = performance.now()
      let edits = 0
      const offsets = clients.map((_, i) => (i / clients.length) * 1_000)
      const nextAt = offsets.map((o) => started + o)
      while (performance.now() - started < seconds * 1_000) {
        const now = performance.now()
        clients.forEach((client, i) => {
          if (now >= nextAt[i]!) {
            lastSent.get(client)!.push(client.edit())
            nextAt[i]! += 1_000
            edits++
          }
        })
        await sleep(1)
      }
      await until(() => lags.length >= edits, 10_000, 5)
      const cpu = cpuSeconds(server.pid) - cpuBefore
      for (const c of clients) c.close()
      return { cpuPerEdit: (cpu * 1e6) / edits, lagP99: percentile(lags, 99), lagMax: Math.max(...lags) }
    } finally {
      await server.stop()
    }
  },
}
