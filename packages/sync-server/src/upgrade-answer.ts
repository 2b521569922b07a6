import type { Duplex } from 'node:stream'
import { COEDIT_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from './access/access-policy.js'

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  410: 'Gone',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
}

/** Answers a refused upgrade with a plain HTTP status and the reason as its body, then closes. */
export function writeRefusal(socket: Duplex, status: number, reason: string): void {
  if (socket.destroyed) return
  const body = `${reason}\n`
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  )
}

/**
 * Browsers drop a handshake whose answer names no subprotocol when they offered some, so one
 * offered is echoed: 'coedit' if there, else the first that is not a token. A token is never
 * echoed (it would land in response logs): clients that send one must offer 'coedit' too.
 */
export function chooseProtocol(offered: Set<string>): string | false {
  if (offered.has(COEDIT_PROTOCOL)) return COEDIT_PROTOCOL
  for (const protocol of offered) if (!protocol.startsWith(TOKEN_PROTOCOL_PREFIX)) return protocol
  return false
}
