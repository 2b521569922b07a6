import { join } from 'node:path'
import { test, expect, openAs, newDocumentUrl, ARTIFACTS } from './fixtures.js'
import { placeCaret } from './helpers.js'

test('everyone sees everyone, with remote carets; a closed tab disappears within seconds', async ({ browser, coedit }) => {
  const url = await newDocumentUrl(coedit)
  const alice = await openAs(browser, 'Alice', url, '#c62f3e')
  await alice.editor.click()
  await alice.page.keyboard.type('Notes for the launch\n\nAlice: write the announcement.\nBob: check the numbers.\nCarol: book the room.\n')
  const bob = await openAs(browser, 'Bob', url, '#1f6fc5')
  const carol = await openAs(browser, 'Carol', url, '#2e7d32')
  const people = [alice, bob, carol]

  for (const person of people) {
    const bar = person.page.getByTestId('presence')
    for (const name of ['Alice', 'Bob', 'Carol']) await expect(bar.locator(`[data-name="${name}"]`)).toBeVisible()
    await expect(bar.locator(`[data-name="${person.name}"]`)).toContainText('you')
  }

  // Bob selects a word, Carol puts her caret at the end of her line.
  const text = await alice.editor.inputValue()
  await bob.editor.evaluate(
    (el: HTMLTextAreaElement, [s, e]) => {
      el.focus()
      el.setSelectionRange(s, e)
    },
    [text.indexOf('numbers'), text.indexOf('numbers') + 'numbers'.length] as const,
  )
  await placeCaret(carol, text.indexOf('room.') + 'room.'.length)
  await carol.page.keyboard.type(' 3pm?')
  await expect(alice.page.locator('.coedit-remote-caret-label', { hasText: 'Bob' })).toBeVisible()
  await expect(alice.page.locator('.coedit-remote-caret-label', { hasText: 'Carol' })).toBeVisible()
  await expect(alice.page.locator('.coedit-remote-selection', { hasText: 'numbers' })).toBeVisible()
  await expect(bob.page.locator('.coedit-remote-caret-label', { hasText: 'Carol' })).toBeVisible()
  await alice.editor.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(el.value.indexOf('announcement'), el.value.indexOf('announcement')))
  await alice.page.screenshot({ path: join(ARTIFACTS, 'three-people.png') })

  // A carets follows its person's typing.
  const before = await alice.page.locator('.coedit-remote-caret', { hasText: 'Carol' }).boundingBox()
  await carol.page.keyboard.type(' Or 4pm, whichever is free.')
  await expect.poll(async () => (await alice.page.locator('.coedit-remote-caret', { hasText: 'Carol' }).boundingBox())?.x).not.toBe(before?.x)

  const closedAt = Date.now()
  await carol.context.close()
  for (const person of [alice, bob]) await expect(person.page.getByTestId('presence').locator('[data-name="Carol"]')).toHaveCount(0, { timeout: 5_000 })
  console.log(`closing a tab removed its person from the others in ${Date.now() - closedAt} ms`)
  await expect(alice.page.locator('.coedit-remote-caret-label', { hasText: 'Carol' })).toHaveCount(0)
})

test('a person can change their name and colour, and others see it', async ({ browser, coedit }) => {
  const url = await newDocumentUrl(coedit)
  const alice = await openAs(browser, 'Alice', url)
  const bob = await openAs(browser, 'Bob', url)
  await alice.page.getByRole('button', { name: /You are Alice/ }).click()
  const nameField = alice.page.getByRole('textbox', { name: 'Your name' })
  await nameField.fill('Alice Liddell')
  await alice.page.getByRole('button', { name: 'Save' }).click()
  await expect(bob.page.getByTestId('presence').locator('[data-name="Alice Liddell"]')).toBeVisible()
  // Remembered in this browser.
  await alice.page.reload()
  await expect(alice.page.getByTestId('presence').locator('[data-name="Alice Liddell"]')).toContainText('you')
})
