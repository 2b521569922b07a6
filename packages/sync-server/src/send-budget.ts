import { CLOSE } from '@coedit/wire'
import type { Logger } from 'pino'
import type { Session } from './session.js'

export interface SendBudget {
  /** Unsent bytes all sessions from one address may hold; 0 = no budget. */
  readonly perAddress: number
  /** Unsent bytes all sessions together may hold; 0 = no budget. */
  readonly total: number
}

/**
 * Peers that never read pin what is queued for them; each stays under its own cap, but many
 * together could exhaust memory. Past a budget (per address, then server-wide) the sessions
 * holding the most unsent bytes are dropped first. Returns how many were dropped.
 */
export function enforceSendBudget(sessions: ReadonlySet<Session>, budget: SendBudget, log: Logger): number {
  let dropped = 0
  if (budget.perAddress > 0) {
    const byAddress = new Map<string, Session[]>()
    for (const session of sessions) {
      const list = byAddress.get(session.address)
      if (list) list.push(session)
      else byAddress.set(session.address, [session])
    }
    for (const [address, held] of byAddress)
      dropped += dropGreediest(held, budget.perAddress, `the send budget of ${budget.perAddress} bytes for ${address}`, log)
  }
  if (budget.total > 0) dropped += dropGreediest(sessions, budget.total, `the server's send budget of ${budget.total} bytes`, log)
  return dropped
}

function dropGreediest(sessions: Iterable<Session>, budget: number, what: string, log: Logger): number {
  const open = [...sessions].filter((session) => session.isOpen)
  let unsent = 0
  for (const session of open) unsent += session.bufferedAmount
  if (unsent <= budget) return 0
  let dropped = 0
  for (const session of open.sort((a, b) => b.bufferedAmount - a.bufferedAmount)) {
    if (unsent <= budget) break
    unsent -= session.bufferedAmount
    session.terminate('backpressure', CLOSE.policy, `${what} is spent; this connection held the most unsent data`)
    dropped++
  }
  log.warn({ dropped, budget: what }, 'unsent bytes over budget; dropped the connections holding the most')
  return dropped
}
