#!/usr/bin/env node
// Packs the packages meant for others and tries them as a new user would, outside this
// repository: plain npm in an empty folder, no pnpm, no workspace. Part of `npm test`.
//   1. `npx coedit --help`, then `npx coedit` serving the editor and a room, embedded store
//   2. the library README's example, run as written
//   3. the library alone (no drivers): the main entry imports, /sqlite names what to install
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const work = mkdtempSync(join(tmpdir(), 'coedit-packages-'))
const children = []
const started = Date.now()

function say(message) {
  process.stderr.write(`\x1b[36m[packages]\x1b[0m ${message} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`)
}

function fail(message) {
  process.stderr.write(`\x1b[31m[packages] ${message}\x1b[0m\n`)
  for (const child of children) stop(child, 'SIGKILL')
  process.exit(1)
}

function stop(child, signal = 'SIGTERM') {
  try {
    process.kill(-child.pid, signal)
  } catch {
    // already gone
  }
}

function run(command, args, cwd, options = {}) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
    ...options,
  })
  if (result.status !== 0) fail(`${command} ${args.join(' ')} failed in ${cwd}:\n${result.stdout}\n${result.stderr}`)
  return result.stdout
}

/** Starts a process and resolves with the first stdout line matching `pattern`. */
function startAndWait(command, args, cwd, pattern, env = {}) {
  // Its own process group: npx runs coedit as a child, and stopping npx alone would leave it.
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  children.push(child)
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} ${args.join(' ')} printed nothing matching ${pattern} in 30 s:\n${output}`)), 30_000)
    const onData = (chunk) => {
      output += chunk.toString()
      const match = pattern.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve({ child, match })
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', (chunk) => (output += chunk.toString()))
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${command} exited with ${code}:\n${output}`))
    })
  })
}

/** Opens a room with the WebSocket client installed in `dir` and resolves with the first frame. */
async function firstFrame(dir, url) {
  const WebSocket = createRequire(join(dir, 'package.json'))('ws')
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url)
    const timer = setTimeout(() => reject(new Error(`no frame from ${url} in 10 s`)), 10_000)
    socket.on('message', (data) => {
      clearTimeout(timer)
      socket.close()
      resolve(new Uint8Array(data))
    })
    socket.on('error', reject)
  })
}

function freePortSync() {
  const out = spawnSync(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"], {
    encoding: 'utf8',
  })
  return Number(out.stdout.trim())
}

function sizeOf(dir) {
  const out = spawnSync('du', ['-sk', join(dir, 'node_modules')], { encoding: 'utf8' })
  return `${(Number(out.stdout.split('\t')[0]) / 1024).toFixed(1)} MiB`
}

