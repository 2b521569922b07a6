import { test, expect, openAs, newDocumentUrl, ARTIFACTS } from './fixtures.js'

test('Open a file… and dropping a .md file on the home page each make a new stored document with its text', async ({ page, coedit }) => {
  await page.goto(coedit.url)
  await page.screenshot({ path: `${ARTIFACTS}/home.png` })
  await page.getByLabel('Text file to open as a new document').setInputFiles({
    name: 'minutes.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('Minutes of Monday\n- budget agreed\n- café opens at 9\n'),
  })
  await expect(page).toHaveURL(/\/d\/[A-Za-z0-9_-]{22}$/)
  const editor = page.getByRole('textbox', { name: 'Document text' })
  await expect(editor).toHaveValue('Minutes of Monday\n- budget agreed\n- café opens at 9\n')
  const id = page.url().split('/d/')[1]!
  expect(await (await fetch(`${coedit.url}/api/docs/${id}/text`)).text()).toBe('Minutes of Monday\n- budget agreed\n- café opens at 9\n')

  await page.goto(coedit.url)
  // A file dropped from the desktop arrives as a drop event carrying it.
  await page.getByTestId('drop-zone').evaluate((zone) => {
    const data = new DataTransfer()
    data.items.add(new File(['# Plan\n\nShip the API.\n'], 'plan.md', { type: 'text/markdown' }))
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }))
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }))
  })
  await expect(page).toHaveURL(/\/d\/[A-Za-z0-9_-]{22}$/)
  expect(page.url().split('/d/')[1]).not.toBe(id)
  await expect(page.getByRole('textbox', { name: 'Document text' })).toHaveValue('# Plan\n\nShip the API.\n')

  // Something that is not text is refused with a reason, and nothing is created.
  await page.goto(coedit.url)
  await page
    .getByLabel('Text file to open as a new document')
    .setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47]) })
  await expect(page.getByRole('alert')).toContainText('photo.png is not a text file')
  await expect(page).toHaveURL(`${coedit.url}/`)
})

test('deleting a document: both people are told, the copy in the browser is gone, and a reload cannot bring it back', async ({ browser, coedit }) => {
  const url = await newDocumentUrl(coedit)
  const ada = await openAs(browser, 'Ada', url, '#c62f3e')
  await ada.editor.click()
  await ada.page.keyboard.type('soon to be gone')
  const ben = await openAs(browser, 'Ben', url, '#1f6fc5')
  await expect(ben.editor).toHaveValue('soon to be gone')
  // Cy is offline when it happens, and keeps the page open.
  const cy = await openAs(browser, 'Cy', url, '#2e7d32')
  await expect(cy.editor).toHaveValue('soon to be gone')
  await cy.context.setOffline(true)

  ada.page.once('dialog', (dialog) => {
    expect(dialog.message()).toContain('Delete')
    void dialog.accept()
  })
  await ada.page.getByText('Document', { exact: true }).click()
  await ada.page.getByRole('menuitem', { name: 'Delete document…' }).click()
  for (const person of [ada, ben]) {
    await expect(person.page.getByRole('alert')).toContainText('This document was deleted')
    await expect(person.editor).toHaveCount(0)
  }
  await ben.page.screenshot({ path: `${ARTIFACTS}/document-deleted.png` })
  // Back online, Cy's editor learns it too (the upgrade is refused with 410) and drops its copy.
  await cy.context.setOffline(false)
  await expect(cy.page.getByRole('alert')).toContainText('This document was deleted', { timeout: 15_000 })
  expect((await fetch(`${url.replace('/d/', '/api/docs/')}/text`)).status).toBe(410)

  // Ben reloads: his browser kept no copy to resurrect it from, and the server says it is gone.
  await ben.page.reload()
  await expect(ben.page.getByRole('alert')).toContainText('This document was deleted')
  expect((await fetch(`${url.replace('/d/', '/api/docs/')}/text`)).status).toBe(410)
  // And it left Ben's recent documents.
  await ben.page.goto(coedit.url)
  await expect(ben.page.getByRole('link', { name: /soon to be gone/ })).toHaveCount(0)
})

test('a link to a document that was never stored says so and offers to create it; an untouched new document stays out of Recent', async ({ page, coedit }) => {
  const id = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url')
  await page.goto(`${coedit.url}/d/${id}`)
  await expect(page.getByRole('alert')).toContainText('There is no document at this address')
  await expect(page.getByRole('textbox', { name: 'Document text' })).toHaveCount(0)
  await page.screenshot({ path: `${ARTIFACTS}/missing-document.png` })
  expect((await fetch(`${coedit.url}/api/docs/${id}`)).status).toBe(404)
  await page.getByRole('button', { name: 'Create it' }).click()
  const editor = page.getByRole('textbox', { name: 'Document text' })
  await expect(page.getByTestId('status')).toHaveAttribute('data-status', 'connected')
  await editor.click()
  await page.keyboard.type('made on purpose')
  await expect.poll(async () => (await fetch(`${coedit.url}/api/docs/${id}/text`)).text()).toBe('made on purpose')

  // New document, then home without typing: not listed; the typed one is.
  await page.goto(coedit.url)
  await page.getByRole('button', { name: 'New document' }).click()
  await expect(page).toHaveURL(/\/d\/[A-Za-z0-9_-]{22}$/)
  await expect(page.getByRole('textbox', { name: 'Document text' })).toBeVisible()
  await page.goto(coedit.url)
  await expect(page.getByRole('link', { name: /made on purpose/ })).toBeVisible()
  await expect(page.getByRole('link', { name: /Untitled/ })).toHaveCount(0)
})
