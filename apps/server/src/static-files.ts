import { createReadStream, existsSync, statSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, normalize, sep } from 'node:path'

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

/**
 * Serves a built single-page app: files as they are, any other GET path gets index.html so
 * client-side routes (/d/<id>) load. Hashed files under /assets/ are cached for a year.
 */
export function createStaticHandler(root: string): (request: IncomingMessage, response: ServerResponse) => void {
  const indexFile = join(root, 'index.html')
  return (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
      response.end('method not allowed\n')
      return
    }
    const path = fileFor(root, request.url ?? '/')
    const file = path && isFile(path) ? path : indexFile
    const immutable = file !== indexFile && (request.url ?? '').startsWith('/assets/')
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    })
    if (request.method === 'HEAD') response.end()
    else createReadStream(file).pipe(response)
  }
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
