import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { test, expect, openAs, CLI, E2E_SECRET, ARTIFACTS } from './fixtures.js'

/**
 * An edit link, printed by `coedit token` as the server's operator would, for a document the
 * the operator has created (an empty append with that token creates it, and changes nothing after).
 */
async function editLink(serverUrl: string, doc: string): Promise<string> {
  const out = execFileSync(process.execPath, [CLI, 'token', '--doc', doc, '--right', 'edit', '--ttl', '1h', '--public-url', serverUrl], {
    env: { ...process.env, COEDIT_SECRET: E2E_SECRET },
    encoding: 'utf8',
  })
  const url = /^url +(\S+)$/m.exec(out)?.[1]
  const token = /^token +(\S+)$/m.exec(out)?.[1]
  if (!url || !token) throw new Error(`coedit token printed no url: ${out}`)
  const created = await fetch(`${serverUrl}/api/docs/${doc}/append`, { method: 'POST', body: '', headers: { authorization: `Bearer ${token}` } })
  expect(created.status).toBe(200)
  return url
}

test('an edit-link holder and a view-link holder: the viewer follows live, is seen, cannot type', async ({ browser, securedCoedit }) => {
  const doc = `minutes-${Date.now().toString(36)}`
  const editor = await openAs(browser, 'Edith', await editLink(securedCoedit.url, doc), '#c62f3e')
  // The token leaves the address bar once the page has it.
  expect(editor.page.url()).toBe(`${securedCoedit.url}/d/${doc}`)
  await editor.editor.click()
  await editor.page.keyboard.type('Minutes of the weekly call\n')

  await editor.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: securedCoedit.url })
  await expect(editor.page.getByRole('button', { name: 'Copy edit link' })).toBeVisible()
  await editor.page.getByRole('button', { name: 'Copy view link' }).click()
  // The clipboard itself, not the 2 s "Link copied" label, which a loaded machine can miss.
  await expect
    .poll(() => editor.page.evaluate(() => navigator.clipboard.readText()))
    .toMatch(new RegExp(`^${securedCoedit.url}/d/${doc}#token=[\\w-]+\\.[\\w-]+\\.[\\w-]+$`))
  const viewLink = await editor.page.evaluate(() => navigator.clipboard.readText())

  const viewer = await openAs(browser, 'Victor', viewLink, '#1f6fc5')
  await expect(viewer.page.getByTestId('view-only')).toHaveText('View only')
  await expect(editor.page.getByTestId('view-only')).toHaveCount(0)
  await expect(viewer.editor).toHaveValue('Minutes of the weekly call\n')
  await expect(viewer.editor).toHaveAttribute('readonly', '')
  await expect(viewer.page.getByRole('button', { name: 'Copy edit link' })).toHaveCount(0)
  await expect(viewer.page.getByRole('button', { name: 'Copy view link' })).toBeVisible()

  // Presence both ways, the viewer's caret included.
  await expect(viewer.page.getByTestId('presence').locator('[data-name="Edith"]')).toBeVisible()
  await expect(editor.page.getByTestId('presence').locator('[data-name="Victor"]')).toBeVisible()
  await viewer.editor.evaluate((el: HTMLTextAreaElement) => {
    el.focus()
    el.setSelectionRange(0, 7)
  })
  await expect(editor.page.locator('.coedit-remote-selection', { hasText: 'Minutes' })).toBeVisible()

  // Live edits reach the viewer; the viewer's key presses change nothing anywhere.
  await editor.editor.focus()
  await editor.page.keyboard.press('Control+End')
  await editor.page.keyboard.type('- budget approved')
  await expect(viewer.editor).toHaveValue('Minutes of the weekly call\n- budget approved')
  await viewer.editor.click()
  await viewer.page.keyboard.type('VIEWER WAS HERE')
  await viewer.page.keyboard.press('Backspace')
  await editor.page.keyboard.type('\n- next call Friday')
  const expected = 'Minutes of the weekly call\n- budget approved\n- next call Friday'
  await expect(viewer.editor).toHaveValue(expected)
  await expect(editor.editor).toHaveValue(expected)
  await viewer.page.screenshot({ path: join(ARTIFACTS, 'view-only.png') })

  // Without a link, the document does not open.
  const stranger = await openAs(browser, 'Stranger', `${securedCoedit.url}/d/${doc}`, '#2e7d32', { waitForConnection: false })
  await expect(stranger.page.getByRole('alert')).toContainText('only opens documents from a shared link')
  await expect(stranger.editor).toHaveCount(0)
  await expect(editor.page.getByTestId('presence').locator('[data-name="Stranger"]')).toHaveCount(0)
  await stranger.page.goto(securedCoedit.url)
  await expect(stranger.page.getByTestId('token-mode-note')).toContainText('coedit token')
  await expect(stranger.page.getByRole('button', { name: 'New document' })).toHaveCount(0)
})

test('resetting links: everyone on an old link is told it was revoked, the one who reset keeps editing with a fresh link', async ({
  browser,
  securedCoedit,
}) => {
  const doc = `plans-${Date.now().toString(36)}`
  const owner = await openAs(browser, 'Olga', await editLink(securedCoedit.url, doc), '#c62f3e')
  const leaked = await openAs(browser, 'Lars', await editLink(securedCoedit.url, doc), '#1f6fc5')
  await owner.editor.click()
  await owner.page.keyboard.type('Draft plan')
  await expect(leaked.editor).toHaveValue('Draft plan')

  await owner.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: securedCoedit.url })
  owner.page.once('dialog', (dialog) => {
    expect(dialog.message()).toContain('Every link shared so far stops working')
    void dialog.accept()
  })
  const resetAt = Date.now()
  await owner.page.getByRole('button', { name: 'Reset links' }).click()
  await expect(owner.page.getByTestId('reset-result')).toContainText('Links reset')

  // The holder of an old link is disconnected and told why, within 3 s.
  await expect(leaked.page.getByRole('alert')).toContainText('This link was revoked', { timeout: 3_000 })
  console.log(`reset to "revoked" shown in the other browser: ${Date.now() - resetAt} ms`)
  await expect(leaked.editor).toHaveCount(0)
  await leaked.page.screenshot({ path: join(ARTIFACTS, 'link-revoked.png') })

  // The owner is back on the fresh link and keeps editing; the fresh link opens the document.
  await expect(owner.page.getByTestId('status')).toHaveAttribute('data-status', 'connected')
  await expect(owner.page.getByRole('alert')).toHaveCount(0)
  const freshLink = await owner.page.getByRole('textbox', { name: 'New edit link' }).inputValue()
  expect(await owner.page.evaluate(() => navigator.clipboard.readText())).toBe(freshLink)
  await owner.page.screenshot({ path: join(ARTIFACTS, 'links-reset.png') })
  await owner.page.getByRole('button', { name: 'Done' }).click()
  await owner.editor.click()
  await owner.page.keyboard.press('Control+End')
  await owner.page.keyboard.type(', revised')
  const newcomer = await openAs(browser, 'Nina', freshLink, '#2e7d32')
  await expect(newcomer.editor).toHaveValue('Draft plan, revised')
  // A reload of the owner's page uses the kept fresh token, not the revoked one.
  await owner.page.reload()
  await expect(owner.page.getByTestId('status')).toHaveAttribute('data-status', 'connected')
  await expect(owner.editor).toHaveValue('Draft plan, revised')
})
