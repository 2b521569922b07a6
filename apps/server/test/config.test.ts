import { describe, expect, it } from 'vitest'
import { join, resolve } from 'node:path'
import { writeFileSync } from 'node:fs'
import { tempDir } from '@coedit/test-utils'
import { ConfigError, DEFAULT_CONFIG, SETTINGS, helpText, parseCommandLine } from '../src/config.js'

function serve(argv: string[], env: Record<string, string> = {}) {
  const command = parseCommandLine(argv, env)
  if (command.kind !== 'serve') throw new Error(`expected serve, got ${command.kind}`)
  return command.config
}

describe('parseCommandLine', () => {
  it('uses the embedded defaults: 127.0.0.1:1234, SQLite in ./data', () => {
    const config = serve([])
    expect(config).toMatchObject({ host: '127.0.0.1', port: 1234, storage: 'sqlite', fsync: false, logLevel: 'info' })
    expect(config.dataDir).toBe(resolve('./data'))
  })

  it('reads environment variables and lets flags win over them', () => {
    const config = serve(['--port', '4000', '--fsync'], { PORT: '3000', HOST: '0.0.0.0', DATA_DIR: '/tmp/x', COEDIT_HEARTBEAT_INTERVAL_MS: '2500' })
    expect(config).toMatchObject({ port: 4000, host: '0.0.0.0', dataDir: '/tmp/x', fsync: true, heartbeatIntervalMs: 2500 })
  })

  it('explains what is wrong, naming the flag or variable', () => {
    expect(() => serve(['--port', 'abc'])).toThrow(/--port must be a whole number, got 'abc'/)
    expect(() => serve([], { PORT: '70000' })).toThrow(/PORT must be at most 65535/)
    expect(() => serve(['--storage', 'mongo'])).toThrow(/--storage must be one of sqlite, memory/)
    expect(() => serve(['--heartbeat-timeout-ms', '5'])).toThrow(/at least 100/)
    expect(() => serve(['--path-prefix', 'rooms'])).toThrow(/must start with '\/'/)
    expect(() => serve(['--bogus'])).toThrow(ConfigError)
    expect(() => serve([], { COEDIT_FSYNC: 'maybe' })).toThrow(/COEDIT_FSYNC must be true or false/)
  })

  it('is in open mode without a secret, and in token mode with COEDIT_SECRET or a secret file (the file wins)', () => {
    expect(serve([]).secret).toBeNull()
    const fromEnv = 'e'.repeat(32)
    expect(serve([], { COEDIT_SECRET: fromEnv }).secret).toBe(fromEnv)
    const dir = tempDir()
    try {
      const file = join(dir.path, 'secret')
      writeFileSync(file, `${'f'.repeat(40)}\n`)
      expect(serve(['--secret-file', file], { COEDIT_SECRET: fromEnv }).secret).toBe('f'.repeat(40))
      expect(() => serve(['--secret-file', join(dir.path, 'missing')])).toThrow(/cannot read .*missing: ENOENT/)
    } finally {
      dir.remove()
    }
    expect(() => serve([], { COEDIT_SECRET: 'changeme' })).toThrow(/COEDIT_SECRET holds 8 bytes; a signing secret needs at least 32/)
  })

  it('reads the limits, origin lists and durations', () => {
    const config = serve(['--allowed-origins', 'https://a.example, https://b.example', '--link-ttl', '12h', '--max-document-bytes', '0'], {
      COEDIT_MAX_CONNECTIONS_PER_IP: '7',
      COEDIT_TRUST_PROXY: 'yes',
    })
    expect(config).toMatchObject({
      allowedOrigins: ['https://a.example', 'https://b.example'],
      linkTtlSeconds: 43_200,
      maxDocumentBytes: 0,
      maxConnectionsPerIp: 7,
      trustProxy: true,
      maxMessagesPerSecond: 300,
      maxLoadedRooms: 5_000,
    })
    expect(() => serve(['--link-ttl', 'forever'])).toThrow(/--link-ttl must be a duration like 30m, 12h or 7d/)
    expect(() => serve(['--public-url', 'example.com'])).toThrow(/--public-url .* must be an http\(s\) URL/)
  })

  it('selects PostgreSQL storage when a database URL is given, and checks the service URLs', () => {
    expect(serve([], { DATABASE_URL: 'postgres://u:p@db:5432/coedit', REDIS_URL: 'redis://cache:6379' })).toMatchObject({
      storage: 'postgres',
      redisUrl: 'redis://cache:6379',
    })
    expect(serve(['--storage', 'memory'], { DATABASE_URL: 'postgres://db/coedit' }).storage).toBe('memory')
    expect(() => serve(['--storage', 'postgres'])).toThrow(/--storage postgres needs --database-url/)
    expect(() => serve(['--database-url', 'mysql://u:secret@db/x'])).toThrow(/must start with postgres:\/\/, got 'mysql:\/\/u:\*\*\*@db\/x'/)
    expect(() => serve(['--redis-url', 'http://cache'])).toThrow(/--redis-url .* must start with redis:\/\//)
  })

  it('documents every setting in --help with its variable and default', () => {
    const help = helpText()
    for (const setting of SETTINGS) {
      expect(help).toContain(`--${setting.flag}`)
      expect(help).toContain(`[${setting.env}]`)
    }
    expect(help).toContain(`default: ${DEFAULT_CONFIG.port}`)
    expect(parseCommandLine(['--help'], {})).toEqual({ kind: 'help' })
  })
})

describe('the README', () => {
  it('documents every flag and environment variable', async () => {
    const { readFileSync } = await import('node:fs')
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
    for (const setting of SETTINGS) {
      expect(readme, setting.flag).toContain(`\`--${setting.flag}`)
      expect(readme, setting.env).toContain(`\`${setting.env}\``)
    }
    // Where --help states a duration default, the README's table says the same.
    const help = helpText()
    for (const setting of SETTINGS.filter((s) => s.kind === 'duration')) {
      const stated = new RegExp(`--${setting.flag}[^\\n]*\\n[^\\n]*\\(default: ([^)]+)\\)`).exec(help)?.[1]
      const row = readme.split('\n').find((line) => line.startsWith(`| \`--${setting.flag}`))
      expect(row, setting.flag).toContain(`\`${stated}\``)
    }
  })
})
