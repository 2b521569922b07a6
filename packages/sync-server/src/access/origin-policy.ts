import type { IncomingMessage } from 'node:http'

export interface OriginPolicyOptions {
  /** Origins allowed besides the server's own ('https://app.example.com'); '*' allows any. */
  readonly allowedOrigins: readonly string[]
  /** Also allow pages served from localhost / 127.0.0.0/8 / [::1] on any port. */
  readonly allowLoopback: boolean
}

const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i

/**
 * Browsers send Origin on every WebSocket upgrade and let any page open a socket to any host,
 * so without this check a page elsewhere could act with a visitor's link. Clients that are not
 * browsers send no Origin and are not affected.
 */
export function originAllowed(request: IncomingMessage, options: OriginPolicyOptions): boolean {
  const origin = request.headers.origin
  if (origin === undefined) return true
  if (options.allowedOrigins.includes('*')) return true
  const normalized = origin.toLowerCase().replace(/\/+$/, '')
  if (options.allowedOrigins.some((allowed) => allowed.toLowerCase().replace(/\/+$/, '') === normalized)) return true
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    // 'null' (sandboxed frames, file: pages) and garbage are only allowed when listed.
    return false
  }
  const host = request.headers.host?.toLowerCase()
  if (host !== undefined && url.host === host) return true
  return options.allowLoopback && LOOPBACK_HOSTS.test(url.hostname)
}
