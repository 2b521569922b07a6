import { readFileSync, readdirSync } from 'node:fs'

const TICKS_PER_SECOND = 100

/** User + system CPU seconds of a process, read from /proc (never from inside it). */
export function cpuSeconds(pid: number): number {
  const fields = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return (utime + stime) / TICKS_PER_SECOND
}

/**
 * CPU seconds of a process's running threads in nanoseconds' precision (the scheduler's own
 * count, /proc/<pid>/task/<tid>/schedstat), where `cpuSeconds` counts 10 ms ticks: for a
 * difference of a few hundred µs per edit over a few hundred edits. Threads that ended are
 * not counted (a Node or Redis process keeps its threads).
 */
export function preciseCpuSeconds(pid: number): number {
  let nanoseconds = 0
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      nanoseconds += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      // The thread ended while we looked.
    }
  }
  return nanoseconds / 1e9
}

export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /VmRSS:\s+(\d+) kB/.exec(status)
  return match ? Number(match[1]) * 1024 : NaN
}

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
}

/** Every running process with its parent and command name, as /proc lists them now. */
function processes(): Array<{ pid: number; ppid: number; comm: string }> {
  const found: Array<{ pid: number; ppid: number; comm: string }> = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      found.push({ pid: Number(entry), ppid: Number(statFields(stat)[1]), comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) })
    } catch {
      // The process ended while we looked.
    }
  }
  return found
}

/**
 * CPU seconds of a process and every process below it (PostgreSQL runs a backend per
 * connection under its postmaster), including children that have exited and been reaped.
 */
export function treeCpuSeconds(root: number): number {
  let total = 0
  for (const pid of processTree([root])) {
    try {
      const after = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'))
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
  return processes()
    .filter((p) => p.ppid === parent && p.comm.startsWith(name))
    .map((p) => p.pid)
}

/** The given processes and all their descendants. */
export function processTree(roots: readonly number[]): number[] {
  const children = new Map<number, number[]>()
  for (const { pid, ppid } of processes()) children.set(ppid, [...(children.get(ppid) ?? []), pid])
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

/** What happened between two readings of wakeCounts. */
export function wakesBetween(before: WakeCounts, after: WakeCounts): WakeCounts {
  return { wakeups: after.wakeups - before.wakeups, reads: after.reads - before.reads, writes: after.writes - before.writes }
}

/** CPU seconds of the Chromium that Playwright started (this process's chromium children and theirs). */
export function browserCpuSeconds(): number {
  return childrenNamed(process.pid, 'chrom').reduce((sum, pid) => sum + treeCpuSeconds(pid), 0)
}

/** BENCH_CPU_DETAIL=1: CPU seconds per Chromium process (renderers by client id), to say whose the CPU per key is. */
export function browserCpuByProcess(): Map<string, number> {
  const result = new Map<string, number>()
  if (!process.env.BENCH_CPU_DETAIL) return result
  for (const pid of processTree(childrenNamed(process.pid, 'chrom'))) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/)
      const type = args.find((a) => a.startsWith('--type='))?.slice(7) ?? 'browser'
      const client = args.find((a) => a.startsWith('--renderer-client-id='))?.split('=')[1] ?? ''
      result.set(`${type}${client} ${pid}`, cpuSeconds(pid))
    } catch {
      // Ended meanwhile.
    }
  }
  return result
}
