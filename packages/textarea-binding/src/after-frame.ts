/**
 * Runs `work` in a task queued from the next animation frame callback: once that frame is
 * painted, so the frame that shows a keystroke does not wait for it. Returns a cancel.
 */
export function afterNextFrame(work: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null
  const frame = requestAnimationFrame(() => {
    timer = setTimeout(work)
  })
  return () => {
    cancelAnimationFrame(frame)
    if (timer !== null) clearTimeout(timer)
  }
}
