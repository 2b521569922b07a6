import { MAX_TOKEN_LIFETIME_MS, TokenAccessPolicy, verifyAccessToken, secretKey, type AccessRight } from '@coedit/sync-server'
import { ConfigError, DEFAULT_CONFIG, isHttpUrl, parseFlags, readSecret } from './config.js'
import { formatDuration, parseDuration } from './duration.js'
import { runRevokeCommand } from './revoke-command.js'

export const TOKEN_HELP = `Usage: coedit token --doc <id> --right edit|view [--ttl 7d] [--name <name>] [--json]
       coedit token revoke --id <id> | --doc <id>   (see coedit token revoke --help)

Prints a signed access token and a link to share. Needs the server's secret: COEDIT_SECRET,
or --secret-file <path> / COEDIT_SECRET_FILE.

  --doc <id>          Document id (the part after /d/ in its URL), or a prefix ending in '*'
                      ('team-*'; '*' alone is every document)
  --right edit|view   edit: read and write; view: read only, presence shown
  --ttl <duration>    How long the token works: 30m, 12h, 7d, 2w (default 7d; at most 366d)
  --name <name>       Holder's name, shown in the server's logs
  --public-url <url>  Where people reach the server [COEDIT_PUBLIC_URL] (default http://127.0.0.1:1234)
  --secret-file <p>   File holding the secret [COEDIT_SECRET_FILE]
  --json              One JSON object instead of text
`

export interface TokenOutput {
  readonly id: string
  readonly token: string
  readonly url: string | null
  readonly doc: string
  readonly right: AccessRight
  readonly expiresAt: string
}

/** Runs `coedit token ...`; returns the text to print. Throws ConfigError on bad input. */
export async function runTokenCommand(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, now = Date.now()): Promise<string> {
  if (argv[0] === 'revoke') return runRevokeCommand(argv.slice(1), env, now)
  const values = parseFlags(
    argv,
    {
      doc: { type: 'string' },
      right: { type: 'string' },
      ttl: { type: 'string' },
      name: { type: 'string' },
      'public-url': { type: 'string' },
      'secret-file': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    'coedit token',
  )
  if (values.help) return TOKEN_HELP
  const doc = values.doc
  if (typeof doc !== 'string' || doc.trim() === '') throw new ConfigError("coedit token needs --doc <id> (or a prefix ending in '*')")
  const right = values.right
  if (right !== 'edit' && right !== 'view') throw new ConfigError(`--right must be edit or view, got '${String(right ?? '')}'`)
  const ttlText = typeof values.ttl === 'string' ? values.ttl : '7d'
  const ttl = parseDuration(ttlText)
  if (ttl === null) throw new ConfigError(`--ttl must be a duration like 30m, 12h, 7d or 2w, got '${ttlText}'`)
  if (ttl * 1000 > MAX_TOKEN_LIFETIME_MS)
    throw new ConfigError(
      `--ttl must be at most ${MAX_TOKEN_LIFETIME_MS / 86_400_000}d, got '${ttlText}' (revocations are kept as long as the longest token lives)`,
    )
  const secretFile = typeof values['secret-file'] === 'string' ? values['secret-file'] : (env.COEDIT_SECRET_FILE ?? null)
  const secret = readSecret(secretFile || null, env.COEDIT_SECRET)
  if (secret === null) throw new ConfigError('no secret: set COEDIT_SECRET or pass --secret-file <path> (the same the server uses)')
  const base =
    (typeof values['public-url'] === 'string' ? values['public-url'] : env.COEDIT_PUBLIC_URL) || `http://${DEFAULT_CONFIG.host}:${DEFAULT_CONFIG.port}`
  if (!isHttpUrl(base)) throw new ConfigError(`--public-url must be an http(s) URL, got '${base}'`)

  const expiresAt = now + ttl * 1000
  const name = typeof values.name === 'string' && values.name.trim() !== '' ? values.name.trim() : null
  const token = await new TokenAccessPolicy(secret, { clock: () => now }).sign({ doc, right, expiresAt, name })
  const check = await verifyAccessToken(secretKey(secret), token, now)
  const id = check.ok ? (check.grant.id ?? '') : ''
  const url = doc.endsWith('*') ? null : shareUrl(base, doc, token)
  const output: TokenOutput = { id, token, url, doc, right, expiresAt: new Date(Math.floor(expiresAt / 1000) * 1000).toISOString() }
  if (values.json) return `${JSON.stringify(output)}\n`
  const lines = [
    `token    ${token}`,
    `id       ${id}`,
    url ? `url      ${url}` : `url      (a prefix token: open ${base.replace(/\/+$/, '')}/d/<id>#token=<token> for any id starting with '${doc.slice(0, -1)}')`,
    `doc      ${doc}`,
    `right    ${right}`,
    `expires  ${output.expiresAt} (in ${formatDuration(ttl)})`,
  ]
  if (name) lines.push(`name     ${name}`)
  return `${lines.join('\n')}\n`
}

/** The editor reads the token from the fragment, which browsers never send to servers or in Referer headers. */
export function shareUrl(base: string, doc: string, token: string): string {
  return `${base.replace(/\/+$/, '')}/d/${encodeURIComponent(doc)}#token=${token}`
}
