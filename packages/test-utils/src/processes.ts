import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

export function tempDir(prefix = 'coedit-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

export interface CliProcess {
  readonly child: ChildProcess
  readonly port: number
  readonly wsUrl: string
  readonly httpUrl: string
  /** Every JSON log line the process printed. */
  readonly logs: Array<Record<string, unknown>>
  /** Everything the process wrote to stderr so far (a crash's stack lands here). */
  readonly stderr: () => string
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  signal(signal: NodeJS.Signals): void
}

/**
 * Starts the built `coedit` CLI with `node`, as a process manager would, and resolves when
 * it logs that it is listening.
 */
export function startCli(cliPath: string, args: readonly string[], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<CliProcess> {
  const child = spawn(process.execPath, [cliPath, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const logs: Array<Record<string, unknown>> = []
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`coedit did not start within ${timeoutMs} ms; stderr: ${stderr}`))
    }, timeoutMs)
    void exited.then(({ code }) => {
      clearTimeout(timer)
      reject(new Error(`coedit exited with ${code} before listening; stderr: ${stderr}`))
    })
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>
      try {
        entry = JSON.parse(line) as Record<string, unknown>
      } catch {
        return
      }
      logs.push(entry)
      if (typeof entry.port === 'number' && typeof entry.url === 'string') {
        clearTimeout(timer)
        const port = entry.port
        resolve({
          child,
          port,
          wsUrl: `ws://127.0.0.1:${port}`,
          httpUrl: `http://127.0.0.1:${port}`,
          logs,
          stderr: () => stderr,
          exited,
          signal: (signal) => child.kill(signal),
        })
      }
    })
  })
}
