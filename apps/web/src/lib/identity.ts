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
/** Saturated enough to read a white label on, distinct from each other and from the UI accent. */
export const COLORS = ['#d1495b', '#e07a1f', '#c99700', '#4f9d2d', '#1f9e89', '#2d7dd2', '#5b5bd6', '#9c4dcc', '#c2417f', '#6d6875']

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
    if (stored && typeof stored.name === 'string' && stored.name.trim() && typeof stored.color === 'string') return { name: stored.name, color: stored.color }
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
