import { connectClient, seededRandom, type TestClient } from '@coedit/test-utils'
import { median, until } from '../stats.js'
import type { Metrics, Scenario, ScenarioContext } from './types.js'

/** Times `rounds` sequential calls of `work`, in ms. */
async function timed(rounds: number, work: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < rounds; i++) {
    const started = performance.now()
    await work()
    times.push(performance.now() - started)
  }
  return times
}

/**
 * History as a long-lived document has it: three people make 100,000 edits (typing runs at
 * places that jump now and then, so authorship is fragmented; a named version every 500
 * edits), then the history routes are timed against reading the text (the floor).
 */
export const history: Scenario = {
  id: 'history',
  title: 'History on a document with 100,000 edits by three people: authorship, versions and diff against reading the text',
  appliesTo: (spec) => spec.id === 'coedit',
  metrics: {
    edits: { unit: '', lowerIsBetter: false, label: 'history: edits made' },
    spans: { unit: '', lowerIsBetter: false, label: 'history: authorship spans of the final text' },
    text: { unit: 'ms', lowerIsBetter: true, label: 'history: GET text, p50 (floor)' },
    authorship: { unit: 'ms', lowerIsBetter: true, label: 'history: GET authorship, p50' },
    versions: { unit: 'ms', lowerIsBetter: true, label: 'history: GET versions (newest 100), p50' },
    diff: { unit: 'ms', lowerIsBetter: true, label: 'history: GET diff of the oldest version against the current text, p50' },
  },
  async run(context: ScenarioContext): Promise<Metrics> {
    const server = await context.start()
    const base = `http://127.0.0.1:${server.port}/api/docs/history-bench`
    const total = context.quick ? 20_000 : 100_000
    const people: TestClient[] = ['Ada', 'Ben', 'Cy'].map((name) => {
      const client = connectClient(`ws://127.0.0.1:${server.port}`, 'history-bench')
      client.provider.awareness.setLocalStateField('user', { name, color: '#2d7dd2' })
      return client
    })
    try {
      await Promise.all(people.map((p) => p.synced(10_000)))
      const random = seededRandom(15)
      const carets = people.map(() => 0)
      for (let edit = 0; edit < total; edit++) {
        const who = edit % 3
        const person = people[who]!
        const length = person.text.length
        // A run of typing, then the caret jumps somewhere else (and sometimes a word is deleted).
        if (edit % 40 === who) carets[who] = Math.floor(random() * (length + 1))
        const at = Math.min(carets[who]!, length)
        if (edit % 97 === 0 && length > 10) person.text.delete(Math.max(0, at - 5), Math.min(5, at))
        else person.text.insert(at, String.fromCharCode(97 + (edit % 26)))
        carets[who] = Math.min(at + 1, person.text.length)
        if (edit % 500 === 499) {
          await until(() => people.every((p) => p.text.length === person.text.length), 30_000)
          await fetch(`${base}/versions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `at ${edit + 1}` }) })
        }
        if (edit % 5_000 === 4_999) context.log(`history: ${edit + 1} edits`)
      }
      const final = people[0]!.text.toString()
      const deadline = Date.now() + 60_000
      while ((await (await fetch(`${base}/text`)).text()) !== final) {
        if (Date.now() > deadline) throw new Error('the server did not store every edit')
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      const rounds = context.quick ? 5 : 15
      const text = await timed(rounds, async () => (await fetch(`${base}/text`)).text())
      let spans = 0
      const authorship = await timed(rounds, async () => {
        spans = ((await (await fetch(`${base}/authorship`)).json()) as { spans: unknown[] }).spans.length
      })
      const versions = await timed(rounds, async () => (await fetch(`${base}/versions?limit=100`)).json())
      const all = ((await (await fetch(`${base}/versions?limit=1000`)).json()) as { versions: Array<{ id: string }> }).versions
      const oldest = all[all.length - 1]!.id
      const diff = await timed(rounds, async () => (await fetch(`${base}/versions/${oldest}/diff?against=current`)).json())
      return { edits: total, spans, text: median(text), authorship: median(authorship), versions: median(versions), diff: median(diff) }
    } finally {
      for (const person of people) person.destroy()
      await server.stop()
    }
  },
}
