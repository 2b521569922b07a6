#!/usr/bin/env node
// Entry point of the root scripts (`npm start`, `npm test`, ...): works on a machine that has
// only Node and npm by fetching pnpm and the dependencies first, so the README's commands
// are all a newcomer needs.
import { spawnSync, spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const PNPM_VERSION = '10.34.9'
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
const [task = 'help', ...rest] = process.argv.slice(2)

function say(message) {
  process.stderr.write(`\x1b[36m[coedit]\x1b[0m ${message}\n`)
}

function fail(message) {
  process.stderr.write(`\x1b[31m[coedit] ${message}\x1b[0m\n`)
  process.exit(1)
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options })
  if (result.error) fail(`${command} ${args.join(' ')}: ${result.error.message}`)
  if (result.status !== 0) process.exit(result.status ?? 1)
}

function pnpmCommand() {
  const found = spawnSync('pnpm', ['--version'], { encoding: 'utf8' })
  if (found.status === 0 && found.stdout.trim().startsWith('10.')) return ['pnpm']
  say(`pnpm ${PNPM_VERSION} not found on PATH; using it through npx`)
  return ['npx', '--yes', `pnpm@${PNPM_VERSION}`]
}

function pnpm(...args) {
  const [command, ...prefix] = pnpmCommand()
  run(command, [...prefix, ...args])
}

function ensureDependencies() {
  const marker = join(root, 'node_modules', '.modules.yaml')
  const lockfile = join(root, 'pnpm-lock.yaml')
  if (existsSync(marker) && existsSync(lockfile) && statSync(marker).mtimeMs >= statSync(lockfile).mtimeMs) return
  say('installing dependencies (first run only)')
  pnpm('install', '--frozen-lockfile')
}

function build() {
  say('building')
  pnpm('-r', '--sort', 'run', 'build')
}

function hasPostgres() {
  const base = '/usr/lib/postgresql'
  if (spawnSync('pg_config', ['--bindir'], { stdio: 'ignore' }).status === 0) return true
  return existsSync(base) && readdirSync(base).some((version) => existsSync(join(base, version, 'bin', 'initdb')))
}

/** What the tests start themselves, and the Debian package that provides it. */
const SYSTEM_NEEDS = [
  {
    what: `Chromium at ${CHROMIUM} (browser tests)`,
    pkg: 'chromium',
    present: () => existsSync(CHROMIUM),
    hint: 'or point CHROMIUM_PATH at a Chromium binary',
  },
  {
    what: 'redis-server (multi-server tests)',
    pkg: 'redis-server',
    present: () => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0,
    hint: '',
  },
  { what: 'PostgreSQL (multi-server tests)', pkg: 'postgresql', present: hasPostgres, hint: '' },
  {
    what: 'openssl (TLS tests make their own certificates)',
    pkg: 'openssl',
    present: () => spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0,
    hint: '',
  },
]

function ensureSystemPackages() {
  let missing = SYSTEM_NEEDS.filter((need) => !need.present())
  if (missing.length === 0) return
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0
  if (isRoot && hasApt) {
    say(`installing Debian packages the tests need: ${missing.map((need) => need.pkg).join(' ')}`)
    run('apt-get', ['update', '-qq'])
    run('apt-get', ['install', '-y', '-qq', ...missing.map((need) => need.pkg)], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
    missing = SYSTEM_NEEDS.filter((need) => !need.present())
    if (missing.length === 0) return
  }
  fail(
    `The tests need ${missing.map((need) => need.what).join(', ')}, and ${missing.length === 1 ? 'it is' : 'they are'} not installed.\n` +
      `  Install (Debian/Ubuntu): sudo apt-get install ${missing.map((need) => need.pkg).join(' ')}` +
      missing.map((need) => (need.hint ? `\n  (${need.pkg}: ${need.hint})` : '')).join('') +
      "\n  then run 'npm test' again.",
  )
}

function exec(command, args) {
  // Hand the terminal and signals to the child, and leave with its exit code.
  const child = spawn(command, args, { cwd: root, stdio: 'inherit' })
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
}

switch (task) {
  case 'start':
    ensureDependencies()
    build()
    exec(process.execPath, [join(root, 'apps/server/dist/cli.js'), ...rest])
    break
  case 'dev':
    ensureDependencies()
    pnpm('--filter', '@coedit/sync-server', '--filter', '@coedit/textarea-binding', 'run', 'build')
    say('dev: editor at http://127.0.0.1:5173 (hot reload), sync server at ws://127.0.0.1:1234')
    exec(pnpmCommand()[0], [...pnpmCommand().slice(1), '--parallel', '--filter', '@coedit/server', '--filter', '@coedit/web', 'run', 'dev'])
    break
  case 'test': {
    ensureDependencies()
    const e2e = existsSync(join(root, 'e2e', 'playwright.config.ts'))
    ensureSystemPackages()
    build()
    say('type-checking')
    pnpm('-r', '--sort', 'run', 'typecheck')
    say('lint (ESLint) and format check (Prettier)')
    pnpm('exec', 'eslint', '.')
    pnpm('exec', 'prettier', '--check', '.')
    say('unit and integration tests (vitest)')
    pnpm('exec', 'vitest', 'run', ...rest)
    if (e2e) {
      say('multi-browser tests (Playwright, Chromium)')
      pnpm('--filter', '@coedit/e2e', 'run', 'test')
    }
    say('the packages as a new user installs them: npm pack, npm install in an empty folder, npx coedit')
    run(process.execPath, [join(root, 'scripts/try-packages.mjs')])
    break
  }
  case 'bench':
    ensureDependencies()
    build()
    pnpm('--filter', '@coedit/bench', 'run', 'bench', ...rest)
    break
  default:
    fail(`unknown task '${task}': use start, dev, test or bench`)
}
