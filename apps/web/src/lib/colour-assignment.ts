/** What the colour choice needs to know of someone present. */
export interface PresentPerson {
  readonly clientId: number
  /** Tabs of one browser are one person: they never compete for a colour. */
  readonly browser: string | null
  readonly color: string
  /** When their session started; earlier sessions keep their colour. */
  readonly joinedAt: number
}

/**
 * The colour to wear: your own choice, unless someone who came before you (and is not you in
 * another tab) wears it and a colour nobody before you wears is left. Everyone applies the same
 * rule to what they all see, so people joining at once settle on distinct colours without
 * talking: the first keeps theirs, the second avoids the first's, and so on.
 */
export function colourToWear(
  me: Omit<PresentPerson, 'color'> & { readonly preferred: string },
  others: readonly PresentPerson[],
  palette: readonly string[],
): string {
  const earlier = others.filter(
    (other) =>
      other.clientId !== me.clientId &&
      (me.browser === null || other.browser !== me.browser) &&
      (other.joinedAt < me.joinedAt || (other.joinedAt === me.joinedAt && other.clientId < me.clientId)),
  )
  const taken = new Set(earlier.map((other) => other.color.toLowerCase()))
  if (!taken.has(me.preferred.toLowerCase())) return me.preferred
  // Start looking after your own choice, so people who all chose one colour spread out.
  const start = Math.max(0, palette.indexOf(me.preferred))
  for (let i = 1; i <= palette.length; i++) {
    const candidate = palette[(start + i) % palette.length]!
    if (!taken.has(candidate)) return candidate
  }
  return me.preferred
}

/** Colours worn by others present (not this browser's tabs), for the name dialog to mark. */
export function coloursInUse(others: readonly PresentPerson[], browser: string | null): Map<string, string> {
  return new Map(others.filter((o) => browser === null || o.browser !== browser).map((o) => [o.color.toLowerCase(), String(o.clientId)]))
}
