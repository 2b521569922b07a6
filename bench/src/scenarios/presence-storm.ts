import { Receiver, openMany } from '../clients.js'
import { cpuSeconds } from '../proc.js'
import { sleep } from '../stats.js'
import type { Metrics, Scenario, ScenarioContext } from './types.js'

async function quiet(clients: readonly Receiver[], quietMs: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs
  let last = -1
  let stableSince = performance.now()
  while (performance.now() < deadline) {
    const total = clients.reduce((n, c) => n + c.frames, 0)
    if (total !== last) {
      last = total
      stableSince = performance.now()
    } else if (performance.now() - stableSince >= quietMs) return
    await sleep(20)
  }
}

async function join(context: ScenarioContext, count: number, presence: boolean): Promise<{ cpu: number; frames: number }> {
  const server = await context.start()
  try {
    const cpuBefore = cpuSeconds(server.pid)
    const clients = await openMany(count, () => new Receiver(server, 'storm', { presence }), 50)
    await quiet(clients, 1_000, 60_000)
    const cpu = cpuSeconds(server.pid) - cpuBefore
    const frames = clients.reduce((n, c) => n + c.frames, 0)
    for (const c of clients) c.close()
    return { cpu, frames }
  } finally {
    await server.stop()
  }
}

/** Many people join one room, each announcing a presence state, against the same join without. */
export const presenceStorm: Scenario = {
  id: 'presence-storm',
  title: 'Presence storm: clients join one room with a presence state',
  // Presence never touches storage: the persistent variants would only repeat their peers.
  appliesTo: (spec) => spec.yjs && spec.id !== 'yws-leveldb' && spec.id !== 'hocuspocus-sqlite',
  metrics: {
    cpuRatio: { unit: '×', lowerIsBetter: true, label: 'presence storm: CPU vs plain join' },
    cpu: { unit: 'ms', lowerIsBetter: true, label: 'presence storm: server CPU' },
    frames: { unit: '', lowerIsBetter: true, label: 'presence storm: frames sent by the server' },
  },
  async run(context: ScenarioContext): Promise<Metrics> {
    const count = context.quick ? 100 : 500
    const plain = await join(context, count, false)
    const storm = await join(context, count, true)
    return { cpuRatio: storm.cpu / Math.max(plain.cpu, 0.01), cpu: storm.cpu * 1_000, frames: storm.frames }
  },
}
