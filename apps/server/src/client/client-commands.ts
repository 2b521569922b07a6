import { parseArgs } from 'node:util'
import { minimalEdit } from '@coedit/sync-server'
import { AddressError, parseDocAddress, type DocAddress } from './doc-address.js'
import { ClientError, DocConnection, EXIT_CODES } from './doc-connection.js'
import { printBlame, printHistory, restoreVersion } from './history-commands.js'

export const CLIENT_COMMANDS = ['cat', 'write', 'append', 'watch', 'history', 'blame', 'restore'] as const
export type ClientCommand = (typeof CLIENT_COMMANDS)[number]

export const CLIENT_HELP = `Usage: coedit cat <doc-url>       print the text
       coedit write <doc-url>     replace the text with standard input (one minimal edit)
       coedit append <doc-url>    add standard input at the end
       coedit watch <doc-url>     print one JSON line per change until interrupted
       coedit history <doc-url>   list the document's versions, newest first
       coedit blame <doc-url>     print the text, each line with who wrote it and when
       coedit restore <doc-url> <version-id>
                                  make the text that version's (everyone editing sees it)

<doc-url> is the document's link, as the editor shares it: http://host:port/d/<id>, with
#token=<token> on a server in token mode (or pass --token). The commands take part in the
document over its WebSocket like an editor does: others see a write at once, and a watcher
shows up among the people present.

  --token <token>      Access token (default: the link's #token=, else $COEDIT_TOKEN)
  --timeout-ms <ms>    Give up when the server has not answered in this long (default 10000)
  --name <name>        How a watcher is shown to others (default "coedit watch"); for restore,
                       who restored it (open mode; token mode records the token's name)
  --limit <n>          history: how many versions (default 50, at most 1000)
  --json               history, blame: one JSON object per line instead of a table
  --help               This text

watch prints {"at": "<ISO time>", "delta": [...Yjs text delta], "length": <characters>} per change.

Exit codes: 0 done · 1 failed · 2 bad usage · 3 refused (401/403, revoked, or a view-only
token asked to write) · 4 gone (no such document, or deleted: 404/410) · 5 unreachable or
busy · 6 timed out`

export interface ClientIo {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
  readonly readStdin: () => Promise<string>
  /** Resolves when the user interrupts (Ctrl+C): watch stops then. */
  readonly interrupted: Promise<void>
  readonly env: Readonly<Record<string, string | undefined>>
}

/** Runs one client command; returns the process exit code. */
export async function runClientCommand(command: ClientCommand, argv: readonly string[], io: ClientIo): Promise<number> {
  let values: { token?: string; 'timeout-ms'?: string; name?: string; help?: boolean; limit?: string; json?: boolean }
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        token: { type: 'string' },
        'timeout-ms': { type: 'string' },
        name: { type: 'string' },
        help: { type: 'boolean' },
        limit: { type: 'string' },
        json: { type: 'boolean' },
      },
    }))
  } catch (error) {
    io.stderr(`coedit ${command}: ${(error as Error).message}\n${CLIENT_HELP}\n`)
    return 2
  }
  if (values.help) {
    io.stdout(`${CLIENT_HELP}\n`)
    return 0
  }
  const wanted = command === 'restore' ? 2 : 1
  if (positionals.length !== wanted) {
    io.stderr(
      `coedit ${command}: ${wanted === 2 ? 'give a document link and a version id (see coedit history)' : 'give exactly one document link'}\n${CLIENT_HELP}\n`,
    )
    return 2
  }
  const limit = Number(values.limit ?? 50)
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    io.stderr(`coedit ${command}: --limit must be a whole number from 1 to 1000\n`)
    return 2
  }
  const timeoutMs = Number(values['timeout-ms'] ?? 10_000)
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    io.stderr(`coedit ${command}: --timeout-ms must be a positive number of milliseconds\n`)
    return 2
  }
  let address: DocAddress
  try {
    address = parseDocAddress(positionals[0]!, values.token ?? null)
    if (address.token === null && io.env.COEDIT_TOKEN) address = { ...address, token: io.env.COEDIT_TOKEN }
  } catch (error) {
    if (!(error instanceof AddressError)) throw error
    io.stderr(`coedit ${command}: ${error.message}\n`)
    return 2
  }
  try {
    if (command === 'watch') return await watch(address, { timeoutMs, name: values.name ?? 'coedit watch' }, io)
    if (command === 'history') return await printHistory(address, { timeoutMs, limit, json: values.json ?? false }, io.stdout).then(() => 0)
    if (command === 'blame') return await printBlame(address, { timeoutMs, json: values.json ?? false }, io.stdout).then(() => 0)
    if (command === 'restore') return await restoreVersion(address, positionals[1]!, { timeoutMs, name: values.name ?? null }, io.stdout).then(() => 0)
    const input = command === 'cat' ? '' : await io.readStdin()
    const connection = await DocConnection.open(address, { timeoutMs })
    try {
      if (command === 'cat') {
        io.stdout(connection.text.toString())
        return 0
      }
      if (connection.viewOnly) throw new ClientError('refused', 'this token can read the document but not change it (a view token)')
      connection.doc.transact(() => {
        const text = connection.text
        if (command === 'append') {
          if (input) text.insert(text.length, input)
          return
        }
        const { index, remove, insert } = minimalEdit(text.toString(), input)
        if (remove > 0) text.delete(index, remove)
        if (insert) text.insert(index, insert)
      })
      await connection.flushed()
      // A view-only session hears that its edit was dropped in answer to the edit itself.
      if (connection.viewOnly) throw new ClientError('refused', 'this token can read the document but not change it (a view token)')
      return 0
    } finally {
      await connection.close()
    }
  } catch (error) {
    if (!(error instanceof ClientError)) throw error
    io.stderr(`coedit ${command}: ${error.message}\n`)
    return EXIT_CODES[error.failure]
  }
}

async function watch(address: DocAddress, { timeoutMs, name }: { timeoutMs: number; name: string }, io: ClientIo): Promise<number> {
  const connection = await DocConnection.open(address, { timeoutMs, presence: { user: { name, color: '#6b7280' }, watcher: true } })
  const ended = new Promise<ClientError | null>((resolve) => {
    connection.closed((error) => resolve(error))
    void io.interrupted.then(() => resolve(null))
  })
  connection.text.observe((event) => {
    io.stdout(`${JSON.stringify({ at: new Date().toISOString(), delta: event.delta, length: connection.text.length })}\n`)
  })
  const error = await ended
  await connection.close()
  if (!error) return 0
  io.stderr(`coedit watch: ${error.message}\n`)
  return EXIT_CODES[error.failure]
}
