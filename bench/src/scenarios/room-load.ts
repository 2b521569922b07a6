import { Writer, openMany } from '../clients.js'
import type { RunningServer } from '../servers.js'
import { percentile, sleep, until } from '../stats.js'

/** Unmeasured editing before the measured seconds, in the many-rooms loads (BENCH_WARM_SECONDS). */
export const WARM_SECONDS = warmSeconds(process.env.BENCH_WARM_SECONDS)

function warmSeconds(value: string | undefined): number {
  if (value === undefined || value === '') return 5
  const seconds = Number(value)
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`BENCH_WARM_SECONDS must be a number of seconds >= 0, got ${JSON.stringify(value)}`)
  return seconds
}

export interface RoomLoad {
  /** Clients per room are two: the first on `serverOf(room)[0]`, the second on `[1]`. */
  readonly rooms: number
  /** Seconds of steady editing. */
  readonly seconds: number
  /**
   * Seconds of the same editing before that, not measured: a fresh process compiles its hot
   * paths over its first thousands of messages, which a running server has long done.
   */
  readonly warmSeconds?: number
  /** Edits per second per client. */
  readonly rate: number
  /** Where the two clients of a room connect. */
  readonly servers: readonly [RunningServer, RunningServer]
  /** Room names are `<prefix><n>`. */
  readonly prefix?: string
  /** CPU seconds of whatever is measured (one reading per process), taken before and after. */
  readonly cpu: () => number[]
}

export interface RoomLoadResult {
  readonly edits: number
  /** CPU seconds per reading over the steady part. */
  readonly cpu: number[]
  readonly lags: number[]
}

/**
 * Many rooms of two people each, every client editing `rate` times a second at evenly spread
 * offsets; the lag is from one client's edit to its partner seeing it.
 */
export async function driveRooms(load: RoomLoad): Promise<RoomLoadResult> {
  const [first, second] = load.servers
  const clients = await openMany(load.rooms * 2, (i) => new Writer(i % 2 === 0 ? first : second, `${load.prefix ?? 'room-'}${Math.floor(i / 2)}`), 200)
  try {
    if (!(await until(() => clients.every((c) => c.synced), 60_000, 10))) throw new Error('clients did not sync')
    const lags: number[] = []
    // Each client's partner is the other one in its room; a change it receives is the
    // partner's latest edit (edits are far enough apart that frames map one to one).
    const lastSent = new Map<Writer, number[]>()
    clients.forEach((client, i) => {
      const partner = clients[i % 2 === 0 ? i + 1 : i - 1]!
      lastSent.set(partner, [])
      client.onChange = (at) => {
        const sent = lastSent.get(partner)!.shift()
        if (sent !== undefined) lags.push(at - sent)
      }
    })
    const period = 1_000 / load.rate
    const edit = async (seconds: number): Promise<number> => {
      const started = performance.now()
      let edits = 0
      const nextAt = clients.map((_, i) => started + (i / clients.length) * period)
      while (performance.now() - started < seconds * 1_000) {
        const now = performance.now()
        clients.forEach((client, i) => {
          if (now < nextAt[i]!) return
          lastSent.get(client)!.push(client.edit())
          nextAt[i]! += period
          edits++
        })
        await sleep(1)
      }
      await until(() => lags.length >= edits, 10_000, 5)
      return edits
    }
    if (load.warmSeconds) {
      await edit(load.warmSeconds)
      lags.length = 0
      for (const sent of lastSent.values()) sent.length = 0
    }
    const cpuBefore = load.cpu()
    const edits = await edit(load.seconds)
    const cpuAfter = load.cpu()
    return { edits, cpu: cpuAfter.map((after, i) => after - cpuBefore[i]!), lags }
  } finally {
    for (const c of clients) c.close()
  }
}

export function lagP99(result: RoomLoadResult): number {
  return percentile(result.lags, 99)
}
