export interface Identity {
  readonly name: string
  readonly color: string
}

const ADJECTIVES = [
  'Amber',
  'Brisk',
  'Calm',
  'Clever',
  'Curious',
  'Gentle',
  'Golden',
  'Happy',
  'Jolly',
  'Kind',
  'Lucky',
  'Mellow',
  'Nimble',
  'Quiet',
  'Sunny',
  'Swift',
  'Witty',
  'Zesty',
]
const ANIMALS = [
  'Otter',
  'Heron',
  'Fox',
  'Panda',
  'Lynx',
  'Robin',
  'Badger',
  'Koala',
  'Puffin',
  'Marten',
  'Wren',
  'Ibis',
  'Seal',
  'Hare',
  'Finch',
  'Moose',
  'Yak',
  'Gecko',
]
/**
 * People's colours: a white 11 px label on each reads at 5:1 or better (WCAG AA asks 4.5:1),
 * distinct from each other and from the UI accent, and named for screen readers.
 */
export const PALETTE = [
  { color: '#c62f3e', name: 'Red' },
  { color: '#b34f00', name: 'Orange' },
  { color: '#8a6a00', name: 'Gold' },
  { color: '#2e7d32', name: 'Green' },
  { color: '#00796b', name: 'Teal' },
  { color: '#1f6fc5', name: 'Blue' },
  { color: '#5151c8', name: 'Indigo' },
  { color: '#8e3fbf', name: 'Purple' },
  { color: '#b0306f', name: 'Pink' },
  { color: '#5f5a66', name: 'Slate' },
] as const
export const COLORS: readonly string[] = PALETTE.map((entry) => entry.color)

/** The palette before it was darkened for contrast: a colour stored from it becomes its successor. */
const EARLIER_PALETTE = ['#d1495b', '#e07a1f', '#c99700', '#4f9d2d', '#1f9e89', '#2d7dd2', '#5b5bd6', '#9c4dcc', '#c2417f', '#6d6875']

/** 'Red' for '#c62f3e'; a colour outside the palette is read out as it is. */
export function colorName(color: string): string {
  return PALETTE.find((entry) => entry.color === color.toLowerCase())?.name ?? color
}

const STORAGE_KEY = 'coedit:identity'

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!
}

export function randomIdentity(): Identity {
  return { name: `${pick(ADJECTIVES)} ${pick(ANIMALS)}`, color: pick(COLORS) }
}

/** This browser's name and colour: made up on first visit, then remembered. */
export function loadIdentity(): Identity {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as Partial<Identity> | null
    if (stored && typeof stored.name === 'string' && stored.name.trim() && typeof stored.color === 'string') {
      const earlier = EARLIER_PALETTE.indexOf(stored.color.toLowerCase())
      if (earlier === -1) return { name: stored.name, color: stored.color }
      const migrated = { name: stored.name, color: COLORS[earlier]! }
      saveIdentity(migrated)
      return migrated
    }
  } catch {
    // A corrupt entry is replaced below.
  }
  const identity = randomIdentity()
  saveIdentity(identity)
  return identity
}

export function saveIdentity(identity: Identity): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(identity))
  } catch {
    // Private browsing may refuse storage; the name then lasts for this page only.
  }
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean)
  return ((parts[0]?.[0] ?? '?') + (parts[1]?.[0] ?? '')).toUpperCase()
}

const BROWSER_KEY = 'coedit:browser'

/**
 * An id for this browser (kept in localStorage), published in presence so the tabs of one
 * person show once and keep one colour.
 */
export function browserId(): string {
  try {
    let id = localStorage.getItem(BROWSER_KEY)
    if (!id) {
      id = Array.from(crypto.getRandomValues(new Uint8Array(9)), (b) => b.toString(16).padStart(2, '0')).join('')
      localStorage.setItem(BROWSER_KEY, id)
    }
    return id
  } catch {
    return `tab-${Math.random().toString(36).slice(2)}`
  }
}
