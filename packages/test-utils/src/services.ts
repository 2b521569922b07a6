import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chownSync, existsSync, readFileSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { tempDir } from './processes.js'
import { waitFor } from './wait-for.js'

/** A service process the tests started themselves, on 127.0.0.1 and a free port. */
export interface ServiceProcess {
  readonly url: string
  readonly port: number
  /** The process ID now (it changes on restart), for CPU accounting. */
  pid(): number
  /** Kills the process (SIGKILL); `start` brings it back on the same port and data. */
  kill(): Promise<void>
  start(): Promise<void>
  /** kill, then start. */
  restart(): Promise<void>
  stop(): Promise<void>
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * The environment for a service process: ours without a shifted clock. Tests may run under
 * faketime to prove they hold on any date; Redis and PostgreSQL are other machines in a real
 * deployment, with clocks of their own (and redis-server hangs under libfaketime).
 */
function serviceEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const key of Object.keys(env)) if (key.startsWith('FAKETIME') || key === 'LD_PRELOAD' || key === 'DONT_FAKE_MONOTONIC') delete env[key]
  return env
}

function missing(what: string, install: string): Error {
  return new Error(
    `${what} is not installed, and the multi-server tests need it. Install it (Debian/Ubuntu: ${install}); the test command does this itself when run as root.`,
  )
}

/** Ends `child` with `signal`, sent to `target()` when given (the real server behind a wrapper). */
async function stopChild(child: ChildProcess | null, signal: NodeJS.Signals = 'SIGKILL', target?: () => number | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const pid = target?.()
  if (pid) process.kill(pid, signal)
  else child.kill(signal)
  await exited
}

/** redis-server from the system packages, without persistence. */
export async function startRedis(): Promise<ServiceProcess> {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore', env: serviceEnv() }).status !== 0)
    throw missing('redis-server', 'apt-get install redis-server')
  const port = await freePort()
  let child: ChildProcess | null = null
  let log = ''
  const launch = async (): Promise<void> => {
    log = ''
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: serviceEnv(),
    })
    child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()))
    await waitFor(`redis-server on port ${port} (log: ${log.slice(-300)})`, () => log.includes('Ready to accept connections'), { timeoutMs: 10_000 })
  }
  await launch()
  return serviceHandle(
    `redis://127.0.0.1:${port}`,
    port,
    () => child,
    launch,
    () => {},
  )
}

/**
 * The handle of a service whose current process is `current()` and which `launch` (re)starts;
 * `crash` is the signal that ends it at once (SIGKILL, or one a wrapper passes on).
 */
function serviceHandle(
  url: string,
  port: number,
  current: () => ChildProcess | null,
  launch: () => Promise<void>,
  cleanup: () => void,
  crash: { signal: NodeJS.Signals; target: () => number | null } = { signal: 'SIGKILL', target: () => null },
): ServiceProcess {
  const end = () => stopChild(current(), crash.signal, crash.target)
  return {
    url,
    port,
    pid: () => current()?.pid ?? 0,
    kill: end,
    start: launch,
    restart: async () => {
      await end()
      await launch()
    },
    stop: async () => {
      await end()
      cleanup()
    },
  }
}

function postgresBinDir(): string | null {
  const fromConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' })
  if (fromConfig.status === 0 && existsSync(join(fromConfig.stdout.trim(), 'initdb'))) return fromConfig.stdout.trim()
  const base = '/usr/lib/postgresql'
  if (!existsSync(base)) return null
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a))
  for (const version of versions) if (existsSync(join(base, version, 'bin', 'initdb'))) return join(base, version, 'bin')
  return null
}

/**
 * A throwaway PostgreSQL cluster: initdb in a temp dir, the server on a free port with fsync
 * off (the tests kill servers, not machines). PostgreSQL refuses to run as root, so as root
 * it runs as the `postgres` user the Debian package creates.
 */
export async function startPostgres(): Promise<ServiceProcess> {
  const bin = postgresBinDir()
  if (!bin) throw missing('PostgreSQL', 'apt-get install postgresql')
  const port = await freePort()
  const dir = tempDir('coedit-pg-')
  const data = join(dir.path, 'data')
  const asRoot = process.getuid?.() === 0
  const user = (command: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args])
  if (asRoot) {
    const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' })
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' })
    if (ids.status !== 0) throw missing('The postgres user (from the postgresql package)', 'apt-get install postgresql')
    chownSync(dir.path, Number(ids.stdout.trim()), Number(gid.stdout.trim()))
  }
  const [initCommand, initArgs] = user(join(bin, 'initdb'), ['-D', data, '-U', 'coedit', '--auth=trust', '--no-sync', '-E', 'UTF8'])
  const init = spawnSync(initCommand, initArgs, { encoding: 'utf8', env: serviceEnv() })
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`)
  let child: ChildProcess | null = null
  const launch = async (): Promise<void> => {
    let log = ''
    const [command, args] = user(join(bin, 'postgres'), [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir.path,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'max_connections=200',
    ])
    child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: serviceEnv() })
    child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()))
    await waitFor(
      `postgres on port ${port}`,
      () => {
        if (child?.exitCode !== null) throw new Error(`postgres exited: ${log}`)
        return log.includes('ready to accept connections')
      },
      { timeoutMs: 20_000 },
    )
  }
  await launch()
  // As root the child is runuser, whose death would leave PostgreSQL running: the postmaster
  // (named in its pid file) gets SIGQUIT, PostgreSQL's immediate shutdown (no checkpoint,
  // recovery on the next start, as after a crash), and takes its backends with it.
  const postmaster = (): number | null => {
    try {
      return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]) || null
    } catch {
      return null
    }
  }
  return serviceHandle(
    `postgres://coedit@127.0.0.1:${port}/postgres`,
    port,
    () => child,
    launch,
    () => dir.remove(),
    { signal: 'SIGQUIT', target: postmaster },
  )
}
