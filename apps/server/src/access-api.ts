import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { BodyTooLarge, NotAJsonObject, bearerToken, readJsonObject, reply } from './http-json.js'
import { TokenAccessPolicy, revokeDocument, type AccessGrant, type AccessPolicy, type AccessRight } from '@coedit/sync-server'

export interface AccessApiOptions {
  readonly access: AccessPolicy
  /** Lifetime of minted links, in seconds; never past the minter's own token. */
  readonly linkTtlSeconds: number
  readonly log?: Logger
  /** Reads the time (ms since the epoch). Default Date.now. */
  readonly clock?: () => number
}

const MAX_BODY_BYTES = 4_096

type Answer = { readonly status: number; readonly body: object }

/**
 * GET /api/access tells the editor which mode the server is in; POST /api/links mints a
 * link for a document to the holder of a token for it: view links for any holder, edit
 * links only for edit holders. POST /api/links/reset (edit holders) revokes every link to a
 * document issued before now and answers with a fresh edit link. Returns false for other paths.
 */
export function createAccessApi({
  access,
  linkTtlSeconds,
  log,
  clock = Date.now,
}: AccessApiOptions): (request: IncomingMessage, response: ServerResponse) => boolean {
  return (request, response) => {
    const path = (request.url ?? '/').split('?')[0]
    if (path === '/api/access') {
      if (request.method !== 'GET' && request.method !== 'HEAD') return reply(response, 405, { error: 'use GET' }, { allow: 'GET' })
      return reply(response, 200, { mode: access.mode })
    }
    if (path === '/api/links' || path === '/api/links/reset') {
      if (request.method !== 'POST') return reply(response, 405, { error: 'use POST' }, { allow: 'POST' })
      if (!(access instanceof TokenAccessPolicy))
        return reply(response, 404, { error: 'this server is in open mode: every document URL already works as a link' })
      const work = path === '/api/links' ? mintLink : resetLinks
      void work(access, request, { ttlSeconds: linkTtlSeconds, clock, log }).then(
        ({ status, body }) => reply(response, status, body),
        (error: unknown) => {
          log?.error({ err: (error as Error).message, path }, 'link request failed')
          reply(response, 500, { error: 'could not complete the request; try again' })
        },
      )
      return true
    }
    return false
  }
}

interface Context {
  readonly ttlSeconds: number
  readonly clock: () => number
  readonly log: Logger | undefined
}

interface LinkRequest {
  readonly grant: AccessGrant
  readonly doc: string
  readonly body: { readonly right?: unknown }
}

/** Reads the bearer token and the JSON body, and checks the token opens the named document now. */
async function authorize(policy: TokenAccessPolicy, request: IncomingMessage): Promise<LinkRequest | Answer> {
  const bearer = bearerToken(request)
  if (!bearer) return { status: 401, body: { error: 'send your token as Authorization: Bearer <token>' } }
  let body: { doc?: unknown; right?: unknown }
  try {
    body = await readJsonObject(request, MAX_BODY_BYTES)
  } catch (error) {
    if (error instanceof BodyTooLarge) return { status: 413, body: { error: `the body must be at most ${MAX_BODY_BYTES} bytes` } }
    if (error instanceof NotAJsonObject) return { status: 400, body: { error: `body must be JSON {"doc": "<id>", ...}: ${error.message}` } }
    throw error
  }
  const doc = body?.doc
  if (typeof doc !== 'string' || doc === '' || doc.includes('*')) return { status: 400, body: { error: 'doc must be a document id' } }
  const check = await policy.checkFor(bearer, doc)
  if (!check.ok) return { status: check.status, body: { error: check.status === 403 ? 'your token does not grant access to this document' : check.reason } }
  return { grant: check.grant, doc, body }
}

async function mintLink(policy: TokenAccessPolicy, request: IncomingMessage, { ttlSeconds, clock }: Context): Promise<Answer> {
  const asked = await authorize(policy, request)
  if ('status' in asked) return asked
  const { grant, doc, body } = asked
  const right = body.right
  if (right !== 'edit' && right !== 'view') return { status: 400, body: { error: 'right must be edit or view' } }
  if (right === 'edit' && grant.right !== 'edit') return { status: 403, body: { error: 'only holders of an edit token can share edit links' } }
  return { status: 201, body: await sign(policy, doc, right, Math.min(clock() + ttlSeconds * 1000, grant.expiresAt)) }
}

async function resetLinks(policy: TokenAccessPolicy, request: IncomingMessage, { ttlSeconds, clock, log }: Context): Promise<Answer> {
  const asked = await authorize(policy, request)
  if ('status' in asked) return asked
  const { grant, doc } = asked
  if (grant.right !== 'edit') return { status: 403, body: { error: 'only holders of an edit token can reset the links to a document' } }
  if (!policy.revocations) return { status: 503, body: { error: 'this server keeps no revocations' } }
  const now = clock()
  await policy.revocations.revoke(revokeDocument(doc, now))
  log?.info({ doc, by: grant.name ?? undefined }, 'links reset: every token for the document issued before now is revoked')
  // The caller's own token is among those revoked; its replacement lives no longer than it would have.
  const fresh = await sign(policy, doc, 'edit', Math.min(now + ttlSeconds * 1000, grant.expiresAt))
  return { status: 201, body: { ...fresh, revokedBefore: new Date(now).toISOString() } }
}

async function sign(
  policy: TokenAccessPolicy,
  doc: string,
  right: AccessRight,
  expiresAt: number,
): Promise<{ token: string; doc: string; right: AccessRight; expiresAt: string }> {
  const token = await policy.sign({ doc, right, expiresAt })
  return { token, doc, right, expiresAt: new Date(expiresAt).toISOString() }
}
