import type { IncomingMessage, ServerResponse } from 'node:http'
import { TokenAccessPolicy, grantCovers, type AccessPolicy, type AccessRight } from '@coedit/sync-server'

export interface AccessApiOptions {
  readonly access: AccessPolicy
  /** Lifetime of minted links, in seconds; never past the minter's own token. */
  readonly linkTtlSeconds: number
}

const MAX_BODY_BYTES = 4_096

/**
 * GET /api/access tells the editor which mode the server is in; POST /api/links mints a
 * link for a document to the holder of a token for it: view links for any holder, edit
 * links only for edit holders. Returns false for other paths.
 */
export function createAccessApi({ access, linkTtlSeconds }: AccessApiOptions): (request: IncomingMessage, response: ServerResponse) => boolean {
  return (request, response) => {
    const path = (request.url ?? '/').split('?')[0]
    if (path === '/api/access') {
      if (request.method !== 'GET' && request.method !== 'HEAD') return reply(response, 405, { error: 'use GET' }, { allow: 'GET' })
      return reply(response, 200, { mode: access.mode })
    }
    if (path === '/api/links') {
      if (request.method !== 'POST') return reply(response, 405, { error: 'use POST' }, { allow: 'POST' })
      if (!(access instanceof TokenAccessPolicy)) return reply(response, 404, { error: 'this server is in open mode: every document URL already works as a link' })
      void mintLink(access, request, linkTtlSeconds).then(({ status, body }) => reply(response, status, body))
      return true
    }
    return false
  }
}

async function mintLink(policy: TokenAccessPolicy, request: IncomingMessage, ttlSeconds: number): Promise<{ status: number; body: object }> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')
  if (!bearer) return { status: 401, body: { error: 'send your token as Authorization: Bearer <token>' } }
  const check = await policy.verify(bearer[1]!)
  if (!check.ok) return { status: 401, body: { error: check.reason } }
  let wanted: { doc?: unknown; right?: unknown }
  try {
    wanted = JSON.parse(await readBody(request)) as typeof wanted
  } catch (error) {
    return { status: 400, body: { error: `body must be JSON {"doc": "<id>", "right": "edit"|"view"}: ${(error as Error).message}` } }
  }
  const { doc, right } = wanted ?? {}
  if (typeof doc !== 'string' || doc === '' || doc.includes('*')) return { status: 400, body: { error: 'doc must be a document id' } }
  if (right !== 'edit' && right !== 'view') return { status: 400, body: { error: 'right must be edit or view' } }
  if (!grantCovers(check.grant, doc)) return { status: 403, body: { error: 'your token does not grant access to this document' } }
  if (right === 'edit' && check.grant.right !== 'edit') return { status: 403, body: { error: 'only holders of an edit token can share edit links' } }
  const expiresAt = Math.min(Date.now() + ttlSeconds * 1000, check.grant.expiresAt)
  const token = await policy.sign({ doc, right: right as AccessRight, expiresAt })
  return { status: 201, body: { token, doc, right, expiresAt: new Date(expiresAt).toISOString() } }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => {
      size += chunk.byteLength
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`more than ${MAX_BODY_BYTES} bytes`))
        request.destroy()
        return
      }
      chunks.push(chunk)
    })
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    request.on('error', reject)
  })
}

function reply(response: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): true {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers })
  response.end(JSON.stringify(body))
  return true
}
