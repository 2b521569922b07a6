import { test, expect, openAs } from './fixtures.js'

test('New document, Copy link, and a second person opens the copied link', async ({ browser, coedit }) => {
  const context = await browser.newContext()
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: coedit.url })
  const page = await context.newPage()
  await page.goto(coedit.url)
  await page.getByRole('button', { name: 'New document' }).click()
  await expect(page).toHaveURL(/\/d\/[A-Za-z0-9_-]{22}$/)
  // The document is stored before anyone types: the link works from the first moment.
  const created = await fetch(`${coedit.url}/api/docs/${page.url().split('/d/')[1]!}`)
  expect(created.status).toBe(200)
  const editor = page.getByRole('textbox', { name: 'Document text' })
  await editor.click()
  await page.keyboard.type('Shared shopping list\n- bread\n- tea')
  await expect(page).toHaveTitle('Shared shopping list · Coedit')
  await expect(page.getByTestId('char-count')).toHaveText('34 characters')
  await expect(page.getByTestId('word-count')).toHaveText('7 words')

  const copyButton = page.getByRole('button', { name: 'Copy link' })
  const widthBefore = (await copyButton.boundingBox())!.width
  // The label changes, the bar does not shift. "Link copied" shows for 2 s, which a loaded
  // machine can spend between two calls, so its width is read in the page the frame it shows.
  const widthCopied = copyButton.evaluate(
    (button) =>
      new Promise<number>((resolve, reject) => {
        const gaveUp = setTimeout(() => reject(new Error('the button never said "Link copied"')), 30_000)
        const read = (): void => {
          if (button.querySelector('span[aria-hidden="false"]')?.textContent !== 'Link copied') return void requestAnimationFrame(read)
          clearTimeout(gaveUp)
          resolve(button.getBoundingClientRect().width)
        }
        read()
      }),
  )
  await copyButton.click()
  // Seen in the page, frame by frame: a check from here can land after the 2 s are over
  // (it did once, with the big-document tests running beside it).
  expect(await widthCopied).toBe(widthBefore)
  const link = await page.evaluate(() => navigator.clipboard.readText())
  expect(link).toBe(page.url())

  const friend = await openAs(browser, 'Friend', link)
  await expect(friend.editor).toHaveValue('Shared shopping list\n- bread\n- tea')

  // Home lists the document as recently opened.
  await page.goto(coedit.url)
  await expect(page.getByRole('link', { name: /Shared shopping list/ })).toBeVisible()

  await page.getByRole('link', { name: /Shared shopping list/ }).click()
  await expect(editor).toHaveValue('Shared shopping list\n- bread\n- tea')
  const { readFileSync } = await import('node:fs')
  for (const kind of ['txt', 'md']) {
    const download = page.waitForEvent('download')
    await page.getByText('Document', { exact: true }).click()
    await page.getByRole('menuitem', { name: `Download .${kind}` }).click()
    const file = await download
    expect(file.suggestedFilename()).toBe(`shared-shopping-list.${kind}`)
    expect(readFileSync((await file.path())!, 'utf8')).toBe('Shared shopping list\n- bread\n- tea')
  }
})

test('when the browser refuses to copy, the link is shown selected to copy by hand', async ({ browser, coedit }) => {
  const context = await browser.newContext()
  // Both ways the page copies fail, as on plain http to a LAN address with the fallback blocked.
  await context.addInitScript(() => {
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: () => Promise.reject(new Error('not allowed')) } })
    document.execCommand = () => false
  })
  const page = await context.newPage()
  await page.goto(coedit.url)
  await page.getByRole('button', { name: 'New document' }).click()
  await expect(page).toHaveURL(/\/d\/[A-Za-z0-9_-]{22}$/)
  await page.getByRole('button', { name: 'Copy link' }).click()
  const field = page.getByRole('textbox', { name: 'The link' })
  await expect(field).toHaveValue(page.url())
  await expect(field).toBeFocused()
  expect(await field.evaluate((input: HTMLInputElement) => input.value.slice(input.selectionStart!, input.selectionEnd!))).toBe(page.url())
  await page.getByRole('button', { name: 'Done' }).click()
  await expect(field).toBeHidden()
  // The view link too, once the server has made it.
  await page.getByRole('button', { name: 'Copy view link' }).click()
  await expect(page.getByRole('textbox', { name: 'The view link' })).toHaveValue(new RegExp(`^${coedit.url}/v/[^/]+$`))
  await context.close()
})

test('a link with a malformed document id gets a clear message, not a blank editor', async ({ page, coedit }) => {
  await page.goto(`${coedit.url}/d/not valid!`)
  await expect(page.getByRole('heading', { name: 'This link does not point to a document' })).toBeVisible()
  await expect(page.getByRole('textbox', { name: 'Document text' })).toHaveCount(0)
})
