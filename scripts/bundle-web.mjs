#!/usr/bin/env node
// Runs before `pnpm pack` of the server package: copies the built web app into apps/server/web,
// so the published `coedit` command serves the editor without this repository.
import { cpSync, existsSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const built = join(root, 'apps/web/dist')
const target = join(root, 'apps/server/web')
if (!existsSync(join(built, 'index.html'))) {
  process.stderr.write("apps/web/dist is not built: run 'pnpm build' first\n")
  process.exit(1)
}
rmSync(target, { recursive: true, force: true })
cpSync(built, target, { recursive: true })
process.stderr.write(`bundled the web app into ${target}\n`)
