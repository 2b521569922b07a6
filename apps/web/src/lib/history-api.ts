import { apiBase } from './access-api'
import { COLORS } from './identity'

export interface Version {
  readonly id: string
  readonly at: string
  readonly name: string | null
  readonly authors: readonly string[]
  readonly length: number
}

export interface DiffOp {
  readonly op: 'equal' | 'insert' | 'delete'
  readonly text: string
}

export interface ServerSpan {
  readonly start: number
  readonly end: number
  readonly author: string | null
  readonly at: string | null
}

async function call<T>(id: string, token: string | null, path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${apiBase()}/api/docs/${encodeURIComponent(id)}${path}`, {
    ...init,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
  })
  const isJson = (response.headers.get('content-type') ?? '').includes('json')
  const body = isJson ? ((await response.json()) as T & { error?: string }) : ((await response.text()) as T & { error?: string })
  if (!response.ok) throw new Error((isJson && body.error) || `the server answered ${response.status}`)
  return body
}

export async function listVersions(id: string, token: string | null): Promise<Version[]> {
  return (await call<{ versions: Version[] }>(id, token, '/versions?limit=200')).versions
}

export function versionText(id: string, token: string | null, vid: string): Promise<string> {
  return call<string>(id, token, `/versions/${encodeURIComponent(vid)}/text`)
}

export function currentText(id: string, token: string | null): Promise<string> {
  return call<string>(id, token, '/text')
}

export async function diffWithCurrent(id: string, token: string | null, vid: string): Promise<DiffOp[]> {
  return (await call<{ ops: DiffOp[] }>(id, token, `/versions/${encodeURIComponent(vid)}/diff?against=current`)).ops
}

/** Names the current state; `author` is recorded in open mode (the token's name in token mode). */
export function nameVersion(id: string, token: string | null, name: string, author: string): Promise<Version> {
  return call<Version>(id, token, '/versions', { method: 'POST', body: JSON.stringify({ name, author }) })
}

export async function authorship(id: string, token: string | null): Promise<ServerSpan[]> {
  return (await call<{ spans: ServerSpan[] }>(id, token, '/authorship')).spans
}

/** A steady colour for a name nobody present wears, from the same palette people pick from. */
export function colorForName(name: string): string {
  let hash = 0
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)!) >>> 0
  return COLORS[hash % COLORS.length]!
}

/** How a version is titled in the list: its name, else what kind of moment it is. */
export function versionTitle(version: Version): string {
  return version.name ?? 'Edited'
}

/** Versions grouped by the local day they were cut on, newest first. */
export function byDay(versions: readonly Version[]): Array<{ day: string; versions: Version[] }> {
  const groups: Array<{ day: string; versions: Version[] }> = []
  const format = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' })
  for (const version of versions) {
    const day = format.format(new Date(version.at))
    const last = groups[groups.length - 1]
    if (last?.day === day) last.versions.push(version)
    else groups.push({ day, versions: [version] })
  }
  return groups
}
