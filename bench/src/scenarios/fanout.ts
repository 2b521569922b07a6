import { Receiver, Writer, openMany } from '../clients.js'
import { cpuSeconds } from '../proc.js'
import { percentile, until } from '../stats.js'
import type { Metrics, Scenario, ScenarioContext } from './types.js'

/** The writer edits one at a time; each latency is from sending until the last receiver has it. */
export async function measureDeliveries(writer: Writer, clients: readonly Receiver[], edits: number): Promise<number[]> {
  const latencies: number[] = []
  let reached = 0
  let target = 0
  let lastAt = 0
  for (const client of clients) {
    client.onChange = (at) => {
      if (client.changes === target) {
        reached++
        lastAt = at
      }
    }
  }
  const base = clients[0]?.changes ?? 0
  for (let i = 0; i < edits; i++) {
    reached = 0
    target = base + i + 1
    const sent = writer.edit()
    if (!(await until(() => reached === clients.length, 10_000, 0))) throw new Error(`edit ${i} reached ${reached}/${clients.length} receivers`)
    latencies.push(lastAt - sent)
  }
  return latencies
}

/** One room, N receivers, one writer sending edits one at a time: time until the last receiver has each. */
export function fanout(receivers: number): Scenario {
  const id = `fanout-${receivers}`
  return {
    id,
    title: `Fan-out latency, ${receivers} receivers`,
    appliesTo: () => true,
    metrics: {
      p50: { unit: 'ms', lowerIsBetter: true, label: `fan-out N=${receivers}: last receiver p50` },
      p99: { unit: 'ms', lowerIsBetter: true, label: `fan-out N=${receivers}: last receiver p99` },
      cpuPerDelivery: { unit: 'µs', lowerIsBetter: true, label: `fan-out N=${receivers}: server CPU per delivery` },
    },
    async run(context: ScenarioContext): Promise<Metrics> {
      const edits = context.quick ? 100 : 300
      const server = await context.start()
      try {
        const room = `fanout-${receivers}`
        const clients = await openMany(receivers, () => new Receiver(server, room))
        const writer = new Writer(server, room)
        await writer.opened
        if (!(await until(() => clients.every((c) => c.synced) && writer.synced, 15_000))) throw new Error('receivers did not sync')
        const cpuBefore = cpuSeconds(server.pid)
        const latencies = await measureDeliveries(writer, clients, edits)
        const cpu = cpuSeconds(server.pid) - cpuBefore
        for (const c of [...clients, writer]) c.close()
        return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpuPerDelivery: (cpu * 1e6) / (edits * receivers) }
      } finally {
        await server.stop()
      }
    },
  }
}
