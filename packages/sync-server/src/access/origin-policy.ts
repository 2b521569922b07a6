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

/**
 * Whether the Host header names this server. A page on evil.example whose name is re-pointed
 * at 127.0.0.1 (DNS rebinding) reaches a loopback server as a same-origin page, with Host
 * evil.example: listing the names a server answers to stops it. Empty list: any host.
 * 'loopback' stands for localhost, 127.0.0.0/8 and [::1].
 */
export function hostAllowed(request: IncomingMessage, allowedHosts: readonly string[]): boolean {
  if (allowedHosts.length === 0) return true
  const host = request.headers.host?.toLowerCase() ?? ''
  const hostname = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '')
  return allowedHosts.some((allowed) =>
    allowed === 'loopback' ? LOOPBACK_HOSTS.test(hostname) : allowed.toLowerCase() === hostname || allowed.toLowerCase() === host,
  )
}
