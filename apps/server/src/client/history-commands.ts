import type { DocAddress } from './doc-address.js'
import { ClientError } from './doc-connection.js'

interface Version {
  readonly id: string
  readonly at: string
  readonly name: string | null
  readonly authors: readonly string[]
  readonly length: number
}

interface Span {
  readonly start: number
  readonly end: number
  readonly author: string | null
  readonly at: string | null
}

/** Calls the document API; HTTP refusals become the client's exit codes. */
async function request<T>(address: DocAddress, method: 'GET' | 'POST', path: string, timeoutMs: number, body?: object): Promise<T> {
  let response: Response
  try {
    response = await fetch(`${address.httpBase}/api/docs/${encodeURIComponent(address.id)}${path}`, {
      method,
      headers: { ...(address.token ? { authorization: `Bearer ${address.token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') throw new ClientError('timed-out', `the server did not answer within ${timeoutMs} ms`)
    throw new ClientError(
      'unreachable',
      `cannot reach ${address.httpBase}: ${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}`,
    )
  }
  const answer = (await response.json().catch(() => ({}))) as T & { error?: string }
  if (response.ok) return answer
  const reason = answer.error ?? `HTTP ${response.status}`
  if (response.status === 401 || response.status === 403) throw new ClientError('refused', reason)
  if (response.status === 404 || response.status === 410) throw new ClientError('gone', reason)
  if (response.status === 503 || response.status === 429) throw new ClientError('unreachable', reason)
  throw new ClientError('failed', reason)
}

/** `2026-11-26 17:03:12`, in the local time zone of whoever reads it. */
function localTime(iso: string): string {
  const d = new Date(iso)
  const pad = (n: number): string => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

/** Prints the versions, newest first: id, time, name, authors, length. */
export async function printHistory(
  address: DocAddress,
  options: { timeoutMs: number; limit: number; json: boolean },
  out: (text: string) => void,
): Promise<void> {
  const { versions } = await request<{ versions: Version[] }>(address, 'GET', `/versions?limit=${options.limit}`, options.timeoutMs)
  if (options.json) {
    for (const version of versions) out(`${JSON.stringify(version)}\n`)
    return
  }
  if (versions.length === 0) {
    out('No versions yet: one is cut when editing pauses.\n')
    return
  }
  const idWidth = Math.max(2, ...versions.map((v) => v.id.length))
  out(`${'ID'.padEnd(idWidth)}  ${'TIME'.padEnd(19)}  ${'LENGTH'.padStart(8)}  NAME / AUTHORS\n`)
  for (const v of versions) {
    const label = [v.name ? `“${v.name}”` : null, v.authors.length ? v.authors.join(', ') : null].filter(Boolean).join(' · ') || '—'
    out(`${v.id.padEnd(idWidth)}  ${localTime(v.at)}  ${String(v.length).padStart(8)}  ${label}\n`)
  }
}

/**
 * Prints the text line by line, each with who wrote most of it and when it was last touched,
 * like `git blame`; --json prints the spans as the API gives them.
 */
export async function printBlame(address: DocAddress, options: { timeoutMs: number; json: boolean }, out: (text: string) => void): Promise<void> {
  const [{ spans }, text] = await Promise.all([
    request<{ spans: Span[] }>(address, 'GET', '/authorship', options.timeoutMs),
    readText(address, options.timeoutMs),
  ])
  if (options.json) {
    for (const span of spans) out(`${JSON.stringify({ ...span, text: text.slice(span.start, span.end) })}\n`)
    return
  }
  const rows: Array<{ author: string; at: string; line: string }> = []
  let start = 0
  let s = 0
  for (const line of text.split('\n')) {
    const end = start + line.length
    const weight = new Map<string, number>()
    let latest: string | null = null
    while (s < spans.length && spans[s]!.end <= start) s++
    for (let i = s; i < spans.length && spans[i]!.start <= end; i++) {
      const span = spans[i]!
      const overlap = Math.min(span.end, end + 1) - Math.max(span.start, start)
      if (overlap <= 0) continue
      const who = span.author ?? 'unknown'
      weight.set(who, (weight.get(who) ?? 0) + overlap)
      if (span.at && (!latest || span.at > latest)) latest = span.at
    }
    const author = [...weight.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? ''
    rows.push({ author, at: latest ? localTime(latest).slice(0, 16) : '', line })
    start = end + 1
  }
  if (rows.length > 1 && rows[rows.length - 1]!.line === '' && text.endsWith('\n')) rows.pop()
  const width = Math.min(24, Math.max(0, ...rows.map((r) => r.author.length)))
  for (const row of rows) out(`${row.author.slice(0, width).padEnd(width)}  ${row.at.padEnd(16)} │ ${row.line}\n`)
}

/** Restores a version; prints the version the restore made. */
export async function restoreVersion(
  address: DocAddress,
  vid: string,
  options: { timeoutMs: number; name: string | null },
  out: (text: string) => void,
): Promise<void> {
  const version = await request<Version>(
    address,
    'POST',
    `/versions/${encodeURIComponent(vid)}/restore`,
    options.timeoutMs,
    options.name ? { author: options.name } : {},
  )
  out(`${version.name ?? 'Restored'}: now version ${version.id}, ${version.length} characters\n`)
}

async function readText(address: DocAddress, timeoutMs: number): Promise<string> {
  const response = await fetch(`${address.httpBase}/api/docs/${encodeURIComponent(address.id)}/text`, {
    headers: address.token ? { authorization: `Bearer ${address.token}` } : {},
    signal: AbortSignal.timeout(timeoutMs),
  })
  if (!response.ok) throw new ClientError(response.status === 404 || response.status === 410 ? 'gone' : 'failed', `reading the text: HTTP ${response.status}`)
  return response.text()
}
