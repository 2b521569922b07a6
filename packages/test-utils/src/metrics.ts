/** Reads a Prometheus sample from a running server's /metrics. */
export async function readMetric(httpUrl: string, name: string, labels?: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text()
  let total = 0
  let found = false
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    if (labels) {
      const set = match[2] ?? ''
      if (!Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) continue
    }
    total += Number(match[3])
    found = true
  }
  if (!found && !labels) throw new Error(`metric ${name} not found`)
  return total
}
