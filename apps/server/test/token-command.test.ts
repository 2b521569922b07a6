import { describe, expect, it } from 'vitest'
import { TokenAccessPolicy } from '@coedit/sync-server'
import { runTokenCommand } from '../src/token-command.js'

const SECRET = 'a-token-command-secret-of-enough-bytes!'
const env = { COEDIT_SECRET: SECRET }

describe('coedit token', () => {
  it('prints a token that the server accepts for the document, and a link carrying it in the fragment', async () => {
    // Any day will do: the command and both verifiers below are handed this clock.
    const now = Math.floor(Date.now() / 1000) * 1000
    const out = await runTokenCommand(
      ['--doc', 'report-2026', '--right', 'view', '--ttl', '2d', '--name', 'Ada', '--public-url', 'https://docs.example.com/'],
      env,
      now,
    )
    const token = /^token +(\S+)$/m.exec(out)?.[1]
    expect(token).toBeDefined()
    expect(out).toContain(`url      https://docs.example.com/d/report-2026#token=${token}`)
    expect(out).toContain(`expires  ${new Date(now + 2 * 86_400_000).toISOString()} (in 2d)`)
    // A verifier whose clock reads the minting day accepts it; one whose clock is past the expiry does not.
    const check = await new TokenAccessPolicy(SECRET, { clock: () => now + 3_600_000 }).verify(token!)
    expect(await new TokenAccessPolicy(SECRET, { clock: () => now + 2 * 86_400_000 + 1_000 }).verify(token!)).toMatchObject({
      ok: false,
      reason: 'token expired',
    })
    expect(check).toMatchObject({ ok: true, grant: { doc: 'report-2026', right: 'view', name: 'Ada', expiresAt: now + 2 * 86_400_000 } })
  })

  it('prints JSON on request, and no URL for a prefix', async () => {
    const out = JSON.parse(await runTokenCommand(['--doc', 'team-*', '--right', 'edit', '--json'], env)) as Record<string, unknown>
    expect(out).toMatchObject({ doc: 'team-*', right: 'edit', url: null })
    expect(typeof out.token).toBe('string')
  })

  it('explains what is missing or wrong', async () => {
    await expect(runTokenCommand(['--right', 'edit'], env)).rejects.toThrow(/needs --doc/)
    await expect(runTokenCommand(['--doc', 'a', '--right', 'admin'], env)).rejects.toThrow(/--right must be edit or view, got 'admin'/)
    await expect(runTokenCommand(['--doc', 'a', '--right', 'edit', '--ttl', '7 days'], env)).rejects.toThrow(/--ttl must be a duration/)
    await expect(runTokenCommand(['--doc', 'a', '--right', 'edit'], {})).rejects.toThrow(/no secret: set COEDIT_SECRET or pass --secret-file/)
    await expect(runTokenCommand(['--doc', 'a', '--right', 'edit'], { COEDIT_SECRET: 'short' })).rejects.toThrow(/at least 32/)
  })
})
