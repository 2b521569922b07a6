import { afterEach, beforeAll } from 'vitest'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { connectClient, startCli, tempDir, type CliProcess, type TestClient } from '@coedit/test-utils'

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))

/**
 * The built CLI as a child process on a free port, with `baseArgs` before each call's own
 * (later flags win), and clients on it; everything started is stopped after each test.
 */
export function useCli(baseArgs: readonly string[], baseEnv: () => Record<string, string> = () => ({})) {
  const running: CliProcess[] = []
  const clients: TestClient[] = []
  const dirs: Array<{ remove(): void }> = []
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'pnpm build' first (the test command does)`)
  })
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy()
    for (const p of running.splice(0)) if (p.child.exitCode === null) p.signal('SIGKILL')
    for (const d of dirs.splice(0)) d.remove()
  })
  return {
    async cli(args: readonly string[] = [], env: Record<string, string> = {}): Promise<CliProcess> {
      const p = await startCli(CLI, ['--port', '0', ...baseArgs, ...args], { ...baseEnv(), ...env })
      running.push(p)
      return p
    },
    client(p: CliProcess, room: string, options?: Parameters<typeof connectClient>[2]): TestClient {
      const c = connectClient(p.wsUrl, room, options)
      clients.push(c)
      return c
    },
    /** Destroys every client now (before stopping servers, say). */
    destroyClients(): void {
      for (const c of clients.splice(0)) c.destroy()
    },
    /** A fresh temporary directory, removed after the test. */
    tempDir(): string {
      const dir = tempDir()
      dirs.push(dir)
      return dir.path
    },
    /** Clients made by hand, destroyed with the rest. */
    track(client: TestClient): TestClient {
      clients.push(client)
      return client
    },
  }
}
