import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '@coedit/test-utils'
import type { Framing } from './framing.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BENCH = fileURLToPath(new URL('..', import.meta.url))

export type ServerId = 'coedit' | 'coedit-no-history' | 'yws' | 'yws-leveldb' | 'hocuspocus' | 'hocuspocus-sqlite' | 'relay'

export interface ServerSpec {
  readonly id: ServerId
  readonly label: string
  readonly framing: Framing
  /** Keeps documents across a room unload (and a restart). */
  readonly persistent: boolean
  /** Speaks Yjs (the relay only forwards bytes). */
  readonly yjs: boolean
}

export const SERVERS: readonly ServerSpec[] = [
  { id: 'coedit', label: 'Coedit (SQLite)', framing: 'y-websocket', persistent: true, yjs: true },
  // The same server keeping no history: what history costs on the write path.
  { id: 'coedit-no-history', label: 'Coedit (SQLite, --history off)', framing: 'y-websocket', persistent: true, yjs: true },
  { id: 'yws', label: 'y-websocket-server', framing: 'y-websocket', persistent: false, yjs: true },
  { id: 'yws-leveldb', label: 'y-websocket-server + LevelDB', framing: 'y-websocket', persistent: true, yjs: true },
  { id: 'hocuspocus', label: 'Hocuspocus', framing: 'hocuspocus', persistent: false, yjs: true },
  { id: 'hocuspocus-sqlite', label: 'Hocuspocus + SQLite', framing: 'hocuspocus', persistent: true, yjs: true },
  { id: 'relay', label: 'raw ws relay', framing: 'y-websocket', persistent: false, yjs: false },
]

export interface RunningServer {
  readonly spec: ServerSpec
  readonly pid: number
  readonly port: number
  url(room: string): string
  stop(): Promise<void>
}

/** CPU pinning: the server on core 0, the load generator (this process) on core 1. */
export const PINNING = !process.env.BENCH_NO_PIN && spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0 && availableParallelism() >= 2

async function waitForPort(port: number, child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before listening`)
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`server did not listen on ${port} within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * The bench drives thousands of connections and floods of messages from one address, which
 * the abuse limits exist to refuse; the peers have no such limits. The document size cap stays on.
 */
const UNLIMITED = [
  '--max-connections-per-ip',
  '0',
  '--max-new-connections-per-minute',
  '0',
  '--max-messages-per-second',
  '0',
  '--max-bytes-per-second',
  '0',
  '--max-loaded-rooms',
  '0',
]

function command(spec: ServerSpec, port: number, dataDir: string): { args: string[]; env: Record<string, string> } {
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each server to <dir>/<server id> when it exits.
  // The peers die on SIGTERM without writing it, so they are made to exit normally (Coedit does).
  const exitOnTerm = spec.id.startsWith('coedit') ? [] : ['--import', 'data:text/javascript,process.once("SIGTERM",()=>process.exit(0))']
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${join(process.env.BENCH_CPU_PROF, spec.id)}`, ...exitOnTerm] : []
  switch (spec.id) {
    case 'coedit':
    case 'coedit-no-history':
      return {
        args: [
          process.execPath,
          ...profile,
          join(ROOT, 'apps/server/dist/cli.js'),
          '--port',
          String(port),
          '--data-dir',
          dataDir,
          '--web-dir',
          'none',
          '--log-level',
          'warn',
          '--room-unload-delay-ms',
          '500',
          ...UNLIMITED,
          ...(spec.id === 'coedit-no-history' ? ['--history', 'off'] : []),
        ],
        env: {},
      }
    case 'yws':
    case 'yws-leveldb':
      return {
        args: [process.execPath, ...profile, join(BENCH, 'node_modules/@y/websocket-server/src/server.js')],
        env: { HOST: '127.0.0.1', PORT: String(port), ...(spec.id === 'yws-leveldb' ? { YPERSISTENCE: join(dataDir, 'leveldb') } : {}) },
      }
    case 'hocuspocus':
    case 'hocuspocus-sqlite':
      return {
        args: [process.execPath, ...profile, join(BENCH, 'src/peers/hocuspocus.mjs')],
        env: { PORT: String(port), ...(spec.id === 'hocuspocus-sqlite' ? { HOCUSPOCUS_SQLITE: join(dataDir, 'hocuspocus.sqlite') } : {}) },
      }
    case 'relay':
      return { args: [process.execPath, ...profile, join(BENCH, 'src/peers/raw-relay.mjs')], env: { PORT: String(port) } }
  }
}

/** Starts a server as its own process, pinned to core 0, on a free port with a fresh data dir. */
export async function startServer(
  spec: ServerSpec,
  reuse?: { port: number; dataDir: string },
  extra: { args?: readonly string[]; env?: Record<string, string> } = {},
): Promise<RunningServer & { dataDir: string }> {
  const port = reuse?.port ?? (await freePort())
  const dataDir = reuse?.dataDir ?? mkdtempSync(join(tmpdir(), `coedit-bench-${spec.id}-`))
  const base = command(spec, port, dataDir)
  const args = [...base.args, ...(extra.args ?? [])]
  const env = { ...base.env, ...extra.env }
  const [file, ...rest] = PINNING ? ['taskset', '-c', '0', ...args] : args
  const child = spawn(file!, rest, { cwd: BENCH, env: { ...process.env, ...env, NODE_ENV: 'production' }, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)))
  try {
    await waitForPort(port, child)
  } catch (error) {
    child.kill('SIGKILL')
    throw new Error(`${spec.label}: ${(error as Error).message}\n${stderr}`)
  }
  const pid = child.pid!
  return {
    spec,
    pid,
    port,
    dataDir,
    url: (room) => (spec.framing === 'hocuspocus' ? `ws://127.0.0.1:${port}` : `ws://127.0.0.1:${port}/${room}`),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    },
  }
}

export function removeDataDir(dataDir: string): void {
  rmSync(dataDir, { recursive: true, force: true })
}

/**
 * The raw ws relay as a floor: alone, or given `link` one of two relays that pass every frame
 * to each other through Redis (see peers/raw-relay.mjs). Stopping it removes its data dir.
 */
export async function startFloorRelay(link?: { redisUrl: string; id: string; peer: string }): Promise<RunningServer> {
  const spec = SERVERS.find((s) => s.id === 'relay')!
  const env: Record<string, string> = link ? { REDIS_URL: link.redisUrl, RELAY_ID: link.id, RELAY_PEERS: link.peer } : {}
  const server = await startServer(spec, undefined, { env })
  return { ...server, stop: () => server.stop().then(() => removeDataDir(server.dataDir)) }
}
