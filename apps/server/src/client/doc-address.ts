/** Where a document lives, from the link people share: http(s)://host/d/<id>[#token=...]. */
export interface DocAddress {
  /** http(s) origin of the server, for the HTTP API. */
  readonly httpBase: string
  /** ws(s) origin plus path prefix, for the sync connection. */
  readonly wsBase: string
  readonly id: string
  readonly token: string | null
}

/** Thrown for a link the client cannot use; the message says what is wrong. */
export class AddressError extends Error {}

/**
 * Accepts an editor link (`https://host/d/<id>`, with `#token=` when the server is in token
 * mode) or a sync URL (`wss://host/<id>`). `token` (from --token) wins over the link's own.
 */
export function parseDocAddress(link: string, token: string | null = null): DocAddress {
  let url: URL
  try {
    url = new URL(link)
  } catch {
    throw new AddressError(`not a URL: ${link} (expected a document link such as http://127.0.0.1:1234/d/<id>)`)
  }
  const secure = url.protocol === 'https:' || url.protocol === 'wss:'
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) throw new AddressError(`unsupported scheme ${url.protocol} (use http, https, ws or wss)`)
  const fromFragment = new URLSearchParams(url.hash.replace(/^#/, '')).get('token')
  const editor = /^(.*)\/d\/([^/]+)\/?$/.exec(url.pathname)
  const prefix = editor ? editor[1]! : url.pathname.replace(/\/[^/]*\/?$/, '')
  const rawId = editor ? editor[2]! : url.pathname.split('/').filter(Boolean).pop()
  if (!rawId) throw new AddressError(`no document id in ${link} (expected …/d/<id>)`)
  let id: string
  try {
    id = decodeURIComponent(rawId)
  } catch {
    throw new AddressError(`the document id in ${link} is not valid percent-encoding`)
  }
  return {
    httpBase: `${secure ? 'https' : 'http'}://${url.host}`,
    wsBase: `${secure ? 'wss' : 'ws'}://${url.host}${prefix}`,
    id,
    token: token ?? fromFragment,
  }
}
