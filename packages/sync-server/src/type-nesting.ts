import * as Y from 'yjs'
import type { DecodedUpdate } from './update-effect.js'

/**
 * Deepest nesting of shared types (a Y.Map in a Y.Map in ...) a room accepts. Yjs pays for
 * depth on every change below it (and deleting the root of a deep chain overflows its stack);
 * the editor uses one Y.Text, and real documents nest a handful of levels.
 */
export const MAX_TYPE_DEPTH = 32

/**
 * Whether an update would put a shared type deeper than `limit`, found before applying it.
 * A struct names its parent type directly, or only through its left or right neighbour: the
 * neighbour is looked up in the update itself or in the document, iteratively (chains of
 * neighbours can be long), and parents are followed at most `limit` levels up.
 */
export function nestingExceeds(doc: Y.Doc, decoded: DecodedUpdate, limit = MAX_TYPE_DEPTH): boolean {
  const items = decoded.structs.filter((struct): struct is Y.Item => struct instanceof Y.Item)
  if (!items.some((item) => item.content instanceof Y.ContentType)) return false
  const byClient = new Map<number, Y.Item[]>()
  for (const item of items) {
    let list = byClient.get(item.id.client)
    if (!list) byClient.set(item.id.client, (list = []))
    list.push(item)
  }
  for (const list of byClient.values()) list.sort((a, b) => a.id.clock - b.id.clock)

  const find = (id: Y.ID): Y.Item | null => {
    const list = byClient.get(id.client)
    if (list) {
      let low = 0
      let high = list.length - 1
      while (low <= high) {
        const mid = (low + high) >> 1
        const item = list[mid]!
        if (id.clock < item.id.clock) high = mid - 1
        else if (id.clock >= item.id.clock + item.length) low = mid + 1
        else return item
      }
    }
    if (id.clock >= Y.getState(doc.store, id.client)) return null
    const struct = Y.getItem(doc.store, id)
    return struct instanceof Y.Item ? struct : null
  }

  /** Depth of the type an item lives in (0: a root type), memoized along each walk. */
  const memo = new Map<Y.Item, number>()
  const parentDepth = (start: Y.Item, budget: number): number => {
    const path: Y.Item[] = []
    let current: Y.Item | null = start
    let depth = 0
    while (current) {
      const known = memo.get(current)
      if (known !== undefined) {
        depth = known
        break
      }
      path.push(current)
      const parent: unknown = current.parent
      if (typeof parent === 'string' || parent === null || parent === undefined) {
        if (parent !== null) break // a root type, or nothing known
        const neighbour: Y.ID | null = current.origin ?? current.rightOrigin
        current = neighbour ? find(neighbour) : null
        continue
      }
      if (parent instanceof Y.ID) {
        const owner = find(parent)
        depth = owner && budget > 0 ? 1 + parentDepth(owner, budget - 1) : 0
        break
      }
      depth = integratedDepth(parent as Y.AbstractType<unknown>, limit + 1)
      break
    }
    for (const item of path) memo.set(item, depth)
    return depth
  }

  for (const item of items) {
    if (item.content instanceof Y.ContentType && parentDepth(item, limit) + 1 > limit) return true
  }
  return false
}

/** How deep an integrated type sits, counting at most `cap` levels. */
function integratedDepth(type: Y.AbstractType<unknown>, cap: number): number {
  let depth = 0
  let current: Y.AbstractType<unknown> | null = type
  while (current?._item && depth < cap) {
    depth++
    current = current._item.parent as Y.AbstractType<unknown> | null
  }
  return depth
}
