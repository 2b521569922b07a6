import { removeDataDir, startServer, type RunningServer, type ServerSpec } from './servers.js'
import { sleep } from './stats.js'
import type { ScenarioContext } from './scenarios/types.js'

async function waitForUnload(server: RunningServer, room: string): Promise<void> {
  if (server.spec.id.startsWith('coedit')) {
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline) {
      const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text()
      if (/^coedit_rooms_loaded 0$/m.test(text)) return
      await sleep(50)
    }
    throw new Error(`room ${room} did not unload`)
  }
  // The peers say nothing about unloading: wait past Hocuspocus' 2 s store debounce.
  await sleep(4_000)
}

/** What a scenario run gets: fresh servers of one kind, removed with their data afterwards. */
export function contextFor(spec: ServerSpec, quick: boolean, log: (message: string) => void): ScenarioContext & { cleanup(): void } {
  const dirs: string[] = []
  return {
    quick,
    log,
    start: async (extra) => {
      const server = await startServer(spec, undefined, extra)
      dirs.push(server.dataDir)
      return server
    },
    waitForUnload,
    cleanup: () => {
      for (const d of dirs.splice(0)) removeDataDir(d)
    },
  }
}
