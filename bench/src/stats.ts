export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

export function median(values: readonly number[]): number {
  return percentile(values, 50)
}

/** Spread of repeated runs, as (max - min) / median: the noise figure quoted beside a median. */
export function spread(values: readonly number[]): number {
  if (values.length < 2) return 0
  const m = median(values)
  return m === 0 ? 0 : (Math.max(...values) - Math.min(...values)) / Math.abs(m)
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls `predicate` until true or the deadline; returns whether it became true. */
export async function until(predicate: () => boolean, timeoutMs: number, intervalMs = 2): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  while (!predicate()) {
    if (performance.now() > deadline) return false
    await sleep(intervalMs)
  }
  return true
}
