import { test, expect, openAs, newDocumentUrl } from './fixtures.js'
import { isSubsequence, placeCaret } from './helpers.js'

test('editing offline continues, survives a reload, and merges on reconnect', async ({ browser, coedit }) => {
  const url = await newDocumentUrl(coedit)
  const alice = await openAs(browser, 'Alice', url)
  await alice.editor.click()
  await alice.page.keyboard.type('line one\nline two\n')
  const bob = await openAs(browser, 'Bob', url)
  await expect(bob.editor).toHaveValue('line one\nline two\n')
  // The app shell must be cached before the network goes, or a reload cannot load the page.
  await bob.page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined))

  await bob.context.setOffline(true)
  await expect(bob.page.getByTestId('status')).toHaveAttribute('data-status', 'offline')
  await placeCaret(bob, 'line one'.length)
  await bob.page.keyboard.type(' (bob, offline)')
  await placeCaret(alice, 'line one\nline two'.length)
  await alice.page.keyboard.type(' (alice, online)')
  await expect(bob.editor).toHaveValue('line one (bob, offline)\nline two\n')

  // Reload while still offline: the page comes from the cache, the text from IndexedDB.
  await bob.page.reload()
  await expect(bob.editor).toHaveValue('line one (bob, offline)\nline two\n')
  await expect(bob.page.getByTestId('status')).toHaveAttribute('data-status', 'offline')
  await placeCaret(bob, 0)
  await bob.page.keyboard.type('>> ')

  await bob.context.setOffline(false)
  await expect(bob.page.getByTestId('status')).toHaveAttribute('data-status', 'connected')
  const merged = '>> line one (bob, offline)\nline two (alice, online)\n'
  await expect(alice.editor).toHaveValue(merged)
  await expect(bob.editor).toHaveValue(merged)
  expect(isSubsequence(' (bob, offline)', merged)).toBe(true)
})

test('an edit made offline is kept on this device even when the tab is closed as soon as the key shows', async ({ browser, coedit }) => {
  const url = await newDocumentUrl(coedit)
  const alice = await openAs(browser, 'Alice', url)
  await alice.editor.click()
  await alice.page.keyboard.type('online part.')
  await alice.page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined))
  await alice.context.setOffline(true)
  await expect(alice.page.getByTestId('status')).toHaveAttribute('data-status', 'offline')
  // The local copy is written behind the frame that shows a key: closing the tab as soon as
  // the last key is on screen must not lose it.
  await alice.page.keyboard.type(' offline part.')
  await alice.page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)))
  await alice.page.close({ runBeforeUnload: true })
  const again = await alice.context.newPage()
  await again.goto(url)
  await expect(again.getByRole('textbox', { name: 'Document text' })).toHaveValue('online part. offline part.')
})
