import * as Y from 'yjs'
import { FullClient, Writer } from '../clients.js'
import { percentile, until } from '../stats.js'
import type { Metrics, Scenario, ScenarioContext } from './types.js'

/** A document of many single-character edits at random places, as one update. */
function buildDocument(edits: number): { update: Uint8Array; length: number } {
  const doc = new Y.Doc()
  const text = doc.getText('text')
  // Several authors, as a real document has: each edit is its own item.
  const authors = Array.from({ length: 8 }, () => new Y.Doc())
  for (let i = 0; i < edits; i++) {
    const author = authors[i % authors.length]!
    if (i % 500 === 0) for (const a of authors) Y.applyUpdate(a, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(a)))
    const t = author.getText('text')
    t.insert(Math.floor(Math.random() * (t.length + 1)), String.fromCharCode(97 + (i % 26)))
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(author, Y.encodeStateVector(doc)))
  }
  for (const a of authors) a.destroy()
  const update = Y.encodeStateAsUpdate(doc)
  const length = text.length
  doc.destroy()
  return { update, length }
}

const cache = new Map<number, { update: Uint8Array; length: number }>()

async function join(server: Awaited<ReturnType<ScenarioContext['start']>>, room: string, length: number): Promise<{ step2: number; full: number }> {
  const started = performance.now()
  const client = new FullClient(server, room)
  await client.opened
  if (!(await until(() => client.doc.getText('text').length === length, 30_000, 1)))
    throw new Error(`joiner got ${client.doc.getText('text').length}/${length}`)
  const full = performance.now() - started
  const step2 = client.firstStep2At - started
  client.close()
  return { step2, full }
}

export const coldSync: Scenario = {
  id: 'cold-sync',
  title: 'Cold sync of a document built from many single-character edits',
  appliesTo: (spec) => spec.yjs,
  metrics: {
    step2: { unit: 'ms', lowerIsBetter: true, label: 'cold sync: sync step 2 after (loaded room)' },
    full: { unit: 'ms', lowerIsBetter: true, label: 'cold sync: full text after (loaded room)' },
    reloadStep2: { unit: 'ms', lowerIsBetter: true, label: 'cold sync: step 2 after (unloaded room, from store)' },
    reloadFull: { unit: 'ms', lowerIsBetter: true, label: 'cold sync: full text after (unloaded room, from store)' },
  },
  async run(context: ScenarioContext): Promise<Metrics> {
    const edits = context.quick ? 10_000 : 100_000
    let built = cache.get(edits)
    if (!built) {
      context.log(`building a document of ${edits} edits`)
      built = buildDocument(edits)
      cache.set(edits, built)
    }
    const server = await context.start()
    try {
      const room = 'cold-sync'
      const writer = new Writer(server, room)
      await writer.opened
      writer.sendUpdate(built.update)
      const holder = new FullClient(server, room)
      await holder.opened
      if (!(await until(() => holder.doc.getText('text').length === built!.length, 60_000))) throw new Error('the document did not reach the server')
      // The room is loaded (writer and holder stay); newcomers join one after another.
      const loaded = [] as Array<{ step2: number; full: number }>
      for (let i = 0; i < (context.quick ? 2 : 5); i++) loaded.push(await join(server, room, built.length))
      const result: Metrics = {
        step2: percentile(
          loaded.map((l) => l.step2),
          50,
        ),
        full: percentile(
          loaded.map((l) => l.full),
          50,
        ),
      }
      if (server.spec.persistent) {
        writer.close()
        holder.close()
        await context.waitForUnload(server, room)
        const reload = await join(server, room, built.length)
        result.reloadStep2 = reload.step2
        result.reloadFull = reload.full
      } else {
        writer.close()
        holder.close()
      }
      return result
    } finally {
      await server.stop()
    }
  },
}
