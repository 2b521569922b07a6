import { FullClient, Receiver, Writer, openMany, sentAt } from '../clients.js'
import { cpuSeconds } from '../proc.js'
import { percentile, sleep, until } from '../stats.js'
import type { Metrics, Scenario, ScenarioContext } from './types.js'

const RECEIVERS = 50
const WRITERS = 5
const RATE = 200

/** One room, 50 receivers, 5 writers at 200 edits/s each: server CPU per delivered update and lag. */
export const throughput: Scenario = {
  id: 'throughput',
  title: `Throughput: ${WRITERS} writers × ${RATE} edits/s, ${RECEIVERS} receivers`,
  appliesTo: () => true,
  metrics: {
    cpuPerDelivery: { unit: 'µs', lowerIsBetter: true, label: 'throughput: server CPU per delivered update' },
    lagP99: { unit: 'ms', lowerIsBetter: true, label: 'throughput: lag p99' },
    framesPerUpdate: { unit: '', lowerIsBetter: true, label: 'throughput: frames per delivered update' },
    echoes: { unit: '', lowerIsBetter: true, label: 'throughput: updates echoed to their sender' },
  },
  async run(context: ScenarioContext): Promise<Metrics> {
    const seconds = context.quick ? 3 : 15
    const server = await context.start()
    try {
      const room = 'throughput'
      const receivers = await openMany(RECEIVERS, () => new Receiver(server, room))
      const writers = await openMany(WRITERS, () => new Writer(server, room))
      const verifier = new FullClient(server, room)
      await verifier.opened
      if (!(await until(() => [...receivers, ...writers, verifier].every((c) => c.synced), 15_000))) throw new Error('clients did not sync')
      const framesBefore = receivers.reduce((n, r) => n + r.frames, 0)
      const echoesBefore = writers.reduce((n, w) => n + w.echoes, 0)
      sentAt.clear()
      const cpuBefore = cpuSeconds(server.pid)
      const started = performance.now()
      let sent = 0
      // Send what is due by the clock rather than trusting timers to fire every 5 ms.
      while (performance.now() - started < seconds * 1_000) {
        const due = Math.floor(((performance.now() - started) / 1_000) * RATE)
        for (const writer of writers) {
          const own = sent / WRITERS
          for (let k = own; k < due; k++) writer.edit()
        }
        sent = due * WRITERS
        await sleep(2)
      }
      const expected = writers.map((w) => w.doc.getText('text').length).reduce((a, b) => a + b, 0)
      const arrived = await until(() => verifier.doc.getText('text').length === expected, 30_000)
      if (!arrived) throw new Error(`verifier has ${verifier.doc.getText('text').length}/${expected} characters`)
      // Let the last frames reach every receiver before reading the CPU counter.
      await until(() => false, 300)
      const cpu = cpuSeconds(server.pid) - cpuBefore
      const deliveries = sent * (RECEIVERS + 1)
      const frames = receivers.reduce((n, r) => n + r.frames, 0) - framesBefore
      const echoes = writers.reduce((n, w) => n + w.echoes, 0) - echoesBefore
      for (const c of [...receivers, ...writers, verifier]) c.close()
      return {
        cpuPerDelivery: (cpu * 1e6) / deliveries,
        lagP99: percentile(verifier.lags, 99),
        framesPerUpdate: frames / (sent * RECEIVERS),
        echoes,
      }
    } finally {
      await server.stop()
    }
  },
}
