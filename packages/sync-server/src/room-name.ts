/**
 * Room names come from the URL path, so they are checked before any state is created:
 * segments of letters, digits, '-', '_', '.', '~', joined by single '/', no '.'/'..' segments.
 */
export type RoomNameResult = { readonly ok: true; readonly name: string } | { readonly ok: false; readonly status: number; readonly reason: string }

const SEGMENT = /^[A-Za-z0-9_~.-]+$/

export function roomNameFromPath(pathname: string, prefix: string, maxLength: number): RoomNameResult {
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`
  if (!pathname.startsWith(base)) return { ok: false, status: 404, reason: `WebSocket path must start with ${base}` }
  let name: string
  try {
    name = decodeURIComponent(pathname.slice(base.length))
  } catch {
    return { ok: false, status: 400, reason: 'room name is not valid percent-encoding' }
  }
  if (name.length === 0) return { ok: false, status: 400, reason: 'room name is empty' }
  if (name.length > maxLength) return { ok: false, status: 400, reason: `room name is longer than ${maxLength} characters` }
  for (const segment of name.split('/')) {
    if (!SEGMENT.test(segment) || segment === '.' || segment === '..') {
      return { ok: false, status: 400, reason: "room name may only hold letters, digits, '-', '_', '.', '~' and single '/' between segments" }
    }
  }
  return { ok: true, name }
}
