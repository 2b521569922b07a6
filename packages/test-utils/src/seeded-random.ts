/** A small deterministic PRNG in [0, 1], so a failing random-edit run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff
    return state / 0x7fffffff
  }
}
