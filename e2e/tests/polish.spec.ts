import { execFileSync } from 'node:child_process'
import { test, expect, openAs, newDocumentUrl, ARTIFACTS, CLI, E2E_SECRET, type Person } from './fixtures.js'
import { placeCaret } from './helpers.js'

/** The colours the presence bar shows, by name. */
function colours(person: Person): Promise<Record<string, string>> {
  return person.page
    .getByTestId('person')
    .evaluateAll((items) =>
      Object.fromEntries(items.map((li) => [li.getAttribute('data-name') ?? '', (li.querySelector('.avatar') as HTMLElement).style.background])),
    )
}

test('six people who all chose blue, joining at once, end up in six colours; two tabs of one person show once', async ({ browser, coedit }) => {
  const url = await newDocumentUrl(coedit)
  const names = ['Ann', 'Bo', 'Cai', 'Dev', 'Eli', 'Fay']
  const people = await Promise.all(names.map((name) => openAs(browser, name, url, '#1f6fc5')))
  await expect(people[0]!.page.getByTestId('person')).toHaveCount(6)
  await expect
    .poll(async () => {
      const seen = await colours(people[0]!)
      return Object.keys(seen).length === 6 ? new Set(Object.values(seen)).size : 0
    })
    .toBe(6)
  // Screen readers hear who came (a polite live region).
  const second = await browser.newContext()
  await second.addInitScript(() => localStorage.setItem('coedit:identity', JSON.stringify({ name: 'Gus', color: '#5151c8' })))
  const gus = await second.newPage()
  await gus.goto(url)
  await expect(people[0]!.page.getByTestId('arrivals')).toHaveText('Gus joined')
  await second.close()
  await expect(people[0]!.page.getByTestId('arrivals')).toHaveText('Gus left', { timeout: 20_000 })
  // Everyone sees the same colours.
  const reference = await colours(people[0]!)
  for (const person of people.slice(1)) await expect.poll(() => colours(person)).toEqual(reference)

  // Ann opens the document in a second tab: still one Ann for the others.
  const secondTab = await people[0]!.context.newPage()
  await secondTab.goto(url)
  await expect(secondTab.getByTestId('status')).toHaveAttribute('data-status', 'connected')
  await expect(secondTab.getByTestId('person')).toHaveCount(6)
  await expect(people[1]!.page.getByTestId('person')).toHaveCount(6)
  await expect(people[1]!.page.locator('[data-testid="person"][data-name="Ann"]')).toHaveCount(1)
})

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

test('clicking someone in the presence bar scrolls to their caret', async ({ browser, coedit }) => {
  const url = await newDocumentUrl(coedit)
  const id = url.split('/d/')[1]!
  const text = Array.from({ length: 300 }, (_, i) => `line ${i + 1}`).join('\n')
  await fetch(`${coedit.url}/api/docs/${id}/text`, { method: 'PUT', body: text })
  const ada = await openAs(browser, 'Ada', url, '#c62f3e')
  const ben = await openAs(browser, 'Ben', url, '#2e7d32')
  await placeCaret(ben, text.indexOf('line 250'))
  await ben.page.keyboard.type('Ben is here ')
  await expect(ada.editor).toHaveValue(/Ben is here line 250/)
  // Ada reads the top of the document.
  await placeCaret(ada, 0)
  await ada.editor.evaluate((el: HTMLTextAreaElement) => (el.scrollTop = 0))
  await ada.page.getByRole('button', { name: /^Ben\. Go to their cursor/ }).click()
  // Ben's caret is now within the visible part of Ada's text.
  await expect
    .poll(() =>
      ada.page.evaluate(() => {
        const caret = document.querySelector<HTMLElement>('.coedit-cursors [data-coedit-caret]')!.getBoundingClientRect()
        const box = document.querySelector('textarea')!.getBoundingClientRect()
        return caret.top >= box.top && caret.bottom <= box.bottom
      }),
    )
    .toBe(true)
  expect(await ada.editor.evaluate((el: HTMLTextAreaElement) => el.scrollTop)).toBeGreaterThan(1000)
})

test('a link that names its holder shows that name to the others, whatever the browser had', async ({ browser, securedCoedit }) => {
  const out = execFileSync(
    process.execPath,
    [CLI, 'token', '--doc', 'named-doc', '--right', 'edit', '--ttl', '1h', '--name', 'Grace Hopper', '--public-url', securedCoedit.url],
    {
      env: { ...process.env, COEDIT_SECRET: E2E_SECRET },
      encoding: 'utf8',
    },
  )
  const link = /^url +(\S+)$/m.exec(out)![1]!
  const token = /^token +(\S+)$/m.exec(out)![1]!
  expect(
    (await fetch(`${securedCoedit.url}/api/docs/named-doc/append`, { method: 'POST', body: '', headers: { authorization: `Bearer ${token}` } })).status,
  ).toBe(200)
  const grace = await openAs(browser, 'Sunny Otter', link, '#c62f3e')
  const other = await openAs(browser, 'Second Reader', link, '#2e7d32')
  await expect(other.page.locator('[data-testid="person"][data-name="Grace Hopper"]')).toHaveCount(2)
  await grace.page.getByRole('button', { name: /You are Grace Hopper/ }).click()
  await expect(grace.page.getByText('Your link names you Grace Hopper.')).toBeVisible()
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
  await expect(ada.page.getByRole('button', { name: 'Link copied' })).toBeVisible()
  const viewUrl = await ada.page.evaluate(() => navigator.clipboard.readText())
  expect(viewUrl).toMatch(new RegExp(`^${coedit.url}/v/[A-Za-z0-9_-]{22}$`))
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
