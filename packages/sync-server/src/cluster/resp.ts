/** A Redis reply (RESP2): bulk strings stay bytes, so stream entries are never decoded as text. */
export type RespValue = Buffer | number | null | RespError | RespValue[]

/** An error reply (`-ERR …`): a value, not a thrown error, so one bad answer does not end the parse. */
export class RespError extends Error {}

const CRLF = Buffer.from('\r\n')

/** One command as a single buffer: one write, one system call. */
export function encodeCommand(args: ReadonlyArray<string | Uint8Array>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)]
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg) : Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength)
    parts.push(Buffer.from(`$${bytes.byteLength}\r\n`), bytes, CRLF)
  }
  return Buffer.concat(parts)
}

/** Thrown inside the parser when the buffer ends mid-reply: the rest comes with the next chunk. */
const INCOMPLETE = Symbol('incomplete')

/**
 * Reads replies out of the bytes a connection receives, however they are cut into chunks.
 * A reply cut short is parsed again from its start once more bytes arrive; replies here are
 * small (one XREAD of at most a few hundred entries), so that costs little.
 */
export class RespParser {
  private buffer: Buffer = Buffer.alloc(0)
  private offset = 0

  /** The replies completed by this chunk, in order. Throws on bytes that are not RESP. */
  feed(chunk: Buffer): RespValue[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
    const replies: RespValue[] = []
    for (;;) {
      const start = this.offset
      if (start >= this.buffer.length) break
      try {
        replies.push(this.value())
      } catch (error) {
        if (error !== INCOMPLETE) throw error
        this.offset = start
        break
      }
    }
    this.buffer = this.offset >= this.buffer.length ? Buffer.alloc(0) : this.buffer.subarray(this.offset)
    this.offset = 0
    return replies
  }

  private line(): string {
    const end = this.buffer.indexOf(CRLF, this.offset)
    if (end < 0) throw INCOMPLETE
    const text = this.buffer.toString('latin1', this.offset + 1, end)
    this.offset = end + 2
    return text
  }

  private value(): RespValue {
    const type = this.buffer[this.offset]
    const text = this.line()
    switch (type) {
      case 0x2b: // +
        return Buffer.from(text, 'latin1')
      case 0x2d: // -
        return new RespError(text)
      case 0x3a: // :
        return Number(text)
      case 0x5f: // _ (RESP3 null, should a server answer with it)
        return null
      case 0x24: {
        // $
        const length = Number(text)
        if (length < 0) return null
        if (this.offset + length + 2 > this.buffer.length) throw INCOMPLETE
        const bytes = this.buffer.subarray(this.offset, this.offset + length)
        this.offset += length + 2
        return bytes
      }
      case 0x2a: {
        // *
        const count = Number(text)
        if (count < 0) return null
        const items: RespValue[] = []
        for (let i = 0; i < count; i++) items.push(this.value())
        return items
      }
      default:
        throw new Error(`unexpected byte ${String(type)} in a redis reply`)
    }
  }
}
