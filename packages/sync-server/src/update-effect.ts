import * as Y from 'yjs'
import { ProtocolError } from './protocol.js'

export type DecodedUpdate = ReturnType<typeof Y.decodeUpdate>

/** Whether the update carries content (not only deletions). */
export function insertsContent(decoded: DecodedUpdate): boolean {
  return decoded.structs.some((struct) => !(struct instanceof Y.Skip))
}

/** Whether the update holds structs past what the document has (new content, not only deletions). */
export function addsStructs(doc: Y.Doc, decoded: DecodedUpdate): boolean {
  for (const struct of decoded.structs) {
    if (struct instanceof Y.Skip) continue
    if (struct.id.clock + struct.length > Y.getState(doc.store, struct.id.client)) return true
  }
  return false
}

/** Decodes a whole update first: Y.applyUpdate integrates as it decodes, so garbage would be half-applied. */
export function decodeOrRefuse(update: Uint8Array): DecodedUpdate {
  try {
    return Y.decodeUpdate(update)
  } catch (error) {
    throw new ProtocolError(`invalid Yjs update: ${(error as Error).message}`)
  }
}
