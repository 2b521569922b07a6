import { startPostgres, startRedis, type ServiceProcess } from '@coedit/test-utils'
import { Receiver, Writer, openMany } from '../clients.js'
import { preciseCpuSeconds, wakeCounts, wakesBetween, type WakeCounts } from '../proc.js'
import { startFloorRelay, startServer, type RunningServer } from '../servers.js'
import { percentile, until } from '../stats.js'
import { measureDeliveries } from './fanout.js'
import type { Metrics, Scenario, ScenarioContext } from './types.js'

const RECEIVERS = 20

interface Measured {
  readonly latencies: number[]
  /** CPU seconds per process, over the measured edits. */
  readonly cpu: number[]
  /** Wake-ups and system calls per process, over the measured edits. */
  readonly wakes: WakeCounts[]
}

/** The writer on the first server, every receiver on the last; CPU of each listed process. */
async function deliveries(
  writerServer: RunningServer,
  receiverServer: RunningServer,
  room: string,
  edits: number,
  warmUp: number,
  cpuOf: number[],
): Promise<Measured> {
  const clients = await openMany(RECEIVERS, () => new Receiver(receiverServer, room))
  const writer = new Writer(writerServer, room)
  await writer.opened
  if (!(await until(() => clients.every((c) => c.synced) && writer.synced, 15_000))) throw new Error('receivers did not sync')
  // One edit first: the relay's first message for a room also subscribes the others.
  // Warm first: a fresh process compiles its hot paths over its first thousands of messages,
  // and a server in use has long done so. Both setups get the same warm-up.
  await measureDeliveries(writer, clients, warmUp)
  const before = cpuOf.map(preciseCpuSeconds)
  const wakesBefore = cpuOf.map(wakeCounts)
  const latencies = await measureDeliveries(writer, clients, edits)
  const cpu = cpuOf.map((pid, i) => preciseCpuSeconds(pid) - before[i]!)
  const wakes = cpuOf.map((pid, i) => wakesBetween(wakesBefore[i]!, wakeCounts(pid)))
  for (const c of [...clients, writer]) c.close()
  return { latencies, cpu, wakes }
}

/**
 * Fan-out across two Coedit servers sharing a room through Redis (PostgreSQL storage): the
 * writer on server A, 20 receivers on server B. Beside it, in the same run, the same load on
 * one server with the same PostgreSQL, and on one server with its embedded SQLite.
 */
