import { useSyncExternalStore } from 'react'
import { EMPTY_STATS, type TextStats } from './text-stats'

/**
 * The text's title and counts, held outside React state: the parts of the page that show
 * them subscribe to what they show, so a new count renders the status bar, not the page.
 */
export class StatsStore {
  private stats: TextStats = EMPTY_STATS
  private readonly listeners = new Set<() => void>()

  readonly set = (stats: TextStats): void => {
    this.stats = stats
    for (const listener of this.listeners) listener()
  }

  readonly get = (): TextStats => this.stats

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}

/** One value derived from the stats; the component renders again only when it changes. */
export function useStat<T extends string | number | boolean>(store: StatsStore, select: (stats: TextStats) => T): T {
  return useSyncExternalStore(store.subscribe, () => select(store.get()))
}
