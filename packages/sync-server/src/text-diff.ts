import fastDiff from 'fast-diff'

export interface DiffOp {
  readonly op: 'equal' | 'insert' | 'delete'
  readonly text: string
}

const OPS = { [-1]: 'delete', 0: 'equal', 1: 'insert' } as const

/** Past this many distinct lines the line pass cannot encode them as one character each. */
const MAX_LINES = 60_000
/** Replaced blocks up to this size are compared character by character. */
const REFINE_LIMIT = 20_000

/**
 * What changed from `before` to `after`: lines first (fast on big texts), then the replaced
 * blocks character by character, so a fixed typo shows as one letter, not a whole line.
 */
export function diffTexts(before: string, after: string): DiffOp[] {
  const coarse = lineDiff(before, after) ?? fastDiff(before, after, undefined, true)
  const ops: DiffOp[] = []
  for (let i = 0; i < coarse.length; i++) {
    const [kind, text] = coarse[i]!
    const next = coarse[i + 1]
    if (kind === -1 && next?.[0] === 1 && text.length + next[1].length <= REFINE_LIMIT) {
      for (const [k, t] of fastDiff(text, next[1], undefined, true)) push(ops, OPS[k], t)
      i++
      continue
    }
    push(ops, OPS[kind], text)
  }
  return ops
}

function push(ops: DiffOp[], op: DiffOp['op'], text: string): void {
  if (!text) return
  const last = ops[ops.length - 1]
  if (last?.op === op) ops[ops.length - 1] = { op, text: last.text + text }
  else ops.push({ op, text })
}

/** Diffs the texts as sequences of lines (each line stood for by one character); null when there are too many. */
function lineDiff(before: string, after: string): fastDiff.Diff[] | null {
  const codes = new Map<string, string>()
  const lines: string[] = []
  const encode = (text: string): string | null => {
    let out = ''
    for (const line of text.match(/[^\n]*\n|[^\n]+$/g) ?? []) {
      let code = codes.get(line)
      if (code === undefined) {
        if (lines.length >= MAX_LINES) return null
        // Skip the surrogate range: a lone surrogate would be split by the diff.
        const n = lines.length + 1
        code = String.fromCharCode(n < 0xd800 ? n : n + 0x800)
        codes.set(line, code)
        lines.push(line)
      }
      out += code
    }
    return out
  }
  const a = encode(before)
  const b = a === null ? null : encode(after)
  if (a === null || b === null) return null
  return fastDiff(a, b).map(([kind, text]) => [kind, [...text].map((c) => lines[decodeIndex(c.charCodeAt(0))]!).join('')])
}

function decodeIndex(code: number): number {
  return (code < 0xd800 ? code : code - 0x800) - 1
}
