import { revokeDocument, revokeToken, type Revocation } from '@coedit/sync-server'
import { ConfigError, parseCommandLine, parseFlags, redact } from './config.js'
import { storageFor } from './start-server.js'

export const REVOKE_HELP = `Usage: coedit token revoke --id <id> [--json]
       coedit token revoke --doc <id> [--json]

Revokes access on every server that shares this store, without a restart: sessions holding a
revoked token are closed within a few seconds (1008 "link revoked"), and the token is refused
from then on. Run it with the server's environment: the same --data-dir / DATA_DIR (SQLite) or
--database-url / DATABASE_URL (PostgreSQL).

  --id <id>            One token, by the id \`coedit token\` printed ("id")
  --doc <id>           Every token for this document issued before now (links minted later work)
  --data-dir <dir>     SQLite data directory [DATA_DIR] (default ./data)
  --database-url <u>   PostgreSQL of the cluster [DATABASE_URL]
  --storage <kind>     sqlite or postgres [COEDIT_STORAGE]
  --json               One JSON object instead of text
`

/** Runs `coedit token revoke ...`; returns the text to print. Throws ConfigError on bad input. */
export async function runRevokeCommand(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, now = Date.now()): Promise<string> {
  const values = parseFlags(
    argv,
    {
      id: { type: 'string' },
      doc: { type: 'string' },
      'data-dir': { type: 'string' },
      'database-url': { type: 'string' },
      storage: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    'coedit token revoke',
  )
  if (values.help) return REVOKE_HELP
  const id = typeof values.id === 'string' ? values.id.trim() : ''
  const doc = typeof values.doc === 'string' ? values.doc.trim() : ''
  if ((id === '') === (doc === '')) throw new ConfigError('coedit token revoke needs exactly one of --id <token id> or --doc <document id>')
  let revocation: Revocation
  try {
    revocation = id !== '' ? revokeToken(id) : revokeDocument(doc, now)
  } catch (error) {
    throw new ConfigError((error as Error).message)
  }

  const storageArgs: string[] = []
  for (const flag of ['data-dir', 'database-url', 'storage'] as const) {
    const value = values[flag]
    if (typeof value === 'string') storageArgs.push(`--${flag}`, value)
  }
  const parsed = parseCommandLine(storageArgs, env)
  if (parsed.kind !== 'serve') throw new ConfigError('unexpected flags')
  const { config } = parsed
  if (config.storage === 'memory')
    throw new ConfigError('a server with --storage memory keeps revocations in its own memory only; nothing outside it can revoke')
  const store = storageFor(config)
  try {
    await store.addRevocation(revocation)
    await store.pruneRevocations(now)
  } catch (error) {
    throw new ConfigError(`could not store the revocation in ${where(config)}: ${(error as Error).message}`)
  } finally {
    await store.close()
  }

  const output = {
    revoked: revocation.kind === 'token' ? { id: revocation.id } : { doc: revocation.doc, issuedBefore: new Date(revocation.before).toISOString() },
    keptUntil: new Date(revocation.expiresAt).toISOString(),
    store: where(config),
  }
  if (values.json) return `${JSON.stringify(output)}\n`
  const what = revocation.kind === 'token' ? `token ${revocation.id}` : `every token for ${revocation.doc} issued before ${output.revoked.issuedBefore ?? ''}`
  return [
    `revoked  ${what}`,
    `store    ${output.store}`,
    `kept     until ${output.keptUntil} (then every token it names has expired)`,
    'Running servers close sessions holding it within a few seconds.',
    '',
  ].join('\n')
}

function where(config: { storage: string; dataDir: string; databaseUrl: string | null }): string {
  return config.storage === 'postgres' && config.databaseUrl ? redact(config.databaseUrl) : `${config.dataDir}/coedit.db`
}
