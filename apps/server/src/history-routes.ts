import { DocumentError, type AccessGrant, type SyncServer } from '@coedit/sync-server'
import { BodyTooLarge, NotAJsonObject, readJsonObject, reply } from './http-json.js'
import type { Call, Handler, Route } from './api-call.js'

export interface HistoryRouteContext {
  readonly sync: SyncServer
  /** The caller's grant with at least `right` (null in open mode), or false once refused (answer sent). */
  readonly authorize: (call: Call, right: 'view' | 'edit', id: string) => Promise<AccessGrant | null | false>
}

/** Bodies of the history POSTs are small JSON objects. */
const MAX_JSON_BYTES = 4 * 1024

/**
 * Versions, differences, restores and authorship under /api/docs/{id}: view rights read them,
 * edit rights also name and restore. The author recorded is the token's name in token mode,
 * else what the body's `author` says (self-declared, like the editor's presence name).
 */
export function historyHandlers({ sync, authorize }: HistoryRouteContext): Record<string, Partial<Record<Route['method'], Handler>>> {
  async function jsonBody(call: Call): Promise<Record<string, unknown>> {
    try {
      return await readJsonObject(call.request, MAX_JSON_BYTES)
    } catch (error) {
      if (error instanceof BodyTooLarge) throw new DocumentError(413, `the body must be at most ${MAX_JSON_BYTES} bytes`)
      if (error instanceof NotAJsonObject) throw new DocumentError(400, 'the body must be a JSON object, for example {"name": "Draft sent to Ana"}')
      throw error
    }
  }

  function authorOf(grant: AccessGrant | null, body: Record<string, unknown>): string | null {
    if (grant) return grant.name
    return typeof body.author === 'string' && body.author.trim() ? body.author.trim().slice(0, 100) : null
  }

  return {
    '/api/docs/{id}/versions': {
      GET: async (call) => {
        if ((await authorize(call, 'view', call.id)) === false) return
        const limit = Math.min(1_000, Math.max(1, Number(call.query.get('limit') ?? 100) || 100))
        const before = Number(call.query.get('before') ?? NaN)
        const versions = await sync.history.versions(call.id, { limit, before: Number.isSafeInteger(before) ? before : undefined })
        reply(call.response, 200, { versions, next: versions.length === limit ? versions[versions.length - 1]!.id : null })
      },
      POST: async (call) => {
        const grant = await authorize(call, 'edit', call.id)
        if (grant === false) return
        const body = await jsonBody(call)
        if (typeof body.name !== 'string') throw new DocumentError(400, 'send the version’s name as {"name": "…"}')
        reply(call.response, 201, await sync.history.name(call.id, body.name, authorOf(grant, body)))
      },
    },
    '/api/docs/{id}/versions/{vid}/text': {
      GET: async (call) => {
        if ((await authorize(call, 'view', call.id)) === false) return
        const { text } = await sync.history.versionText(call.id, call.vid)
        call.response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
        call.response.end(text)
      },
    },
    '/api/docs/{id}/versions/{vid}/diff': {
      GET: async (call) => {
        if ((await authorize(call, 'view', call.id)) === false) return
        const against = call.query.get('against') ?? 'current'
        reply(call.response, 200, { from: call.vid, to: against, ops: await sync.history.diff(call.id, call.vid, against) })
      },
    },
    '/api/docs/{id}/versions/{vid}/restore': {
      POST: async (call) => {
        const grant = await authorize(call, 'edit', call.id)
        if (grant === false) return
        const body = await jsonBody(call)
        reply(call.response, 200, await sync.history.restore(call.id, call.vid, authorOf(grant, body)))
      },
    },
    '/api/docs/{id}/authorship': {
      GET: async (call) => {
        if ((await authorize(call, 'view', call.id)) === false) return
        reply(call.response, 200, { spans: await sync.history.authorship(call.id) })
      },
    },
  }
}
