import * as Y from 'yjs'

export type DecodedUpdate = ReturnType<typeof Y.decodeUpdate>

/** Whether the update carries content (not only deletions). */
export function insertsContent(decoded: DecodedUpdate): boolean {
  return decoded.structs.some((struct) => !(struct instanceof Y.Skip))
}

/**
 * Whether applying the update would change the document: it holds structs past what the
 * document has, or deletes something the document has not deleted. A peer's answer to sync
 * step 1 always carries its whole delete set, so "not empty" is not the same as "changes".
 */
export function wouldChange(doc: Y.Doc, decoded: DecodedUpdate): boolean {
  for (const struct of decoded.structs) {
    if (struct instanceof Y.Skip) continue
    if (struct.id.clock + struct.length > Y.getState(doc.store, struct.id.client)) return true
  }
  if (decoded.ds.clients.size === 0) return false
  const deleted = Y.createDeleteSetFromStructStore(doc.store).clients
  for (const [client, ranges] of decoded.ds.clients) {
    const known = deleted.get(client) ?? []
    for (const { clock, len } of ranges) {
      // The store's delete set is sorted and merged, so one of its ranges covers this one if any does.
      if (!known.some((range) => range.clock <= clock && clock + len <= range.clock + range.len)) return true
    }
  }
  return false
}
