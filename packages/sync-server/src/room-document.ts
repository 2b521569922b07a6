import * as Y from 'yjs'
import { ProtocolError, encodeSyncStep2 } from './protocol.js'
import { PolicyViolation } from './policy-violation.js'
import { insertsContent, type DecodedUpdate } from './update-effect.js'
import { MAX_TYPE_DEPTH, nestingExceeds } from './type-nesting.js'

/** Origin of the transaction that builds the document from storage: never stored again. */
const FROM_STORAGE = Symbol('from-storage')

/** State vectors up to this size are answered whatever they list. */
const MAX_PLAIN_STATE_VECTOR_BYTES = 65_536

/** Shared by every complete integration; never mutated. */
const NOTHING: readonly Uint8Array[] = Object.freeze([])

export interface Integration {
  /** What the update changed, as updates to store and relay. */
  readonly changes: Uint8Array[]
  /** Yjs threw part-way; `changes` holds what integrated before, which is consistent. */
  readonly failure: Error | null
  /** Part of the update built on content the document lacks; that part was dropped. */
  readonly incomplete: boolean
  /** That part (V1 updates), for a caller that expects the missing content to arrive later. */
  readonly unapplied: readonly Uint8Array[]
}

/**
 * A room's Y.Doc and what serving it costs: the encoded state cached while unchanged (most
 * joiners need exactly that), a bound on its size, the checks an update passes before it
 * applies, and capturing what an update changed.
 */
export class RoomDocument {
  readonly doc = new Y.Doc({ gc: true })
  private capture: Uint8Array[] | null = null
  /** The whole document as one update: stored bytes while not built, then the doc's encoding. */
  private encoded: Uint8Array | null = null
  private step2ForEmpty: Uint8Array | null = null
  /**
   * An upper bound of the encoded document's size: exact after load or a re-measure, then
   * grown by each stored change. Re-measured only when it nears the cap.
   */
  private sizeBound = 0

  constructor(
    /** Refuse updates that would grow the encoded document past this; 0 = no cap. */
    private readonly maxBytes: number,
    /** Told of a change no peer update explains (it cannot be stored). */
    private readonly onStrayChange: () => void,
  ) {
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === FROM_STORAGE) return
      if (this.capture) this.capture.push(update)
      else this.onStrayChange()
    })
  }

  /** The stored bytes of a document not built yet; joiners can be answered from them. Throws on garbage. */
  setStored(updates: readonly Uint8Array[]): void {
    for (const update of updates) this.sizeBound += update.byteLength
    if (updates.length > 0) this.encoded = updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates as Uint8Array[])
  }

  get hasStored(): boolean {
    return this.encoded !== null
  }

  /** Builds the Y.Doc from the stored bytes. Throws when they do not apply. */
  build(): void {
    if (this.encoded) Y.applyUpdate(this.doc, this.encoded, FROM_STORAGE)
  }

  /** Refuses what the room will not take, before any of it applies (PolicyViolation). */
  check(decoded: DecodedUpdate, bytes: number): void {
    const cap = this.maxBytes
    // Deletions never grow a document, and must stay possible for one already over the cap.
    if (cap > 0 && this.sizeBound + bytes > cap && insertsContent(decoded)) {
      this.sizeBound = this.state().byteLength
      if (this.sizeBound + bytes > cap) throw new PolicyViolation('document-too-large', `update refused: the document would grow past ${cap} bytes`)
    }
    if (nestingExceeds(this.doc, decoded))
      throw new PolicyViolation('update-refused', `update refused: shared types nested deeper than ${MAX_TYPE_DEPTH} levels`)
  }

  /**
   * Applies an update and returns what it changed, which is not yet stored nor relayed.
   *
   * Yjs keeps what it cannot integrate yet (structs after a gap in a client's clock, deletions
   * of ranges it has not seen) as pending state, sends it to every joiner and writes it into
   * snapshots. Peers of one server never need that (the server has everything they build on),
   * so it is dropped here and the update reported as incomplete. If Yjs throws, its transaction
   * still ends: what integrated before the throw is in `changes` and consistent.
   */
  integrate(update: Uint8Array, origin: unknown): Integration {
    const captured: Uint8Array[] = []
    let failure: Error | null = null
    this.capture = captured
    try {
      Y.applyUpdate(this.doc, update, origin)
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error))
    } finally {
      this.capture = null
    }
    const store = this.doc.store
    const incomplete = store.pendingStructs !== null || store.pendingDs !== null
    // Only on the rare incomplete update: this runs for every edit.
    const unapplied = incomplete
      ? [store.pendingStructs?.update, store.pendingDs].filter((part): part is Uint8Array => part != null).map(Y.convertUpdateFormatV2ToV1)
      : NOTHING
    store.pendingStructs = null
    store.pendingDs = null
    for (const change of captured) this.sizeBound += change.byteLength
    if (captured.length > 0 || incomplete || failure) {
      this.encoded = null
      this.step2ForEmpty = null
    }
    return { changes: captured, failure, incomplete, unapplied }
  }

  /** The sync step 2 answering a peer's state vector; `built` false answers from the stored bytes. */
  step2For(stateVector: Uint8Array, built: boolean): Uint8Array {
    // A state vector is a few bytes per client that ever wrote; one listing far more clients
    // than the document has only makes the diff expensive.
    if (stateVector.byteLength > MAX_PLAIN_STATE_VECTOR_BYTES && stateVector.byteLength > 24 * (this.doc.store.clients.size + 16)) {
      throw new PolicyViolation('update-refused', `state vector of ${stateVector.byteLength} bytes lists far more clients than this document has`)
    }
    if (stateVector.length === 1 && stateVector[0] === 0) return (this.step2ForEmpty ??= encodeSyncStep2(this.state()))
    try {
      // A returning peer lacks little: the Y.Doc finds that without a scan.
      return encodeSyncStep2(built ? Y.encodeStateAsUpdate(this.doc, stateVector) : Y.diffUpdate(this.state(), stateVector))
    } catch (error) {
      throw new ProtocolError(`invalid state vector: ${(error as Error).message}`)
    }
  }

  /** The whole document as one update (cached while unchanged). */
  state(): Uint8Array {
    return (this.encoded ??= Y.encodeStateAsUpdate(this.doc))
  }

  stateVector(): Uint8Array {
    return Y.encodeStateVector(this.doc)
  }

  destroy(): void {
    this.doc.destroy()
  }
}
