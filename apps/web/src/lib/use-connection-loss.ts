import { useEffect, useState } from 'react'
import type { Collaboration, ConnectionStatus } from './use-collaboration'

/** A blip of reconnecting is not worth a banner; this long without the server is. */
export const LOST_AFTER_MS = 2_000

export interface ConnectionLoss {
  /** The server has been away for LOST_AFTER_MS or more. */
  readonly lost: boolean
  /** Edits made here since the connection went, kept on this device until it is back. */
  readonly waiting: number
}

/** Whether the connection is lost (after a grace period) and how many edits wait to be sent. */
export function useConnectionLoss(session: Collaboration | null, status: ConnectionStatus): ConnectionLoss {
  const [lost, setLost] = useState(false)
  const [waiting, setWaiting] = useState(0)
  const away = status !== 'connected'

  useEffect(() => {
    if (!away) {
      setLost(false)
      setWaiting(0)
      return
    }
    const timer = setTimeout(() => setLost(true), LOST_AFTER_MS)
    return () => clearTimeout(timer)
  }, [away])

  useEffect(() => {
    if (!session || !away) return
    // Local transactions (typing, undo, a restore) count; what IndexedDB or the server applies does not.
    const count = (transaction: { local: boolean; changed: Map<unknown, unknown> }): void => {
      if (transaction.local && transaction.changed.size > 0) setWaiting((n) => n + 1)
    }
    session.doc.on('afterTransaction', count)
    return () => session.doc.off('afterTransaction', count)
  }, [session, away])

  return { lost, waiting }
}
