/** How long a warming room waits for its first peers' sync step 1 before building its Y.Doc. */
export const WARM_MS = 50

/**
 * When a room answering from stored bytes builds its Y.Doc: once every peer present has had
 * its answer (and the answers have left the socket buffers), or when the warm-up deadline
 * passes, whichever comes first. Building blocks the event loop; a large sync step 2 still in
 * a socket buffer would otherwise wait behind it.
 */
export class WarmUp {
  private timer: NodeJS.Timeout | null = null
  private answers = 0
  private deadline = 0

  constructor(
    private readonly sessions: ReadonlySet<{ readonly bufferedAmount: number }>,
    private readonly build: () => void,
  ) {}

  start(): void {
    this.deadline = performance.now() + WARM_MS
    this.timer = setTimeout(this.build, WARM_MS)
  }

  /** A peer's sync step 1 was answered from the stored bytes. */
  answered(): void {
    this.answers++
    if (this.answers >= this.sessions.size && this.timer) {
      clearTimeout(this.timer)
      this.timer = setTimeout(() => this.buildOnceSent(), 0)
    }
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private buildOnceSent(): void {
    const sending = [...this.sessions].some((s) => s.bufferedAmount > 0)
    if (sending && performance.now() < this.deadline) this.timer = setTimeout(() => this.buildOnceSent(), 1)
    else this.build()
  }
}
