import { test, expect, openAs, newDocumentUrl, textOf } from './fixtures.js'
import { caretContext, isSubsequence, placeCaret } from './helpers.js'

test('three people typing at once, at different places and at the same place, end with the same text', async ({ browser, coedit }) => {
  const url = await newDocumentUrl(coedit)
  const alice = await openAs(browser, 'Alice', url, '#c62f3e')
  await alice.editor.click()
  await alice.page.keyboard.type('first line\nsecond line\n')
  const bob = await openAs(browser, 'Bob', url, '#1f6fc5')
  const carol = await openAs(browser, 'Carol', url, '#2e7d32')
  await expect(bob.editor).toHaveValue('first line\nsecond line\n')
  await expect(carol.editor).toHaveValue('first line\nsecond line\n')

  // Alice and Carol both at the end of line one, Bob at the end of line two.
  await placeCaret(alice, 'first line'.length)
  await placeCaret(carol, 'first line'.length)
  await placeCaret(bob, 'first line\nsecond line'.length)
  const typed = { alice: ' [alice 0123456789]', bob: ' {bob abcdefghij}', carol: ' (carol klmnopqrst)' }
  await Promise.all([
    alice.page.keyboard.type(typed.alice, { delay: 15 }),
    bob.page.keyboard.type(typed.bob, { delay: 15 }),
    carol.page.keyboard.type(typed.carol, { delay: 15 }),
  ])

  const expectedLength = 'first line\nsecond line\n'.length + typed.alice.length + typed.bob.length + typed.carol.length
  await expect.poll(async () => (await Promise.all([alice, bob, carol].map(textOf))).every((t) => t.length === expectedLength), { timeout: 15_000 }).toBe(true)
  await expect.poll(async () => new Set(await Promise.all([alice, bob, carol].map(textOf))).size).toBe(1)
  const final = await textOf(alice)
  expect(isSubsequence(typed.alice, final)).toBe(true)
  expect(isSubsequence(typed.bob, final)).toBe(true)
  expect(isSubsequence(typed.carol, final)).toBe(true)
  // Bob typed alone on line two, so his text is there in one piece.
  expect(final.split('\n')[1]).toBe(`second line${typed.bob}`)
})

test("a person's caret stays on the same text while others insert before it", async ({ browser, coedit }) => {
  const url = await newDocumentUrl(coedit)
  const alice = await openAs(browser, 'Alice', url)
  await alice.editor.click()
  await alice.page.keyboard.type('alpha beta target gamma')
  const bob = await openAs(browser, 'Bob', url)
  await expect(bob.editor).toHaveValue('alpha beta target gamma')

  // Alice's caret inside "target", between "tar" and "get".
  await placeCaret(alice, 'alpha beta tar'.length)
  await placeCaret(bob, 0)
  await bob.page.keyboard.type('Bob was here first. ', { delay: 10 })
  await bob.page.keyboard.press('Enter')
  await expect(alice.editor).toHaveValue('Bob was here first. \nalpha beta target gamma')
  expect(await caretContext(alice, 3, 3)).toBe('tar|get')
  // And her next keystroke lands there.
  await alice.page.keyboard.type('X')
  await expect(bob.editor).toHaveValue('Bob was here first. \nalpha beta tarXget gamma')
})

test("undo reverts only this person's last edit, for everyone", async ({ browser, coedit }) => {
  const url = await newDocumentUrl(coedit)
  const alice = await openAs(browser, 'Alice', url)
  const bob = await openAs(browser, 'Bob', url)
  const carol = await openAs(browser, 'Carol', url)
  await alice.editor.click()
  await alice.page.keyboard.type('shared start\n')
  await expect(bob.editor).toHaveValue('shared start\n')
  await placeCaret(bob, 'shared start\n'.length)
  // One input each: typed key by key, a pause over the 500 ms capture window on a busy machine
  // would split the line into two undo steps, which is not what this test is about.
  await bob.page.keyboard.insertText('bob line\n')
  await expect(alice.editor).toHaveValue('shared start\nbob line\n')
  // Alice's newest edit comes after Bob's, so a plain text-undo would remove his.
  await placeCaret(alice, 0)
  await alice.page.keyboard.insertText('ALICE ')
  await expect(carol.editor).toHaveValue('ALICE shared start\nbob line\n')

  await alice.page.keyboard.press('Control+z')
  for (const person of [alice, bob, carol]) await expect(person.editor).toHaveValue('shared start\nbob line\n')
  await alice.page.keyboard.press('Control+Shift+z')
  for (const person of [alice, bob, carol]) await expect(person.editor).toHaveValue('ALICE shared start\nbob line\n')
  // Bob's undo takes back his line only.
  await bob.editor.focus()
  await bob.page.keyboard.press('Control+z')
  for (const person of [alice, bob, carol]) await expect(person.editor).toHaveValue('ALICE shared start\n')
})

test('paste, cut and replacing a selection reach the others as the same text', async ({ browser, coedit }) => {
  const url = await newDocumentUrl(coedit)
  const alice = await openAs(browser, 'Alice', url)
  await alice.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: coedit.url })
  const bob = await openAs(browser, 'Bob', url)
  await alice.editor.click()
  await alice.page.keyboard.type('one two three')
  await expect(bob.editor).toHaveValue('one two three')

  // Select "two", cut it, paste it at the end.
  await alice.editor.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(4, 8))
  await alice.page.keyboard.press('Control+x')
  await expect(bob.editor).toHaveValue('one three')
  await alice.editor.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(el.value.length, el.value.length))
  await alice.page.keyboard.type(' ')
  await alice.page.keyboard.press('Control+v')
  await expect(bob.editor).toHaveValue('one three two ')

  // Replace a selection by typing over it.
  await alice.editor.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(0, 3))
  await alice.page.keyboard.type('ONE')
  await expect(bob.editor).toHaveValue('ONE three two ')
})
