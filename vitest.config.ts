import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const source = (path: string): string => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  resolve: {
    // Tests run the source: in-process imports of the workspace's libraries resolve to src, not
    // to a build that may be stale. (Processes the tests spawn run the build the test command makes.)
    alias: {
      '@coedit/sync-server/sqlite': source('./packages/sync-server/src/sqlite.ts'),
      '@coedit/sync-server/postgres': source('./packages/sync-server/src/postgres.ts'),
      '@coedit/sync-server/redis': source('./packages/sync-server/src/redis.ts'),
      '@coedit/sync-server': source('./packages/sync-server/src/index.ts'),
      '@coedit/textarea-binding': source('./packages/textarea-binding/src/index.ts'),
      '@coedit/wire': source('./packages/wire/src/index.ts'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start real servers and child processes; two cores are shared.
    fileParallelism: true,
    maxWorkers: 2,
  },
})
