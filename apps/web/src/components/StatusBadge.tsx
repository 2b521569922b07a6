import type { ConnectionStatus } from '../lib/use-collaboration'

const LABELS: Record<ConnectionStatus, { text: string; hint: string }> = {
  connected: { text: 'Connected', hint: 'Changes are shared as you type' },
  connecting: { text: 'Connecting…', hint: 'Your edits are kept on this device until the connection is back' },
  offline: { text: 'Offline', hint: 'Keep writing: edits are saved on this device and merged when you are back online' },
}

export function StatusBadge({ status }: { status: ConnectionStatus }) {
  const label = LABELS[status]
  return (
    <span className={`status status-${status}`} role="status" aria-live="polite" title={label.hint} data-testid="status" data-status={status}>
      <span className="status-dot" aria-hidden="true" />
      {label.text}
    </span>
  )
}