export const cluster: Scenario = {
  id: 'cluster',
  title: `Two servers through the Redis relay, ${RECEIVERS} receivers`,
  appliesTo: (spec) => spec.id === 'coedit',
  metrics: {
    singleSqliteP50: { unit: 'ms', lowerIsBetter: true, label: `one server (SQLite), N=${RECEIVERS}: last receiver p50` },
    singlePgP50: { unit: 'ms', lowerIsBetter: true, label: `one server (PostgreSQL), N=${RECEIVERS}: last receiver p50` },
    clusterP50: { unit: 'ms', lowerIsBetter: true, label: `two servers via Redis, N=${RECEIVERS} on B: last receiver p50` },
    singlePgP99: { unit: 'ms', lowerIsBetter: true, label: `one server (PostgreSQL), N=${RECEIVERS}: last receiver p99` },
    clusterP99: { unit: 'ms', lowerIsBetter: true, label: `two servers via Redis, N=${RECEIVERS} on B: last receiver p99` },
    singlePgCpuPerEdit: { unit: 'µs', lowerIsBetter: true, label: 'one server (PostgreSQL): server CPU per edit' },
    clusterCpuPerEdit: { unit: 'µs', lowerIsBetter: true, label: 'two servers: CPU of A + B per edit' },
    clusterCpuA: { unit: 'µs', lowerIsBetter: true, label: "two servers: CPU of A (the writer's) per edit" },
    clusterCpuB: { unit: 'µs', lowerIsBetter: true, label: `two servers: CPU of B (the ${RECEIVERS} receivers') per edit` },
    relayCostPerMessage: { unit: 'µs', lowerIsBetter: true, label: 'relay cost per relayed message (A + B − one server)' },
    redisCpuPerMessage: { unit: 'µs', lowerIsBetter: true, label: 'Redis CPU per relayed message' },
    floorRelayCost: { unit: 'µs', lowerIsBetter: true, label: 'floor: raw relays, relay cost per relayed message (A + B − one)' },
    floorP50Ratio: { unit: '×', lowerIsBetter: true, label: 'floor: raw relays, last receiver p50, two / one' },
    clusterP50Ratio: { unit: '×', lowerIsBetter: true, label: 'two servers / one server (PostgreSQL), last receiver p50 (target ≤ 1.5)' },
    // On this kind of machine a wake-up costs far more than the work around it: the relay's
    // floor is the wake-ups it adds (the receiving server must wake once per message).
    singlePgWakeups: { unit: '', lowerIsBetter: true, label: 'one server (PostgreSQL): wake-ups per edit (voluntary context switches)' },
    clusterWakeups: { unit: '', lowerIsBetter: true, label: 'two servers: wake-ups per edit, A + B' },
    singlePgSyscalls: { unit: '', lowerIsBetter: true, label: 'one server (PostgreSQL): read + write system calls per edit' },
    clusterSyscalls: { unit: '', lowerIsBetter: true, label: 'two servers: read + write system calls per edit, A + B' },
  },
  async run(context: ScenarioContext): Promise<Metrics> {
    // Enough that a pause of the machine's (a few ms) is a small part of what is measured.
    const edits = context.quick ? 100 : 1_500
    const warmUp = context.quick ? 200 : 2_000
    const services: ServiceProcess[] = []
    const servers: RunningServer[] = []
    try {
      const [redis, postgres] = await Promise.all([startRedis(), startPostgres()])
      services.push(redis, postgres)
      const sqlite = await context.start()
      const spec = sqlite.spec
      servers.push(sqlite)
      const single = await deliveries(sqlite, sqlite, 'one-sqlite', edits, warmUp, [sqlite.pid])
      await sqlite.stop()

      const onPostgres = { args: ['--database-url', postgres.url] }
      const pgServer = await startServer(spec, undefined, onPostgres)
      servers.push(pgServer)
      const singlePg = await deliveries(pgServer, pgServer, 'one-pg', edits, warmUp, [pgServer.pid])
      await pgServer.stop()

      const clustered = { args: ['--database-url', postgres.url, '--redis-url', redis.url] }
      const a = await startServer(spec, undefined, clustered)
      const b = await startServer(spec, undefined, clustered)
      servers.push(a, b)
      const twoServers = await deliveries(a, b, 'two', edits, warmUp, [a.pid, b.pid, redis.pid()])
      await a.stop()
      await b.stop()

      // The floor of the same hop: raw relays that only forward frames, alone and through Redis.
      const floor = async (link?: Parameters<typeof startFloorRelay>[0]): Promise<RunningServer> => {
        const server = await startFloorRelay(link)
        servers.push(server)
        return server
      }
      const rawOne = await floor()
      const floorSingle = await deliveries(rawOne, rawOne, 'floor-one', edits, warmUp, [rawOne.pid])
      await rawOne.stop()
      const rawA = await floor({ redisUrl: redis.url, id: 'a', peer: 'b' })
      const rawB = await floor({ redisUrl: redis.url, id: 'b', peer: 'a' })
      const floorTwo = await deliveries(rawA, rawB, 'floor-two', edits, warmUp, [rawA.pid, rawB.pid])
      const [cpuA, cpuB, cpuRedis] = twoServers.cpu as [number, number, number]
      const perEdit = (seconds: number) => (seconds * 1e6) / edits
      return {
        singleSqliteP50: percentile(single.latencies, 50),
        singlePgP50: percentile(singlePg.latencies, 50),
        clusterP50: percentile(twoServers.latencies, 50),
        singlePgP99: percentile(singlePg.latencies, 99),
        clusterP99: percentile(twoServers.latencies, 99),
        singlePgCpuPerEdit: perEdit(singlePg.cpu[0]!),
        clusterCpuPerEdit: perEdit(cpuA + cpuB),
        clusterCpuA: perEdit(cpuA),
        clusterCpuB: perEdit(cpuB),
        relayCostPerMessage: perEdit(cpuA + cpuB - singlePg.cpu[0]!),
        redisCpuPerMessage: perEdit(cpuRedis),
        floorRelayCost: perEdit(floorTwo.cpu[0]! + floorTwo.cpu[1]! - floorSingle.cpu[0]!),
        floorP50Ratio: percentile(floorTwo.latencies, 50) / percentile(floorSingle.latencies, 50),
        clusterP50Ratio: percentile(twoServers.latencies, 50) / percentile(singlePg.latencies, 50),
        singlePgWakeups: singlePg.wakes[0]!.wakeups / edits,
        clusterWakeups: (twoServers.wakes[0]!.wakeups + twoServers.wakes[1]!.wakeups) / edits,
        singlePgSyscalls: (singlePg.wakes[0]!.reads + singlePg.wakes[0]!.writes) / edits,
        clusterSyscalls: twoServers.wakes.slice(0, 2).reduce((sum, w) => sum + w.reads + w.writes, 0) / edits,
      }
    } finally {
      for (const server of servers) await server.stop()
      for (const service of services) await service.stop()
    }
  },
}