try {
  const packs = join(work, 'packs')
  mkdirSync(packs)
  say('packing @coedit/wire, @coedit/sync-server, @coedit/textarea-binding and @coedit/server (with the web app)')
  for (const name of ['@coedit/wire', '@coedit/sync-server', '@coedit/textarea-binding', '@coedit/server']) {
    run('pnpm', ['--filter', name, 'pack', '--pack-destination', packs], root)
  }
  const tarballs = readdirSync(packs).map((file) => join(packs, file))
  const tarball = (prefix) => tarballs.find((file) => file.includes(prefix)) ?? fail(`no tarball for ${prefix} in ${packs}`)

  // 1. The command.
  const app = join(work, 'app')
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'try-coedit', private: true, type: 'module' }))
  say('npm install of the tarballs in an empty folder (builds better-sqlite3 where no binary is at hand)')
  run('npm', ['install', tarball('coedit-wire'), tarball('coedit-sync-server'), tarball('coedit-textarea-binding'), tarball('coedit-server')], app)
  const help = run('npx', ['--no-install', 'coedit', '--help'], app)
  if (!help.includes('Usage: coedit')) fail(`npx coedit --help printed:\n${help}`)
  // The default port, as a new user gets it, unless something here already holds it.
  const busy =
    spawnSync(process.execPath, ['-e', "require('net').createServer().once('error',()=>process.exit(1)).listen(1234,'127.0.0.1',function(){this.close()})"])
      .status !== 0
  const port = busy ? freePortSync() : 1234
  if (busy) say('port 1234 is taken on this machine; trying the command on a free port instead')
  const serve = await startAndWait('npx', ['--no-install', 'coedit', ...(busy ? ['--port', String(port)] : [])], app, /Coedit is listening on (\S+)"/)
  const page = await (await fetch(`http://127.0.0.1:${port}/d/try-it`)).text()
  if (!page.includes('<div id="root">')) fail(`the editor page is not served:\n${page.slice(0, 300)}`)
  const health = await (await fetch(`http://127.0.0.1:${port}/healthz`)).text()
  if (health !== 'ok\n') fail(`/healthz said ${health}`)
  const frame = await firstFrame(app, `ws://127.0.0.1:${port}/try-it`)
  if (frame[0] !== 0 || frame[1] !== 0) fail(`a room's first frame is not sync step 1: ${[...frame.slice(0, 4)]}`)
  stop(serve.child)
  const files = readdirSync(join(app, 'data'))
  if (!files.includes('coedit.db')) fail(`no embedded store in ./data: ${files.join(', ')}`)
  say(`npx coedit served the editor, /healthz and a room on ${port}, store ./data/coedit.db; node_modules ${sizeOf(app)}`)

  // 2. The library README's example, as written.
  const readme = readFileSync(join(root, 'packages/sync-server/README.md'), 'utf8')
  const example = /## Example\n\n```js\n([\s\S]*?)```/.exec(readme)?.[1] ?? fail('no ```js block under "## Example" in packages/sync-server/README.md')
  writeFileSync(join(app, 'example.mjs'), example)
  const examplePort = freePortSync()
  const lib = await startAndWait(process.execPath, ['example.mjs'], app, /listening on (\d+)/, { PORT: String(examplePort) })
  const libFrame = await firstFrame(app, `ws://127.0.0.1:${examplePort}/collab/from-the-readme`)
  if (libFrame[0] !== 0) fail('the README example does not answer a room with sync step 1')
  stop(lib.child)
  say('the library README example ran as written and served a room')

  // 3. The library alone: no driver is installed or loaded.
  const bare = join(work, 'bare')
  mkdirSync(bare)
  writeFileSync(join(bare, 'package.json'), JSON.stringify({ name: 'try-library', private: true, type: 'module' }))
  run('npm', ['install', tarball('coedit-wire'), tarball('coedit-sync-server')], bare)
  for (const driver of ['better-sqlite3', 'pg', 'ioredis']) {
    if (readdirSync(join(bare, 'node_modules')).includes(driver)) fail(`installing the library alone installed ${driver}`)
  }
  const probe = `
    const lib = await import('@coedit/sync-server')
    const server = lib.createSyncServer({ logger: (await import('pino')).pino({ level: 'silent' }) })
    await server.close()
    const { SqliteStorage } = await import('@coedit/sync-server/sqlite')
    try { new SqliteStorage({ file: './x.db' }); console.log('no error') } catch (error) { console.log(error.message) }
  `
  const said = run(process.execPath, ['--input-type=module', '-e', probe], bare)
  if (!said.includes("needs the package 'better-sqlite3', which is not installed: run npm install better-sqlite3"))
    fail(`without better-sqlite3 the sqlite entry said: ${said}`)
  say(`the library alone installs no driver (node_modules ${sizeOf(bare)}), and /sqlite names the package to install`)
  say('packages: all checks passed')
} catch (error) {
  fail(error instanceof Error ? error.message : String(error))
} finally {
  for (const child of children) stop(child, 'SIGKILL')
  rmSync(work, { recursive: true, force: true })
}
