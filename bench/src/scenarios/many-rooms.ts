import { cpuSeconds } from '../proc.js'
import { WARM_SECONDS, driveRooms, lagP99 } from './room-load.js'
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
    const server = await context.start()
    try {
      const result = await driveRooms({
        rooms: context.quick ? 100 : 500,
        seconds: context.quick ? 3 : 15,
        warmSeconds: context.quick ? 0 : WARM_SECONDS,
        rate: 1,
        servers: [server, server],
        cpu: () => [cpuSeconds(server.pid)],
      })
      return { cpuPerEdit: (result.cpu[0]! * 1e6) / result.edits, lagP99: lagP99(result), lagMax: Math.max(...result.lags) }
    } finally {
      await server.stop()
    }
  },
}
