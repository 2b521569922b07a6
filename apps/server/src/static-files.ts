import { createReadStream, existsSync, statSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, normalize, sep } from 'node:path'
import { pipeline } from 'node:stream'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
}

export interface StaticOptions {
  /** Who may frame the app (CSP frame-ancestors sources). Default: only this origin. */
  readonly frameAncestors?: readonly string[]
}

/**
 * Serves a built single-page app: files as they are, any other GET path gets index.html so
 * client-side routes (/d/<id>) load. Hashed files under /assets/ are cached for a year. Every
 * answer carries a strict Content-Security-Policy: presence (names, colours) comes from other
 * people, and nothing they send may load or run anything.
 */
export function createStaticHandler(root: string, options: StaticOptions = {}): (request: IncomingMessage, response: ServerResponse) => void {
  const indexFile = join(root, 'index.html')
  const security = securityHeaders(options.frameAncestors ?? ["'self'"])
  return (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
      response.end('method not allowed\n')
      return
    }
    const path = fileFor(root, request.url ?? '/')
    const file = path && isFile(path) ? path : indexFile
    const immutable = file !== indexFile && (request.url ?? '').startsWith('/assets/')
    const headers = {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...security,
    }
    if (request.method === 'HEAD') {
      response.writeHead(200, headers)
      response.end()
      return
    }
    const stream = createReadStream(file)
    stream.once('open', () => response.writeHead(200, headers))
    // pipeline destroys the file stream when the client goes away or either side fails, so an
    // aborted download never keeps a descriptor open.
    pipeline(stream, response, (error) => {
      if (!error) return
      if (!response.headersSent) {
        response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' })
        response.end(JSON.stringify({ error: 'could not read the file' }))
      } else response.destroy()
    })
  }
}

/** Headers for the app: a CSP that allows only this origin, no referrer, no sniffing. */
export function securityHeaders(frameAncestors: readonly string[]): Record<string, string> {
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    // The sync socket is same-origin; 'self' covers ws(s): of this host in current browsers.
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${frameAncestors.join(' ')}`,
  ].join('; ')
  const headers: Record<string, string> = {
    'content-security-policy': csp,
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  }
  // Browsers without frame-ancestors: the closest they understand.
  if (frameAncestors.length === 1 && frameAncestors[0] === "'self'") headers['x-frame-options'] = 'SAMEORIGIN'
  else if (frameAncestors.length === 1 && frameAncestors[0] === "'none'") headers['x-frame-options'] = 'DENY'
  return headers
}

export function webDirIsBuilt(root: string): boolean {
  return existsSync(join(root, 'index.html'))
}

function fileFor(root: string, url: string): string | null {
  let path: string
  try {
    path = decodeURIComponent(url.split('?')[0] ?? '/')
  } catch {
    return null
  }
  const full = normalize(join(root, path))
  // Refuse anything that climbs out of the web root.
  return full === root || full.startsWith(root.endsWith(sep) ? root : root + sep) ? full : null
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}
