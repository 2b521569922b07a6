// People in a document: distinct colours, one entry per browser, joins announced, jumping to someone, names from links.
import { execFileSync } from 'node:child_process'
import { test, expect, openAs, newDocumentUrl, CLI, E2E_SECRET, type Person } from './fixtures.js'
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
