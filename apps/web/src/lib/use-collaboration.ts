import { useEffect, useState } from 'react'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { IndexeddbPersistence } from 'y-indexeddb'
import type { Awareness } from 'y-protocols/awareness'
import { CLOSE, isRevokedClose, tokenProtocols } from '@coedit/wire'
import { COLORS, browserId } from './identity'
import { colourToWear, type PresentPerson } from './colour-assignment'
import { syncServerUrl } from './sync-url'
import { apiBase } from './access-api'
import { writeLocalBehindFrame } from './local-store-behind-frame'
import type { Identity } from './identity'

export type ConnectionStatus = 'connecting' | 'connected' | 'offline'

export interface Collaboration {
  readonly doc: Y.Doc
  readonly text: Y.Text
  readonly provider: WebsocketProvider
  readonly awareness: Awareness
}

export interface CollaborationState {
  readonly session: Collaboration | null
  readonly status: ConnectionStatus
  /** Set when the server refuses the document (it could not load it, or closed us with a reason). */
  readonly problem: string | null
  /** The local copy (IndexedDB) or the server has delivered the document. */
  readonly loaded: boolean
  /** The token the server closed us for because it was revoked (it will keep refusing, so we stopped trying); null otherwise. */
  readonly revokedToken: string | null
  /** Someone deleted the document: it is gone from the server, and this browser's copy was dropped. */
  readonly deleted: boolean
  /** The server never stored this document and this browser has no copy of it: a mistyped or cut link. */
  readonly missing: boolean
  /** After the document was created (Create it): connect and edit as usual. */
  readonly resume: () => void
}

/** Close codes after which the server will keep refusing for a while; the provider still retries. */
const REFUSALS: Record<number, string> = {
  [CLOSE.policy]: 'The server closed this connection.',
  [CLOSE.serverError]: 'The server could not load this document. Your edits are kept on this device and will be sent when it can.',
}

/**
 * One document's shared state: a Y.Doc kept in IndexedDB (so it survives reloads offline)
 * and synced through the stock y-websocket provider; presence carries name and colour.
 */
