import type { IncomingMessage, ServerResponse } from 'node:http'
import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import { DocumentError, TokenAccessPolicy, grantCovers, roomNameFromPath, type AccessGrant, type SyncServer } from '@coedit/sync-server'
import { VIEW_ROOM_PREFIX, isViewRoom } from '@coedit/wire'
import { BodyTooLarge, bearerToken, readBody, reply } from './http-json.js'
import { OPENAPI } from './openapi.js'
import { WriteThrottle } from './write-throttle.js'
import type { Call, Handler, Route } from './api-call.js'
import { historyHandlers } from './history-routes.js'

export interface DocumentsApiOptions {
  readonly sync: SyncServer
  /** Base of the editor links handed out (`<base>/d/<id>`); default: the request's own host. */
  readonly publicUrl: string | null
  readonly log?: Logger
}

export type { Route } from './api-call.js'

const ID = '[^/]+'
const VID = '[^/]+'
const PATTERNS: Array<{ path: string; regex: RegExp }> = [
  { path: '/api/openapi.json', regex: /^\/api\/openapi\.json$/ },
  { path: '/api/docs', regex: /^\/api\/docs\/?$/ },
  { path: '/api/docs/{id}', regex: new RegExp(`^/api/docs/(${ID})$`) },
  { path: '/api/docs/{id}/text', regex: new RegExp(`^/api/docs/(${ID})/text$`) },
  { path: '/api/docs/{id}/append', regex: new RegExp(`^/api/docs/(${ID})/append$`) },
  { path: '/api/docs/{id}/versions', regex: new RegExp(`^/api/docs/(${ID})/versions$`) },
  { path: '/api/docs/{id}/versions/{vid}/text', regex: new RegExp(`^/api/docs/(${ID})/versions/(${VID})/text$`) },
  { path: '/api/docs/{id}/versions/{vid}/diff', regex: new RegExp(`^/api/docs/(${ID})/versions/(${VID})/diff$`) },
  { path: '/api/docs/{id}/versions/{vid}/restore', regex: new RegExp(`^/api/docs/(${ID})/versions/(${VID})/restore$`) },
  { path: '/api/docs/{id}/authorship', regex: new RegExp(`^/api/docs/(${ID})/authorship$`) },
  { path: '/api/docs/{id}/view-link', regex: new RegExp(`^/api/docs/(${ID})/view-link$`) },
]

/** Random ids carry 128 bits, like the editor's. */
function freshId(prefix: string): string {
  return `${prefix}${randomBytes(16).toString('base64url')}`
}

/**
 * The document API on the server's port: read and write a document's text, create, describe,
 * list and delete documents. Open mode: the id is the capability, as for the editor (listing
 * is refused). Token mode: `Authorization: Bearer <token>`; view tokens read, edit tokens also
 * write and delete. Returns false for paths outside /api/docs and /api/openapi.json.
 */
