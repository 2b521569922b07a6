const UNITS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 }

/** '90s', '30m', '12h', '7d', '2w' to seconds; null when the text is not one of those. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+)\s*([smhdw])$/.exec(text.trim())
  if (!match) return null
  const seconds = Number(match[1]) * UNITS[match[2]!]!
  return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : null
}

/** The largest whole unit up to days ('7d', not '1w': days are what people and the README say). */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of Object.entries(UNITS).reverse()) if (unit !== 'w' && seconds % size === 0) return `${seconds / size}${unit}`
  return `${seconds}s`
}
