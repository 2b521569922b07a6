import { startPostgres, startRedis, type ServiceProcess } from '@coedit/test-utils'
import { cpuSeconds, treeCpuSeconds, wakeCounts } from '../proc.js'
import { startFloorRelay, type RunningServer } from '../servers.js'
import { WARM_SECONDS, driveRooms, lagP99, type RoomLoadResult } from './room-load.js'
import type { Metrics, Scenario, ScenarioContext } from './types.js'

interface Phase {
  readonly result: RoomLoadResult
  /** µs per edit: Coedit servers together, Redis, PostgreSQL. */
  readonly servers: number
  readonly redis: number
  readonly postgres: number
  /** Voluntary context switches of the Coedit servers per edit. */
  readonly wakeups: number
}

/**
 * Many rooms of two people, one person of each room on server A and the other on server B,
 * against the same load on one server with the same PostgreSQL, in one run. At 200 rooms
 * each person edits once a second; at 2,000 rooms once every ten seconds, so the edit rate is
 * the same and only the number of loaded rooms differs.
 */
export const clusterRooms: Scenario = {
  id: 'cluster-rooms',
  title: 'Many rooms across two servers (Redis + PostgreSQL) against one server',
  appliesTo: (spec) => spec.id === 'coedit',
  metrics: {
    singleCpu: { unit: 'µs', lowerIsBetter: true, label: '200 rooms, one server (PostgreSQL): server CPU per edit' },
    clusterCpu: { unit: 'µs', lowerIsBetter: true, label: '200 rooms, two servers: CPU of A + B per edit' },
    cpuRatio: { unit: '×', lowerIsBetter: true, label: '200 rooms: two servers / one server, CPU per edit (target ≤ 1.5)' },
    singleLagP99: { unit: 'ms', lowerIsBetter: true, label: '200 rooms, one server: lag p99' },
    clusterLagP99: { unit: 'ms', lowerIsBetter: true, label: '200 rooms, two servers: lag p99' },
    lagRatio: { unit: '×', lowerIsBetter: true, label: '200 rooms: two servers / one server, lag p99 (target ≤ 2)' },
    clusterRedisCpu: { unit: 'µs', lowerIsBetter: true, label: '200 rooms, two servers: Redis CPU per edit' },
    singleWakeups: { unit: '', lowerIsBetter: true, label: '200 rooms, one server: wake-ups per edit' },
    clusterWakeups: { unit: '', lowerIsBetter: true, label: '200 rooms, two servers: wake-ups per edit, A + B' },
    singlePgCpu: { unit: 'µs', lowerIsBetter: true, label: '200 rooms, one server: PostgreSQL CPU per edit' },
    clusterPgCpu: { unit: 'µs', lowerIsBetter: true, label: '200 rooms, two servers: PostgreSQL CPU per edit' },
    manySingleCpu: { unit: 'µs', lowerIsBetter: true, label: '2,000 rooms, one server: server CPU per edit' },
    manyClusterCpu: { unit: 'µs', lowerIsBetter: true, label: '2,000 rooms, two servers: CPU of A + B per edit' },
    manyCpuRatio: { unit: '×', lowerIsBetter: true, label: '2,000 rooms: two servers / one server, CPU per edit' },
    manyClusterLagP99: { unit: 'ms', lowerIsBetter: true, label: '2,000 rooms, two servers: lag p99' },
    manyClusterRedisCpu: { unit: 'µs', lowerIsBetter: true, label: '2,000 rooms, two servers: Redis CPU per edit' },
    floorSingleCpu: { unit: 'µs', lowerIsBetter: true, label: 'floor, 200 rooms: one raw relay, CPU per edit' },
    floorClusterCpu: { unit: 'µs', lowerIsBetter: true, label: 'floor, 200 rooms: two raw relays through Redis, CPU of both per edit' },
    floorCpuRatio: { unit: '×', lowerIsBetter: true, label: 'floor, 200 rooms: two raw relays / one, CPU per edit' },
    floorLagRatio: { unit: '×', lowerIsBetter: true, label: 'floor, 200 rooms: two raw relays / one, lag p99' },
  },
  async run(context: ScenarioContext): Promise<Metrics> {
    const seconds = context.quick ? 4 : 15
    const warmSeconds = context.quick ? 0 : WARM_SECONDS
    const [few, many] = context.quick ? [100, 1_000] : [200, 2_000]
    const services: ServiceProcess[] = []
    const servers: RunningServer[] = []
    try {
      const [redis, postgres] = await Promise.all([startRedis(), startPostgres()])
      services.push(redis, postgres)
      const phase = async (rooms: number, clustered: boolean, prefix: string, floor = false): Promise<Phase> => {
        const args = ['--database-url', postgres.url, ...(clustered ? ['--redis-url', redis.url] : [])]
        const a = floor ? await startFloorRelay(clustered ? { redisUrl: redis.url, id: 'a', peer: 'b' } : undefined) : await context.start({ args })
        const b = !clustered ? a : floor ? await startFloorRelay({ redisUrl: redis.url, id: 'b', peer: 'a' }) : await context.start({ args })
        servers.push(a, b)
        const pids = clustered ? [a.pid, b.pid] : [a.pid]
        context.log(`${rooms} rooms on ${pids.length} ${floor ? 'raw relay(s)' : 'server(s)'}`)
        const result = await driveRooms({
          rooms,
          seconds,
          warmSeconds,
          rate: rooms === few ? 1 : few / rooms,
          servers: [a, b],
          prefix,
          cpu: () => [
            pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0),
            cpuSeconds(redis.pid()),
            treeCpuSeconds(postgres.pid()),
            pids.reduce((sum, pid) => sum + wakeCounts(pid).wakeups, 0),
          ],
        })
        await a.stop()
        await b.stop()
        const perEdit = (s: number) => (s * 1e6) / result.edits
        return {
          result,
          servers: perEdit(result.cpu[0]!),
          redis: perEdit(result.cpu[1]!),
          postgres: perEdit(result.cpu[2]!),
          wakeups: result.cpu[3]! / result.edits,
        }
      }
      const single = await phase(few, false, 'one-')
      const cluster = await phase(few, true, 'two-')
      const manySingle = await phase(many, false, 'many-one-')
      const manyCluster = await phase(many, true, 'many-two-')
      // The floor of the same hop: raw relays that only forward frames, alone and through Redis.
      const floorSingle = await phase(few, false, 'floor-one-', true)
      const floorCluster = await phase(few, true, 'floor-two-', true)
      return {
        singleCpu: single.servers,
        clusterCpu: cluster.servers,
        cpuRatio: cluster.servers / single.servers,
        singleLagP99: lagP99(single.result),
        clusterLagP99: lagP99(cluster.result),
        lagRatio: lagP99(cluster.result) / lagP99(single.result),
        clusterRedisCpu: cluster.redis,
        singleWakeups: single.wakeups,
        clusterWakeups: cluster.wakeups,
        singlePgCpu: single.postgres,
        clusterPgCpu: cluster.postgres,
        manySingleCpu: manySingle.servers,
        manyClusterCpu: manyCluster.servers,
        manyCpuRatio: manyCluster.servers / manySingle.servers,
        manyClusterLagP99: lagP99(manyCluster.result),
        manyClusterRedisCpu: manyCluster.redis,
        floorSingleCpu: floorSingle.servers,
        floorClusterCpu: floorCluster.servers,
        floorCpuRatio: floorCluster.servers / floorSingle.servers,
        floorLagRatio: lagP99(floorCluster.result) / lagP99(floorSingle.result),
      }
    } finally {
      for (const server of servers) await server.stop()
      for (const service of services) await service.stop()
    }
  },
}
