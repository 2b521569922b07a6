/**
 * What the browser editor, the command line and the sync server agree on over the wire. One
 * place, imported by all of them: changing a name here is a type error on the other side, not
 * a silent mismatch. No Node or DOM dependencies.
 */

/** The subprotocol clients offer; the server answers with it (never with a token). */
export const COEDIT_PROTOCOL = 'coedit'

/**
 * Browsers cannot set headers on a WebSocket, but they can offer subprotocols: a token rides
 * as `coedit-token.<token>`, offered alongside `coedit`.
 */
export const TOKEN_PROTOCOL_PREFIX = 'coedit-token.'

/** The subprotocols a client offers to carry a token. */
export function tokenProtocols(token: string): string[] {
  return [COEDIT_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`]
}

/** edit: read and write; view: read only, presence shown. */
export type AccessRight = 'edit' | 'view'

export const ACCESS_RIGHTS: readonly AccessRight[] = ['edit', 'view']

export function isAccessRight(value: unknown): value is AccessRight {
  return value === 'edit' || value === 'view'
}

/** WebSocket close codes the server uses, and what each means for a client. */
export const CLOSE = {
  /** A text frame: not part of the protocol. */
  unsupportedData: 1003,
  /** A malformed frame, or an update Yjs cannot apply. */
  invalidData: 1007,
  /** A limit or a rule: rates kept up too long, document or presence caps, expired or revoked access. */
  policy: 1008,
  /** A frame over the size cap. */
  tooLarge: 1009,
  /** The document could not be loaded or stored; edits are kept and pushed again on reconnect. */
  serverError: 1011,
  /** The server is restarting: reconnect. */
  restart: 1012,
  /** Too many frames while the document loads: try again later. */
  tryAgainLater: 1013,
  /** The document was deleted: it is gone for good, do not reconnect (an application code, like HTTP 410). */
  deleted: 4410,
} as const

/** The close reason for sessions of a document someone deleted. */
export const DELETED_REASON = 'document deleted: it no longer exists on this server'

/** The close reason for a session whose link (or every link to its document) was revoked. */
export const REVOKED_REASON = 'link revoked: ask whoever shared it for a new one'

/** The close reason for a session whose token ran out. */
export const TOKEN_EXPIRED_REASON = 'access token expired'

/** Whether a close event means the link was revoked (the server will keep refusing it). */
export function isRevokedClose(code: number, reason: string): boolean {
  return code === CLOSE.policy && reason.startsWith(REVOKED_REASON.slice(0, REVOKED_REASON.indexOf(':')))
}

/**
 * Room names under this prefix are view links: `~view/<id>` opens the document the id was
 * made for, read-only, without telling its name (in open mode a document's name is its edit link).
 */
export const VIEW_ROOM_PREFIX = '~view/'

export function isViewRoom(name: string): boolean {
  return name.startsWith(VIEW_ROOM_PREFIX)
}
