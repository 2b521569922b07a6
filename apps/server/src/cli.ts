#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { pino } from 'pino'
import { ConfigError, helpText, parseCommandLine } from './config.js'
import { startServer } from './start-server.js'
import { runTokenCommand } from './token-command.js'
import { CLIENT_COMMANDS, runClientCommand, type ClientCommand } from './client/client-commands.js'

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    process.stdin.on('data', (chunk: Buffer) => chunks.push(chunk))
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    process.stdin.on('error', reject)
  })
}

async function clientCommand(command: ClientCommand, argv: readonly string[]): Promise<void> {
  const interrupted = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
  })
  const code = await runClientCommand(command, argv, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin,
    interrupted,
    env: process.env,
  })
  // Let stdout drain (a big `cat` into a pipe) before exiting.
  process.stdout.write('', () => process.exit(code))
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

async function tokenCommand(argv: readonly string[]): Promise<void> {
  try {
    process.stdout.write(await runTokenCommand(argv, process.env))
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`coedit token: ${error.message}\n`)
      process.exit(2)
    }
    throw error
  }
}

async function main(): Promise<void> {
  if ((CLIENT_COMMANDS as readonly string[]).includes(process.argv[2] ?? '')) {
    await clientCommand(process.argv[2] as ClientCommand, process.argv.slice(3))
    return
  }
  if (process.argv[2] === 'token') {
    await tokenCommand(process.argv.slice(3))
    return
  }
  let command
  try {
    command = parseCommandLine(process.argv.slice(2), process.env)
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`coedit: ${error.message}\n`)
      process.exit(2)
    }
    throw error
  }
  if (command.kind === 'help') {
    process.stdout.write(`${helpText()}\n`)
    return
  }
  if (command.kind === 'version') {
    process.stdout.write(`${version()}\n`)
    return
  }
  const { config } = command
  const log = pino({ level: config.logLevel })
  let server
  try {
    server = await startServer(config, log)
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`coedit: ${error.message}\n`)
      log.fatal({ err: error.message }, 'could not start')
      process.exit(2)
    }
    const err = error as NodeJS.ErrnoException
    const hint = err.code === 'EADDRINUSE' ? ` (port ${config.port} is taken: pick another with --port or PORT)` : ''
    log.fatal({ err: err.message, code: err.code }, `could not start${hint}`)
    // Said plainly too: the log may be going to a file, or read by a machine.
    process.stderr.write(`coedit: could not start: ${err.message}${hint}\n`)
    process.exit(1)
  }

  let signalled = false
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      log.warn({ signal }, 'second signal; exiting now')
      process.exit(1)
    }
    signalled = true
    log.info({ signal }, 'stopping')
    const force = setTimeout(() => {
      log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown took too long; exiting')
      process.exit(1)
    }, config.shutdownTimeoutMs)
    force.unref()
    server.stop().then(
      () => {
        log.info('stopped')
        process.exit(0)
      },
      (error: unknown) => {
        log.error({ err: (error as Error).message }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  process.on('SIGHUP', () => {
    try {
      server.reloadTls()
      log.info({ cert: config.tlsCert }, 'TLS certificate reloaded')
    } catch (error) {
      log.error({ err: (error as Error).message }, 'TLS reload failed; still serving the previous certificate')
    }
  })
}

void main()
