import { existsSync } from 'node:fs'
import { defineConfig } from '@playwright/test'
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@coedit/test-utils'

// Playwright cannot download its own browsers here: use the system Chromium, and say so
// loudly when it is missing rather than skipping.
const chromium = CHROMIUM_PATH
if (!existsSync(chromium)) {
  throw new Error(`The browser tests need Chromium at ${chromium}. Install it (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM_PATH.`)
}

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  // Three browsers per test on two cores: a loaded machine needs the slack; inner bounds stay tight.
  timeout: 120_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  // Each test runs its own server and three browsers; two cores fit two such tests.
  workers: 2,
  retries: 0,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: chromium,
      args: [...CHROMIUM_ARGS],
    },
    viewport: { width: 1200, height: 760 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
})
