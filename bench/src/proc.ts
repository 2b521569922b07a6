import { readFileSync, readdirSync } from 'node:fs'

const TICKS_PER_SECOND = 100

/** User + system CPU seconds of a process, read from /proc (never from inside it). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name, which may contain spaces, start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return (utime + stime) / TICKS_PER_SECOND
}

export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /VmRSS:\s+(\d+) kB/.exec(status)
  return match ? Number(match[1]) * 1024 : NaN
}

/**
 * CPU seconds of a process and every process below it (PostgreSQL runs a backend per
 * connection under its postmaster), including children that have exited and been reaped.
 */
export function treeCpuSeconds(root: number): number {
  const parents = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {
      // The process ended while we looked.
    }
  }
  const inTree = (pid: number): boolean => {
    for (let current: number | undefined = pid, hops = 0; current !== undefined && current > 1 && hops < 64; hops++) {
      if (current === root) return true
      current = parents.get(current)
    }
    return false
  }
  let total = 0
  for (const pid of parents.keys()) {
    if (!inTree(pid)) continue
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const after = fields.slice(fields.lastIndexOf(')') + 2).split(' ')
      // utime, stime, and the reaped children's cutime, cstime.
      total += (Number(after[11]) + Number(after[12]) + Number(after[13]) + Number(after[14])) / TICKS_PER_SECOND
    } catch {
      // Ended meanwhile.
    }
  }
  return total
}

/** Child processes of `parent` whose command name starts with `name` (Chromium under Playwright, say). */
export function childrenNamed(parent: number, name: string): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === parent && comm.startsWith(name)) found.push(Number(entry))
    } catch {
      // The process ended while we looked.
    }
  }
  return found
}

/** The given processes and all their descendants. */
export function processTree(roots: readonly number[]): number[] {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const list = children.get(ppid) ?? []
      list.push(Number(entry))
      children.set(ppid, list)
    } catch {
      // The process ended while we looked.
    }
  }
  const result: number[] = []
  const queue = [...roots]
  while (queue.length > 0 && result.length < 10_000) {
    const pid = queue.shift()!
    result.push(pid)
    queue.push(...(children.get(pid) ?? []))
  }
  return result
}

/** Wake-ups (voluntary context switches) and read/write system calls of a process so far. */
export interface WakeCounts {
  readonly wakeups: number
  readonly reads: number
  readonly writes: number
}

export function wakeCounts(pid: number): WakeCounts {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const io = readFileSync(`/proc/${pid}/io`, 'utf8')
  const field = (text: string, pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? NaN)
  return {
    wakeups: field(status, /^voluntary_ctxt_switches:\s+(\d+)/m),
    reads: field(io, /^syscr: (\d+)/m),
    writes: field(io, /^syscw: (\d+)/m),
  }
}