export function createDocumentsApi({ sync, publicUrl, log }: DocumentsApiOptions): {
  handle: (request: IncomingMessage, response: ServerResponse) => boolean
  routes: readonly Route[]
} {
  const access = sync.access
  const tokens = access instanceof TokenAccessPolicy ? access : null
  const maxBytes = sync.options.maxDocumentBytes > 0 ? sync.options.maxDocumentBytes : 64 * 1024 * 1024
  const throttle = new WriteThrottle(sync.options)

  /** The caller's grant for `id` with at least `right`, or an answer saying why not (already sent). */
  async function authorize(call: Call, right: 'view' | 'edit', id: string): Promise<AccessGrant | null | false> {
    if (!tokens) return null
    const token = bearerToken(call.request)
    if (!token) return fail(call, 401, 'send a token as Authorization: Bearer <token> (from a link: the part after #token=)')
    const check = await tokens.checkFor(token, id)
    if (!check.ok) return fail(call, check.status, check.status === 403 ? 'your token does not grant access to this document' : check.reason)
    if (right === 'edit' && check.grant.right !== 'edit') return fail(call, 403, 'your token can read this document but not change it (a view token)')
    return check.grant
  }

  /** The caller's verified grant (any document), or an answer saying why not (already sent). */
  async function verifiedGrant(call: Call, tokens: TokenAccessPolicy, what: string): Promise<AccessGrant | false> {
    const token = bearerToken(call.request)
    if (!token) return fail(call, 401, `send ${what} as Authorization: Bearer <token>`)
    const check = await tokens.verify(token)
    return check.ok ? check.grant : fail(call, check.status, check.reason)
  }

  async function text(call: Call, limit = maxBytes): Promise<string | false> {
    let body: Buffer
    try {
      body = await readBody(call.request, limit)
    } catch (error) {
      if (error instanceof BodyTooLarge) return fail(call, 413, `the text must be at most ${limit} bytes (the document cap, --max-document-bytes)`)
      throw error
    }
    let decoded: string
    try {
      decoded = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(body)
    } catch {
      return fail(call, 400, 'the body is not valid UTF-8 text')
    }
    const wait = throttle.admit(sync.addressOf(call.request), body.byteLength)
    if (wait === null) {
      call.response.setHeader('retry-after', '60')
      return fail(call, 429, 'too many writes from your address (--max-messages-per-second, --max-bytes-per-second); retry in a minute')
    }
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    return decoded
  }

  const handlers: Record<string, Partial<Record<Route['method'], Handler>>> = {
    '/api/openapi.json': {
      GET: async ({ response }) => void reply(response, 200, OPENAPI),
    },
    '/api/docs': {
      GET: async (call) => {
        if (!tokens)
          return void fail(call, 403, 'listing is off in open mode: the list would hand out every document URL; run with a secret (token mode) to list')
        const grant = await verifiedGrant(call, tokens, 'a token')
        if (!grant) return
        const limit = Math.min(1_000, Math.max(1, Number(call.query.get('limit') ?? 100) || 100))
        const after = call.query.get('after') ?? ''
        const prefix = grant.doc.endsWith('*') ? grant.doc.slice(0, -1) : grant.doc
        const documents = (await sync.documents.list({ prefix, after, limit }))
          .filter((doc) => grantCovers(grant, doc.id) && (tokens.revocations?.check(grant, doc.id) ?? null) === null)
          .map((doc) => ({ ...doc, url: linkFor(call.request, doc.id) }))
        reply(call.response, 200, { documents, next: documents.length === limit ? documents[documents.length - 1]!.id : null })
      },
      POST: async (call) => {
        let prefix = ''
        let author: string | null = null
        if (tokens) {
          const grant = await verifiedGrant(call, tokens, 'an edit token')
          if (!grant) return
          if (grant.right !== 'edit') return void fail(call, 403, 'creating documents needs an edit token')
          if (!grant.doc.endsWith('*'))
            return void fail(call, 403, 'your token is for one document; creating needs a token for a prefix (team-*) or for every document (*)')
          prefix = grant.doc.slice(0, -1)
          author = grant.name
        }
        const initial = await text(call)
        if (initial === false) return
        const id = freshId(prefix)
        const info = await sync.documents.create(id, initial, author)
        log?.info({ room: id, length: info.length }, 'document created through the API')
        reply(call.response, 201, { ...info, url: linkFor(call.request, id) }, { location: `/api/docs/${encodeURIComponent(id)}` })
      },
    },
    '/api/docs/{id}': {
      GET: async (call) => {
        if ((await authorize(call, 'view', call.id)) === false) return
        const info = await sync.documents.describe(call.id)
        // Through a view link the document's own id (its edit link, in open mode) stays untold.
        reply(call.response, 200, call.viewOf ? { ...info, id: call.viewOf } : info)
      },
      DELETE: async (call) => {
        if ((await authorize(call, 'edit', call.id)) === false) return
        await sync.documents.delete(call.id)
        reply(call.response, 204, null)
      },
    },
    '/api/docs/{id}/text': {
      GET: async (call) => {
        if ((await authorize(call, 'view', call.id)) === false) return
        const body = await sync.documents.text(call.id)
        call.response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
        call.response.end(body)
      },
      PUT: async (call) => {
        const grant = await authorize(call, 'edit', call.id)
        if (grant === false) return
        const next = await text(call)
        if (next === false) return
        reply(call.response, 200, await sync.documents.replace(call.id, next, grant?.name ?? null))
      },
    },
    '/api/docs/{id}/append': {
      POST: async (call) => {
        const grant = await authorize(call, 'edit', call.id)
        if (grant === false) return
        const addition = await text(call)
        if (addition === false) return
        reply(call.response, 200, await sync.documents.append(call.id, addition, grant?.name ?? null))
      },
    },
    '/api/docs/{id}/view-link': {
      POST: async (call) => {
        if ((await authorize(call, 'edit', call.id)) === false) return
        const viewId = await sync.documents.viewLink(call.id)
        reply(call.response, 200, { viewId, url: viewLinkFor(call.request, viewId) })
      },
    },
    ...historyHandlers({ sync, authorize }),
  }

  function viewLinkFor(request: IncomingMessage, viewId: string): string {
    return linkFor(request, '').replace(/\/d\/$/, `/v/${encodeURIComponent(viewId)}`)
  }

  function linkFor(request: IncomingMessage, id: string): string {
    const base = publicUrl ?? `${'encrypted' in request.socket ? 'https' : 'http'}://${request.headers.host ?? 'localhost'}`
    return `${base.replace(/\/$/, '')}/d/${encodeURIComponent(id)}`
  }

  const routes: Route[] = Object.entries(handlers).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => ({ method: method as Route['method'], path })),
  )

  function handle(request: IncomingMessage, response: ServerResponse): boolean {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const match = PATTERNS.map((p) => ({ p, m: p.regex.exec(url.pathname) })).find(({ m }) => m !== null)
    if (!match) return false
    const methods = handlers[match.p.path]!
    const method = request.method === 'HEAD' ? 'GET' : request.method
    const handler = methods[method as Route['method']]
    if (!handler) {
      const allow = Object.keys(methods).join(', ')
      return reply(response, 405, { error: `${request.method} is not allowed here; use ${allow}` }, { allow })
    }
    let id = ''
    if (match.m![1] !== undefined) {
      const name = roomNameFromPath(`/${match.m![1]}`, '/', sync.options.maxRoomNameLength)
      if (!name.ok) return reply(response, 400, { error: `not a valid document id: ${name.reason}` })
      id = name.name
    }
    const call: Call = { request, response, id, vid: match.m![2] ?? '', viewOf: null, query: url.searchParams }
    void (isViewRoom(id) ? throughViewLink(call, method ?? '', handler, sync) : handler(call)).catch((error: unknown) => {
      if (response.headersSent) return
      if (error instanceof DocumentError) return void reply(response, error.status, { error: error.message })
      log?.error({ err: (error as Error).message, path: url.pathname }, 'document API request failed')
      reply(response, 500, { error: 'the request could not be completed; try again' })
    })
    return true
  }

  return { handle, routes }
}

/** A call naming a view link (~view/<id>): reads only, made on the document the link opens. */
async function throughViewLink(call: Call, method: string, handler: Handler, sync: SyncServer): Promise<void> {
  if (method !== 'GET') return void fail(call, 403, 'a view link can only read the document')
  const document = await sync.documents.documentOfView(call.id.slice(VIEW_ROOM_PREFIX.length))
  if (!document) return void fail(call, 404, 'no document has this view link')
  await handler({ ...call, id: document, viewOf: call.id })
}

function fail(call: Call, status: number, error: string): false {
  reply(call.response, status, { error })
  return false
}
