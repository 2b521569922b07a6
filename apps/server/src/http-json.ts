import type { IncomingMessage, ServerResponse } from 'node:http'

/** A request body past its cap; the answer is 413. */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the body must be at most ${limit} bytes`)
  }
}

/** Every API answer that is not the document text itself: JSON, never cached. */
export function reply(response: ServerResponse, status: number, body: object | null, headers: Record<string, string> = {}): true {
  if (body === null) {
    response.writeHead(status, { 'cache-control': 'no-store', ...headers })
    response.end()
    return true
  }
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers })
  response.end(JSON.stringify(body))
  return true
}

/** The body is not the JSON object the route takes; the message says what was wrong. */
export class NotAJsonObject extends Error {}

/**
 * A small JSON object body (an empty body is {}): BodyTooLarge past `limit`, NotAJsonObject
 * for anything else that is not an object.
 */
export async function readJsonObject(request: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const body = await readBody(request, limit)
  if (body.byteLength === 0) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch (error) {
    throw new NotAJsonObject(`the body is not JSON: ${(error as Error).message}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new NotAJsonObject('the body must be a JSON object')
  return parsed as Record<string, unknown>
}

/** Reads a body of at most `limit` bytes; rejects with BodyTooLarge past it (the socket stays, so the 413 arrives). */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? NaN)
  if (declared > limit) {
    request.resume()
    return Promise.reject(new BodyTooLarge(limit))
  }
  return new Promise((resolve, reject) => {
    let size = 0
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => {
      size += chunk.byteLength
      if (size > limit) {
        request.removeAllListeners('data')
        request.resume()
        reject(new BodyTooLarge(limit))
        return
      }
      chunks.push(chunk)
    })
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
  })
}

/** The token of `Authorization: Bearer <token>`, or null. */
export function bearerToken(request: IncomingMessage): string | null {
  return /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? null
}
