import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { MIN_SECRET_BYTES } from '@coedit/sync-server'
import { DEFAULT_CONFIG, SETTINGS, type Kind, type ServerConfig, type Setting } from './settings.js'

export { DEFAULT_CONFIG, SETTINGS } from './settings.js'
export type { LogLevel, ServerConfig, StorageKind } from './settings.js'
import { formatDuration, parseDuration } from './duration.js'

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

type FlagSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>

/** parseArgs for a command's flags (strict, no positionals); a bad flag is a ConfigError that points at --help. */
export function parseFlags(argv: readonly string[], options: FlagSpec, command: string): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\nRun '${command} --help' for the flags.`)
  }
}

export type ParsedCommand = { readonly kind: 'help' } | { readonly kind: 'version' } | { readonly kind: 'serve'; readonly config: ServerConfig }

/** Flags win over environment variables, which win over defaults. */
export function parseCommandLine(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedCommand {
  const options: FlagSpec = { help: { type: 'boolean' }, version: { type: 'boolean' } }
  // A list flag may be repeated (--webhook-url a --webhook-url b) as well as comma-separated.
  for (const setting of SETTINGS)
    options[setting.flag] = setting.kind === 'list' ? { type: 'string', multiple: true } : { type: setting.kind === 'bool' ? 'boolean' : 'string' }
  const values = parseFlags(argv, options, 'coedit')
  for (const setting of SETTINGS) {
    const value = values[setting.flag] as unknown
    if (Array.isArray(value)) values[setting.flag] = value.join(',')
  }
  if (values.help) return { kind: 'help' }
  if (values.version) return { kind: 'version' }

  const config: Record<string, unknown> = { ...DEFAULT_CONFIG }
  for (const setting of SETTINGS) {
    const fromFlag = values[setting.flag]
    const fromEnv = env[setting.env]
    if (fromFlag !== undefined) config[setting.key] = convert(setting, fromFlag, `--${setting.flag}`)
    else if (fromEnv !== undefined && fromEnv !== '') config[setting.key] = convert(setting, fromEnv, setting.env)
  }
  // A database URL means "share documents": unless storage was chosen explicitly, use it.
  const storageChosen = values.storage !== undefined || (env.COEDIT_STORAGE ?? '') !== ''
  if (config.databaseUrl && !storageChosen) config.storage = 'postgres'
  const result = config as unknown as ServerConfig
  if (result.storage === 'postgres' && !result.databaseUrl) throw new ConfigError('--storage postgres needs --database-url / DATABASE_URL')
  if (result.databaseUrl !== null && !/^postgres(ql)?:\/\//.test(result.databaseUrl))
    throw new ConfigError(`--database-url / DATABASE_URL must start with postgres://, got '${redact(result.databaseUrl)}'`)
  if (result.redisUrl !== null && !/^rediss?:\/\//.test(result.redisUrl))
    throw new ConfigError(`--redis-url / REDIS_URL must start with redis:// or rediss://, got '${redact(result.redisUrl)}'`)
  if (!result.pathPrefix.startsWith('/')) throw new ConfigError(`--path-prefix / COEDIT_PATH_PREFIX must start with '/', got '${result.pathPrefix}'`)
  if ((result.tlsCert === null) !== (result.tlsKey === null))
    throw new ConfigError('--tls-cert and --tls-key (COEDIT_TLS_CERT, COEDIT_TLS_KEY) go together: set both, or neither')
  for (const url of result.webhookUrls) if (!isHttpUrl(url)) throw new ConfigError(`--webhook-url / COEDIT_WEBHOOK_URLS must be http(s) URLs, got '${url}'`)
  if (result.publicUrl !== null && !isHttpUrl(result.publicUrl))
    throw new ConfigError(`--public-url / COEDIT_PUBLIC_URL must be an http(s) URL, got '${result.publicUrl}'`)
  return {
    kind: 'serve',
    config: {
      ...result,
      secret: readSecret(result.secretFile, env.COEDIT_SECRET),
      dataDir: resolve(result.dataDir),
      tlsCert: result.tlsCert === null ? null : resolve(result.tlsCert),
      tlsKey: result.tlsKey === null ? null : resolve(result.tlsKey),
      webDir: result.webDir === null || result.webDir === 'none' ? result.webDir : resolve(result.webDir),
    },
  }
}

