import { connectClient, type TestClient } from '@coedit/test-utils'
import { median, percentile, until } from '../stats.js'
import type { Metrics, Scenario, ScenarioContext } from './types.js'

const SIZES = [
  { characters: 1_000, prefix: 'k1', label: '1k chars' },
  { characters: 200_000, prefix: 'k200', label: '200k chars' },
] as const

/** Resolves with the ms from now until `client`'s text next changes (or rejects after 10 s). */
function nextChange(client: TestClient): Promise<number> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no change arrived within 10 s')), 10_000)
    const observer = (): void => {
      clearTimeout(timer)
      client.text.unobserve(observer)
      resolve(performance.now() - started)
    }
    client.text.observe(observer)
  })
}

/**
 * The document API as a script uses it: a PUT that changes one word in the middle of the text,
 * from the request to the change showing in a connected y-websocket client; beside it, the
 * same edit made by a WebSocket peer (the floor: what any edit costs to reach others).
 */
export const api: Scenario = {
  id: 'api',
  title: 'Document API: PUT → visible in a connected editor, against the same edit over WebSocket',
  appliesTo: (spec) => spec.id === 'coedit',
  metrics: Object.assign(
    {},
    ...SIZES.map(({ prefix, label }) => ({
      [`${prefix}Put`]: { unit: 'ms', lowerIsBetter: true, label: `api (${label}): PUT → visible in an editor, p50` },
      [`${prefix}PutP95`]: { unit: 'ms', lowerIsBetter: true, label: `api (${label}): PUT → visible, p95` },
      [`${prefix}Append`]: { unit: 'ms', lowerIsBetter: true, label: `api (${label}): POST append → visible, p50` },
      [`${prefix}Ws`]: { unit: 'ms', lowerIsBetter: true, label: `api (${label}): the same edit from a WebSocket peer → visible, p50 (floor)` },
    })),
  ) as Scenario['metrics'],
  async run(context: ScenarioContext): Promise<Metrics> {
    const server = await context.start()
    const base = `http://127.0.0.1:${server.port}`
    const rounds = context.quick ? 10 : 40
    const metrics: Metrics = {}
    try {
      for (const { characters, prefix } of SIZES) {
        const room = `api-${prefix}`
        const words = Array.from({ length: Math.ceil(characters / 6) }, (_, i) => `w${i % 1000}`.padEnd(5, 'x'))
        let text = words.join(' ').slice(0, characters)
        const put = await fetch(`${base}/api/docs/${room}/text`, { method: 'PUT', body: text })
        if (!put.ok) throw new Error(`PUT answered ${put.status}: ${await put.text()}`)
        const editor = connectClient(`ws://127.0.0.1:${server.port}`, room)
        const peer = connectClient(`ws://127.0.0.1:${server.port}`, room)
        await Promise.all([editor.synced(10_000), peer.synced(10_000)])
        const timings = { put: [] as number[], append: [] as number[], ws: [] as number[] }
        for (let i = 0; i < rounds; i++) {
          const middle = Math.floor(text.length / 2)
          text = `${text.slice(0, middle)}Z${i % 10}${text.slice(middle + 2)}`
          const seen = nextChange(editor)
          const answered = await fetch(`${base}/api/docs/${room}/text`, { method: 'PUT', body: text })
          if (!answered.ok) throw new Error(`PUT answered ${answered.status}`)
          timings.put.push(await seen)

          const appended = nextChange(editor)
          await fetch(`${base}/api/docs/${room}/append`, { method: 'POST', body: '.' })
          timings.append.push(await appended)
          text += '.'

          if (!(await until(() => peer.text.length === text.length, 10_000))) throw new Error('the peer did not get the append')
          const viaSocket = nextChange(editor)
          peer.text.insert(peer.text.length, '!')
          timings.ws.push(await viaSocket)
          text += '!'
        }
        metrics[`${prefix}Put`] = median(timings.put)
        metrics[`${prefix}PutP95`] = percentile(timings.put, 95)
        metrics[`${prefix}Append`] = median(timings.append)
        metrics[`${prefix}Ws`] = median(timings.ws)
        editor.destroy()
        peer.destroy()
      }
      return metrics
    } finally {
      await server.stop()
    }
  },
}
