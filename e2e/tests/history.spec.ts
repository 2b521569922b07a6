import { test, expect, openAs, newDocumentUrl, ARTIFACTS, type Person } from './fixtures.js'

/** The author highlights drawn in a person's editor: [text, colour] per span. */
function authorSpans(person: Person): Promise<Array<[string, string]>> {
  return person.page
    .locator('.coedit-cursors .coedit-author')
    .evaluateAll((spans) => spans.map((s) => [s.textContent ?? '', (s as HTMLElement).style.backgroundColor]))
}

test('history: versions cut by pauses name their authors; authors coloured live; a named version previewed, restored for both and undone by its restorer', async ({
  browser,
  historyCoedit,
}) => {
  const url = await newDocumentUrl(historyCoedit)
  const id = url.split('/d/')[1]!
  const versions = async (): Promise<Array<{ name: string | null; authors: string[] }>> =>
    ((await (await fetch(`${historyCoedit.url}/api/docs/${id}/versions`)).json()) as { versions: Array<{ name: string | null; authors: string[] }> }).versions
  const ada = await openAs(browser, 'Ada', url, '#c62f3e')
  const ben = await openAs(browser, 'Ben', url, '#1f6fc5')
  await ada.editor.click()
  // Each line arrives as one input: typed key by key, a stall of 2 s on a loaded machine (the
  // pause that cuts a version here) would split it into two versions.
  await ada.page.keyboard.insertText('Ada wrote this line.\n')
  await expect(ben.editor).toHaveValue('Ada wrote this line.\n')
  await expect.poll(async () => (await versions()).length, { timeout: 15_000 }).toBe(1)
  await ben.editor.click()
  await ben.page.keyboard.press('Control+End')
  await ben.page.keyboard.insertText('Ben added this.\n')
  await expect(ada.editor).toHaveValue('Ada wrote this line.\nBen added this.\n')
  await expect.poll(async () => (await versions()).length, { timeout: 15_000 }).toBe(2)

  // Ada opens History: two versions, newest first, each with who edited.
  await ada.page.getByRole('button', { name: 'History' }).click()
  const listed = ada.page.getByTestId('version')
  await expect(listed).toHaveCount(2)
  await expect(listed.nth(0)).toContainText('Ben')
  await expect(listed.nth(0)).not.toContainText('Ada')
  await expect(listed.nth(1)).toContainText('Ada')

  // Show authors: each line in its writer's colour, and what Ben types now joins his.
  await ada.page.getByLabel('Show authors').check()
  await expect
    .poll(() => authorSpans(ada))
    .toEqual([
      ['Ada wrote this line.\n', 'rgba(198, 47, 62, 0.18)'],
      ['Ben added this.\n', 'rgba(31, 111, 197, 0.18)'],
    ])
  await ben.page.keyboard.type('More from Ben.')
  await expect
    .poll(() => authorSpans(ada))
    .toEqual([
      ['Ada wrote this line.\n', 'rgba(198, 47, 62, 0.18)'],
      ['Ben added this.\nMore from Ben.', 'rgba(31, 111, 197, 0.18)'],
    ])
  await expect(ada.page.getByTestId('authors-legend')).toContainText('Ada')
  await expect(ada.page.getByTestId('authors-legend')).toContainText('Ben')
  await ada.page.screenshot({ path: `${ARTIFACTS}/history-authors.png` })
  await ada.page.getByLabel('Show authors').uncheck()
  await expect(ada.page.locator('.coedit-cursors .coedit-author')).toHaveCount(0)

  // Ada names the current state.
  await ada.page.getByRole('button', { name: 'Name current version…' }).click()
  await ada.page.getByLabel('Name for the current version').fill('Both of us')
  await ada.page.getByRole('button', { name: 'Save name' }).click()
  await expect(listed.nth(0)).toContainText('Both of us')

  // Ben wrecks the text; Ada looks at the named version: its text, with what changed since marked.
  await ben.editor.press('Control+a')
  await ben.page.keyboard.type('oops')
  await expect(ada.editor).toHaveValue('oops')
  await listed.filter({ hasText: 'Both of us' }).click()
  const preview = ada.page.getByTestId('version-text')
  await expect(preview.locator('del')).toContainText(['Ben added this.'])
  await expect(preview.locator('ins')).toContainText(['oops'])
  await expect(ada.editor).toBeHidden()
  await ada.page.screenshot({ path: `${ARTIFACTS}/history-preview.png` })

  // Restore: both have the text back, the list records it.
  await ada.page.getByRole('button', { name: 'Restore this version' }).click()
  const restored = 'Ada wrote this line.\nBen added this.\nMore from Ben.'
  await expect(ben.editor).toHaveValue(restored)
  await expect(ada.editor).toHaveValue(restored)
  await expect(listed.nth(0)).toContainText('Restored from “Both of us”')
  // The restore was Ada's own edit: her undo takes it back, for everyone, and redo brings it again.
  await ada.editor.focus()
  await ada.page.keyboard.press('Control+z')
  await expect(ben.editor).toHaveValue('oops')
  await ada.page.keyboard.press('Control+Shift+z')
  await expect(ben.editor).toHaveValue(restored)
})