/** The signing secret: the file named by --secret-file wins over COEDIT_SECRET; none means open mode. */
export function readSecret(file: string | null, fromEnv: string | undefined): string | null {
  let secret: string
  let source: string
  if (file !== null) {
    try {
      // A trailing newline is what editors and `echo` add, not part of the secret.
      secret = readFileSync(file, 'utf8').replace(/\r?\n$/, '')
    } catch (error) {
      throw new ConfigError(`--secret-file / COEDIT_SECRET_FILE: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
    }
    source = `the secret file ${file}`
  } else if (fromEnv !== undefined && fromEnv !== '') {
    secret = fromEnv
    source = 'COEDIT_SECRET'
  } else {
    return null
  }
  const bytes = Buffer.byteLength(secret)
  if (bytes < MIN_SECRET_BYTES) {
    throw new ConfigError(`${source} holds ${bytes} bytes; a signing secret needs at least ${MIN_SECRET_BYTES} (try: openssl rand -base64 48)`)
  }
  return secret
}

function convert(setting: Setting, raw: string | boolean, source: string): unknown {
  switch (setting.kind) {
    case 'bool':
      if (typeof raw === 'boolean') return raw
      if (/^(1|true|yes|on)$/i.test(raw)) return true
      if (/^(0|false|no|off)$/i.test(raw)) return false
      throw new ConfigError(`${source} must be true or false, got '${raw}'`)
    case 'int': {
      const text = String(raw).trim()
      if (!/^\d+$/.test(text)) throw new ConfigError(`${source} must be a whole number, got '${raw}'`)
      const value = Number(text)
      if (setting.min !== undefined && value < setting.min) throw new ConfigError(`${source} must be at least ${setting.min}, got ${value}`)
      if (setting.max !== undefined && value > setting.max) throw new ConfigError(`${source} must be at most ${setting.max}, got ${value}`)
      return value
    }
    case 'enum':
      if (!setting.choices?.includes(String(raw))) throw new ConfigError(`${source} must be one of ${setting.choices?.join(', ')}, got '${raw}'`)
      return raw
    case 'string':
      if (String(raw).trim() === '') throw new ConfigError(`${source} must not be empty`)
      return raw
    case 'list':
      return String(raw)
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
    case 'duration': {
      const seconds = parseDuration(String(raw))
      if (seconds === null) throw new ConfigError(`${source} must be a duration like 30m, 12h or 7d, got '${raw}'`)
      return seconds
    }
  }
}

export function helpText(): string {
  const lines = [
    'Usage: coedit [flags]',
    '',
    'Real-time collaborative text editor: y-websocket compatible sync server and web app on one port.',
    '',
    'Flags (environment variable in brackets; flags win):',
  ]
  for (const setting of SETTINGS) {
    lines.push(`  --${setting.flag}${VALUE_HINT[setting.kind](setting)}`)
    lines.push(`      ${setting.help} [${setting.env}] (default: ${describeDefault(setting)})`)
  }
  lines.push('  --help       Show this help', '  --version    Print the version', '')
  lines.push('Environment only: COEDIT_SECRET  the signing secret itself (token mode); kept off the command line, where `ps` shows it.')
  lines.push('')
  lines.push('Commands:')
  lines.push('  coedit token --doc <id> --right edit|view [--ttl 7d] [--name <name>]   Print a signed link (see coedit token --help)')
  lines.push(
    '  coedit token revoke --id <id> | --doc <id>                            Revoke a link, or every link to a document (see coedit token revoke --help)',
  )
  lines.push(
    '  coedit cat|write|append|watch <doc-url>                              Read, replace, extend or follow a document from a terminal (see coedit cat --help)',
  )
  lines.push('  coedit history|blame <doc-url>, coedit restore <doc-url> <version>  Versions, who wrote what, and going back (see coedit history --help)')
  lines.push('')
  lines.push('Endpoints: ws://<host>:<port><prefix><room> (y-websocket), GET /healthz, GET /metrics (Prometheus), /api/docs (document API; /api/openapi.json).')
  lines.push('SIGTERM/SIGINT: stop accepting, store everything, close sessions with 1012, exit 0.')
  lines.push('SIGHUP: re-read the TLS certificate and key (renewal without a restart); a bad pair is logged and the current one kept.')
  return lines.join('\n')
}

const VALUE_HINT: Record<Kind, (setting: Setting) => string> = {
  bool: () => '',
  enum: (setting) => ` <${setting.choices?.join('|')}>`,
  int: () => ' <n>',
  string: () => ' <value>',
  list: () => ' <a,b,...>',
  duration: () => ' <30m|12h|7d>',
}

function describeDefault(setting: Setting): string {
  const fallback = DEFAULT_CONFIG[setting.key]
  if (setting.key === 'webDir') return 'apps/web/dist when built'
  if (setting.key === 'publicUrl') return 'http://<host>:<port>'
  if (setting.key === 'allowedHosts') return 'automatic'
  if (setting.key === 'historyRetentionSeconds') return 'keep everything'
  if (fallback === null) return 'none'
  if (Array.isArray(fallback)) return fallback.length === 0 ? 'none' : fallback.join(',')
  if (setting.kind === 'duration') return formatDuration(fallback as number)
  return String(fallback)
}

/** A URL for messages and logs, without its password. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@')
}

export function isHttpUrl(text: string): boolean {
  return /^https?:\/\/[^/]+/.test(text)
}