export function useCollaboration(id: string | null, identity: Identity, token: string | null = null): CollaborationState {
  const [session, setSession] = useState<Collaboration | null>(null)
  const [status, setStatus] = useState<ConnectionStatus>('connecting')
  const [problem, setProblem] = useState<string | null>(null)
  const [loaded, setLoaded] = useState(false)
  const [revokedToken, setRevokedToken] = useState<string | null>(null)
  const [deleted, setDeleted] = useState(false)
  const [missing, setMissing] = useState(false)
  const [resume, setResume] = useState<() => void>(() => () => {})

  useEffect(() => {
    if (!id) return
    const doc = new Y.Doc()
    const local = new IndexeddbPersistence(`coedit:${id}`, doc)
    const localWrites = writeLocalBehindFrame(local, doc)
    // The token rides in a subprotocol rather than the URL, so it stays out of access logs.
    const protocols = token ? tokenProtocols(token) : []
    const provider = new WebsocketProvider(syncServerUrl(), id, doc, { connect: navigator.onLine, protocols })
    const awareness = provider.awareness
    let disposed = false

    const onStatus = ({ status: next }: { status: 'connected' | 'connecting' | 'disconnected' }): void => {
      if (next === 'connected') setProblem(null)
      // Between attempts the provider reports 'disconnected', but it is still trying: only the
      // browser being offline makes this "offline".
      setStatus(!navigator.onLine ? 'offline' : next === 'connected' ? 'connected' : 'connecting')
    }
    // Deleted for good: stop trying, and drop the local copy so it cannot bring the document back.
    const gone = (): void => {
      if (disposed) return
      provider.disconnect()
      localWrites.cancel()
      void local.clearData()
      setDeleted(true)
    }
    // A deleted document refuses the upgrade with 410, which a WebSocket cannot see: ask when
    // opening, and again (at most every 10 s) while connecting fails, e.g. back from offline.
    let askedAt = 0
    const askIfDeleted = (): void => {
      if (disposed || Date.now() - askedAt < 10_000) return
      askedAt = Date.now()
      void fetch(`${apiBase()}/api/docs/${encodeURIComponent(id)}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })
        .then(async (response) => {
          if (response.status === 410) gone()
          if (response.status !== 404) return
          // Never stored there: unless this browser holds a copy (made offline), say so rather
          // than open an empty document nobody meant to make.
          await local.whenSynced
          if (disposed || doc.getText('text').length > 0) return
          provider.disconnect()
          setMissing(true)
        })
        .catch(() => {})
    }
    askIfDeleted()
    const onClose = (event: CloseEvent | null): void => {
      if (!event || event.code === 1006) askIfDeleted()
      if (event?.code === CLOSE.deleted) {
        gone()
        return
      }
      if (event && isRevokedClose(event.code, event.reason)) {
        provider.disconnect()
        setRevokedToken(token)
        return
      }
      const refusal = event ? REFUSALS[event.code] : undefined
      if (refusal) setProblem(event?.reason ? `${refusal} (${event.reason})` : refusal)
    }
    const onSync = (synced: boolean): void => {
      if (synced) setLoaded(true)
    }
    // The browser knows first when the network is gone; a socket can look open for a while.
    const goOffline = (): void => {
      provider.disconnect()
      setStatus('offline')
    }
    const goOnline = (): void => {
      // Whatever happened meanwhile (a deletion, say), the next failed connect asks at once.
      askedAt = 0
      setStatus('connecting')
      provider.connect()
    }
    provider.on('status', onStatus)
    provider.on('connection-close', onClose)
    provider.on('sync', onSync)
    window.addEventListener('offline', goOffline)
    window.addEventListener('online', goOnline)
    void local.whenSynced.then(() => {
      if (!disposed) setLoaded(true)
    })
    if (!navigator.onLine) setStatus('offline')

    setSession({ doc, text: doc.getText('text'), provider, awareness })
    setResume(() => () => {
      setMissing(false)
      provider.connect()
    })
    return () => {
      disposed = true
      window.removeEventListener('offline', goOffline)
      window.removeEventListener('online', goOnline)
      provider.off('status', onStatus)
      provider.off('connection-close', onClose)
      provider.off('sync', onSync)
      provider.destroy()
      localWrites.close()
      void local.destroy()
      doc.destroy()
      setSession(null)
      setLoaded(false)
      setProblem(null)
      setRevokedToken(null)
      setDeleted(false)
      setMissing(false)
      setStatus('connecting')
    }
  }, [id, token])

  // Presence follows the chosen name and colour without reconnecting; the colour gives way to
  // someone who came earlier and wears it, while a free one is left (see colourToWear).
  useEffect(() => {
    if (!session) return
    const awareness = session.awareness
    const browser = browserId()
    const joinedAt = Date.now()
    const wear = (): void => {
      const others: PresentPerson[] = []
      for (const [clientId, state] of awareness.getStates()) {
        const user = (state as { user?: { color?: unknown; browser?: unknown; joinedAt?: unknown } }).user
        if (clientId === awareness.clientID || typeof user?.color !== 'string') continue
        others.push({
          clientId,
          color: user.color,
          browser: typeof user.browser === 'string' ? user.browser : null,
          joinedAt: typeof user.joinedAt === 'number' ? user.joinedAt : 0,
        })
      }
      const color = colourToWear({ clientId: awareness.clientID, browser, joinedAt, preferred: identity.color }, others, COLORS)
      const current = (awareness.getLocalState() as { user?: { name?: unknown; color?: unknown } } | null)?.user
      if (current?.name !== identity.name || current.color !== color) awareness.setLocalStateField('user', { name: identity.name, color, browser, joinedAt })
    }
    wear()
    awareness.on('change', wear)
    return () => awareness.off('change', wear)
  }, [session, identity.name, identity.color])

  return { session, status, problem, loaded, revokedToken, deleted, missing, resume }
}
