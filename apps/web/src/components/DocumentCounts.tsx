import { useStat, type StatsStore } from '../lib/stats-store'

/** The status bar's counts: the only part of the page that renders when they change. */
export function DocumentCounts({ stats }: { stats: StatsStore }) {
  const characters = useStat(stats, (s) => s.characters)
  const words = useStat(stats, (s) => s.words)
  return (
    <footer className="statusbar" aria-label="Document statistics">
      <span data-testid="char-count">{characters.toLocaleString()} characters</span>
      <span aria-hidden="true">·</span>
      <span data-testid="word-count">
        {words.toLocaleString()} {words === 1 ? 'word' : 'words'}
      </span>
    </footer>
  )
}
