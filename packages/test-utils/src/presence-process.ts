import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'

export interface PresenceProcess {
  readonly child: ChildProcess
  readonly clientId: number
  kill(signal?: NodeJS.Signals): void
}

const FIXTURE = fileURLToPath(new URL('../fixtures/presence-client.mjs', import.meta.url))

/** Starts a y-websocket client with a presence state in a child process; resolves once synced. */
export function spawnPresenceClient(wsUrl: string, room: string, name: string, timeoutMs = 10_000): Promise<PresenceProcess> {
  const child = spawn(process.execPath, [FIXTURE, wsUrl, room, name], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`presence client did not sync within ${timeoutMs} ms`))
    }, timeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`presence client exited with ${code}`))
    })
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer)
      const { clientId } = JSON.parse(line) as { clientId: number }
      resolve({
        child,
        clientId,
        kill: (signal = 'SIGKILL') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal)
        },
      })
    })
  })
}
