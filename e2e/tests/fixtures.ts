import { test as base, expect, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from '@playwright/test'
import { fileURLToPath } from 'node:url'
import { existsSync, mkdirSync } from 'node:fs'
import { startCli, tempDir, type CliProcess } from '@coedit/test-utils'

export const CLI = fileURLToPath(new URL('../../apps/server/dist/cli.js', import.meta.url))
const WEB = fileURLToPath(new URL('../../apps/web/dist', import.meta.url))
export const ARTIFACTS = fileURLToPath(new URL('../artifacts', import.meta.url))

/** The real coedit CLI serving the built web app, on a free port with a fresh data dir. */
export class CoeditServer {
  private process: CliProcess | null = null
  private port = 0
  private readonly data = tempDir('coedit-e2e-')

  /** `env` reaches the CLI as is: COEDIT_SECRET turns on token mode. */
  constructor(readonly env: Record<string, string> = {}) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    if (!existsSync(CLI) || !existsSync(`${WEB}/index.html`)) throw new Error("The apps are not built: run 'pnpm build' (the test command does)")
    this.process = await startCli(CLI, ['--port', String(this.port), '--data-dir', this.data.path, '--web-dir', WEB, '--log-level', 'info'], this.env)
    this.port = this.process.port
    const started = this.process
    // A server that dies mid-test shows up as ECONNREFUSED far from the cause: say why here.
    void started.exited.then(({ code, signal }) => {
      if (this.process !== started) return
      const recent = started.logs.slice(-20).map((entry) => JSON.stringify(entry))
      console.error(
        `coedit on ${this.url} exited unexpectedly (code ${code}, signal ${signal})\nstderr:\n${started.stderr()}\nlast log lines:\n${recent.join('\n')}`,
      )
    })
  }

  /** SIGTERM and wait for a clean exit: the way a deploy restarts it. */
  async stop(): Promise<void> {
    const running = this.process
    this.process = null
    if (!running) return
    running.signal('SIGTERM')
    const { code } = await running.exited
    expect(code, 'coedit exits 0 on SIGTERM').toBe(0)
  }

  async dispose(): Promise<void> {
    if (this.process && this.process.child.exitCode === null) this.process.signal('SIGKILL')
    this.data.remove()
  }
}

export interface Person {
  readonly name: string
  readonly context: BrowserContext
  readonly page: Page
  readonly editor: ReturnType<Page['getByRole']>
}

/** A separate person: own browser context (storage, IndexedDB), a fixed name, the page open. */
export async function openAs(
  browser: Browser,
  name: string,
  url: string,
  color = '#1f6fc5',
  options: { waitForConnection?: boolean; context?: BrowserContextOptions } = {},
): Promise<Person> {
  const context = await browser.newContext(options.context)
  await context.addInitScript(
    ([n, c]) => {
      if (!localStorage.getItem('coedit:identity')) localStorage.setItem('coedit:identity', JSON.stringify({ name: n, color: c }))
    },
    [name, color],
  )
  const page = await context.newPage()
  page.on('pageerror', (error) => console.error(`[${name}] page error: ${error.message}`))
  await page.goto(url)
  const editor = page.getByRole('textbox', { name: 'Document text' })
  if (options.waitForConnection !== false) await expect(page.getByTestId('status')).toHaveAttribute('data-status', 'connected')
  return { name, context, page, editor }
}

export async function textOf(person: Person): Promise<string> {
  return person.editor.inputValue()
}

/** A stored, empty document's editor URL, as New document makes (the editor says "no such document" for ids never stored). */
export async function newDocumentUrl(server: CoeditServer, token?: string): Promise<string> {
  const id = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url')
  const created = await fetch(`${server.url}/api/docs/${id}/text`, { method: 'PUT', body: '', headers: token ? { authorization: `Bearer ${token}` } : {} })
  expect(created.status, 'creating the test document').toBe(200)
  return `${server.url}/d/${id}`
}

async function serve(env: Record<string, string>, use: (server: CoeditServer) => Promise<void>): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const server = new CoeditServer(env)
  await server.start()
  await use(server)
  await server.stop().catch(() => {})
  await server.dispose()
}

/** The secret of `securedCoedit`, for minting links the way `coedit token` does. */
export const E2E_SECRET = 'e2e-secret-for-token-mode-0123456789abcdef'

export const test = base.extend<{ coedit: CoeditServer; securedCoedit: CoeditServer; historyCoedit: CoeditServer }>({
  // Open mode, as `npm start` runs.
  coedit: async ({}, use) => serve({}, use),
  // Token mode: every connection needs a signed link.
  securedCoedit: async ({}, use) => serve({ COEDIT_SECRET: E2E_SECRET }, use),
  // Open mode cutting a version after a 2 s pause (not 30 s), so a test can write, pause and look back; a
  // loaded machine may stall between keystrokes, but not for 2 s.
  historyCoedit: async ({}, use) => serve({ COEDIT_VERSION_IDLE_MS: '2000' }, use),
})

export { expect }
