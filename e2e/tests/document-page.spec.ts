// The document page: the connection-lost banner, print, the shared title and open-mode view links.
import { test, expect, openAs, newDocumentUrl, ARTIFACTS } from './fixtures.js'

test('losing the server: a banner after 2 s says edits are kept here and counts them; presence says others are unknown; it goes when the server is back', async ({
  browser,
  coedit,
}) => {
  const url = await newDocumentUrl(coedit)
  const ada = await openAs(browser, 'Ada', url, '#c62f3e')
  const ben = await openAs(browser, 'Ben', url, '#2e7d32')
  await expect(ada.page.getByTestId('person')).toHaveCount(2)
  await expect(ada.page.getByTestId('connection-lost')).toHaveCount(0)
  await coedit.stop()
  const banner = ada.page.getByTestId('connection-lost')
  await expect(banner).toContainText('The connection to the server is lost')
  await expect(ada.page.getByTestId('presence')).toContainText('Others cannot be seen while offline')
  await ada.editor.click()
  await ada.page.keyboard.type('abc')
  await expect(banner).toContainText('(3 edits waiting)')
  await ada.page.screenshot({ path: `${ARTIFACTS}/connection-lost.png` })
  await coedit.start()
  await expect(banner).toHaveCount(0, { timeout: 20_000 })
  await expect(ben.editor).toHaveValue('abc')
})

test('printing gives the title and the whole text, down to the last paragraph, and nothing else', async ({ browser, coedit }) => {
  const url = await newDocumentUrl(coedit)
  const paragraphs = Array.from({ length: 60 }, (_, i) => `Paragraph ${i + 1}: ${'words '.repeat(30)}`)
  const id = url.split('/d/')[1]!
  await fetch(`${coedit.url}/api/docs/${id}/text`, { method: 'PUT', body: `Annual report\n${paragraphs.join('\n')}\nThe very last paragraph.` })
  const ada = await openAs(browser, 'Ada', url, '#c62f3e')
  await expect(ada.editor).toHaveValue(/The very last paragraph\.$/)
  await ada.page.emulateMedia({ media: 'print' })
  const copy = ada.page.locator('.print-copy')
  await expect(copy.getByRole('heading', { name: 'Annual report' })).toBeVisible()
  await expect(copy).toContainText('The very last paragraph.')
  await expect(ada.editor).toBeHidden()
  await expect(ada.page.getByRole('button', { name: 'Copy link' })).toBeHidden()
  await ada.page.screenshot({ path: `${ARTIFACTS}/print.png`, fullPage: true })
  await ada.page.emulateMedia({ media: 'screen' })
  await expect(ada.editor).toBeVisible()
})

test('the title is a field of the document: one person names it, everyone sees it in the page, the tab and Recent; empty, the first line stands in', async ({
  browser,
  coedit,
}) => {
  const url = await newDocumentUrl(coedit)
  const id = url.split('/d/')[1]!
  const ada = await openAs(browser, 'Ada', url, '#c62f3e')
  const ben = await openAs(browser, 'Ben', url, '#2e7d32')
  await ada.editor.click()
  await ada.page.keyboard.type('first line of the text\nmore')
  await expect(ben.page).toHaveTitle('first line of the text · Coedit')
  const title = ada.page.getByRole('textbox', { name: 'Document title' })
  await title.fill('Budget 2027')
  await title.press('Enter')
  await expect(ben.page.getByRole('textbox', { name: 'Document title' })).toHaveValue('Budget 2027')
  await expect(ben.page).toHaveTitle('Budget 2027 · Coedit')
  // The text is untouched: the first line no longer names the document for everyone.
  await expect(ben.editor).toHaveValue('first line of the text\nmore')
  expect(((await (await fetch(`${coedit.url}/api/docs/${id}`)).json()) as { title: string }).title).toBe('Budget 2027')
  await ben.page.goto(coedit.url)
  await expect(ben.page.getByRole('link', { name: /Budget 2027/ })).toBeVisible()
  await title.fill('')
  await expect(ada.page).toHaveTitle('first line of the text · Coedit')
})

test('open mode: a view link opens the document read-only and live, and does not lead to the edit link', async ({ browser, coedit }) => {
  const url = await newDocumentUrl(coedit)
  const id = url.split('/d/')[1]!
  const ada = await openAs(browser, 'Ada', url, '#c62f3e')
  await ada.context.grantPermissions(['clipboard-read', 'clipboard-write'])
  await ada.editor.click()
  await ada.page.keyboard.type('Agenda: budget')
  await ada.page.getByRole('button', { name: 'Copy view link' }).click()
  // The clipboard itself, not the 2 s "Link copied" label, which a loaded machine can miss.
  await expect.poll(() => ada.page.evaluate(() => navigator.clipboard.readText())).toMatch(new RegExp(`^${coedit.url}/v/[A-Za-z0-9_-]{22}$`))
  const viewUrl = await ada.page.evaluate(() => navigator.clipboard.readText())
  expect(viewUrl).not.toContain(id)

  const vic = await openAs(browser, 'Vic', viewUrl, '#2e7d32')
  await expect(vic.editor).toHaveValue('Agenda: budget')
  await expect(vic.page.getByTestId('view-only')).toBeVisible()
  await expect(vic.editor).toHaveAttribute('readonly', '')
  await ada.editor.click()
  await ada.page.keyboard.press('Control+End')
  await ada.page.keyboard.type(', hiring')
  await expect(vic.editor).toHaveValue('Agenda: budget, hiring')
  // Nothing the viewer's page holds or asks for names the document.
  expect(vic.page.url()).not.toContain(id)
  expect(await vic.page.content()).not.toContain(id)
  await vic.page.getByRole('button', { name: 'History' }).click()
  await expect(vic.page.getByRole('button', { name: 'Name current version…' })).toHaveCount(0)
  await expect(vic.page.getByRole('button', { name: 'Copy link', exact: true })).toHaveCount(0)
  await vic.page.screenshot({ path: `${ARTIFACTS}/open-mode-view-link.png` })
  // Ada sees the viewer among the people here.
  await expect(ada.page.locator('[data-testid="person"][data-name="Vic"]')).toBeVisible()
})
