import { test, expect, openAs, newDocumentUrl } from './fixtures.js'
import { placeCaret } from './helpers.js'

test('a server restart mid-session: editors show connecting, reconnect, and keep every edit', async ({ browser, coedit }) => {
  const url = await newDocumentUrl(coedit)
  const alice = await openAs(browser, 'Alice', url)
  const bob = await openAs(browser, 'Bob', url)
  await alice.editor.click()
  await alice.page.keyboard.type('before the restart\n')
  await expect(bob.editor).toHaveValue('before the restart\n')

  await coedit.stop()
  for (const person of [alice, bob]) await expect(person.page.getByTestId('status')).toHaveAttribute('data-status', 'connecting')
  // Both keep writing while the server is away.
  await placeCaret(alice, 'before the restart\n'.length)
  await alice.page.keyboard.type('alice during outage\n')
  await placeCaret(bob, 0)
  await bob.page.keyboard.type('bob during outage\n')

  await coedit.start()
  for (const person of [alice, bob]) await expect(person.page.getByTestId('status')).toHaveAttribute('data-status', 'connected', { timeout: 20_000 })
  const expected = 'bob during outage\nbefore the restart\nalice during outage\n'
  await expect(alice.editor).toHaveValue(expected)
  await expect(bob.editor).toHaveValue(expected)

  // A newcomer with nothing cached gets it all from the server.
  const carol = await openAs(browser, 'Carol', url)
  await expect(carol.editor).toHaveValue(expected)
})
