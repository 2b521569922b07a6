import { connectClient } from '@coedit/test-utils'
import { test, expect, openAs, newDocumentUrl, type Person, type CoeditServer } from './fixtures.js'
import { placeCaret, typeAtPace } from './helpers.js'

const CHARACTERS = 200_000

/** 100 paragraphs of 2,000 characters, each starting with its number, stored before anyone opens it. */
async function bigDocument(server: CoeditServer): Promise<{ url: string; text: string }> {
  const url = await newDocumentUrl(server)
  const room = url.slice(url.lastIndexOf('/') + 1)
  let text = ''
  for (let p = 0; text.length < CHARACTERS; p++) text += `¶${String(p).padStart(3, '0')} ${'lorem ipsum dolor sit amet '.repeat(80)}`.slice(0, 1_999) + '\n'
  text = text.slice(0, CHARACTERS)
  const seed = connectClient(server.url.replace('http', 'ws'), room)
  await seed.synced(10_000)
  seed.text.insert(0, text)
  await expect.poll(() => seed.provider.wsconnected && seed.doc.getText('text').length).toBe(CHARACTERS)
  // The update reached the server once a fresh client syncs it back.
  const check = connectClient(server.url.replace('http', 'ws'), room)
  await check.synced(10_000)
  await expect.poll(() => check.text.length, { timeout: 10_000 }).toBe(CHARACTERS)
  check.destroy()
  seed.destroy()
  return { url, text }
}

async function openLoaded(browser: Parameters<typeof openAs>[0], name: string, url: string, color: string, length: number): Promise<Person> {
  const person = await openAs(browser, name, url, color)
  await expect.poll(() => person.editor.evaluate((el: HTMLTextAreaElement) => el.textLength), { timeout: 20_000 }).toBe(length)
  return person
}

/**
 * Where `index` falls in this person's editor, laid out by a plain copy of the text in one
 * node with the caret layer's box: an independent check of the block mirror's layout.
 */
function referencePoint(person: Person, index: number): Promise<{ top: number; left: number }> {
  return person.page.evaluate((i) => {
    const textarea = document.querySelector<HTMLTextAreaElement>('textarea.editor-text')!
    const layer = document.querySelector<HTMLElement>('.coedit-cursors')!
    const reference = layer.cloneNode(false) as HTMLElement
    reference.className = ''
    reference.style.visibility = 'hidden'
    const marker = document.createElement('span')
    reference.append(textarea.value.slice(0, i), marker, `${textarea.value.slice(i)}\u200b`)
    layer.parentElement!.append(reference)
    const point = { top: marker.offsetTop, left: marker.offsetLeft }
    reference.remove()
    return point
  }, index)
}

/** The drawn caret of the person with `clientName`, as seen by `viewer`: its position in the layer. */
function drawnCaret(viewer: Person, clientName: string): Promise<{ top: number; left: number } | null> {
  return viewer.page.evaluate((name) => {
    for (const caret of document.querySelectorAll<HTMLElement>('.coedit-remote-caret')) {
      if (caret.textContent === name) return { top: caret.offsetTop, left: caret.offsetLeft + 1 }
    }
    return null
  }, clientName)
}

/** Where the person's caret is: the moving end of their selection. */
async function caretOf(person: Person): Promise<number> {
  return person.editor.evaluate((el: HTMLTextAreaElement) => (el.selectionDirection === 'backward' ? el.selectionStart : el.selectionEnd))
}

async function expectCaretAt(viewer: Person, owner: Person): Promise<void> {
  const index = await caretOf(owner)
  const reference = await referencePoint(viewer, index)
  await expect
    .poll(async () => {
      const drawn = await drawnCaret(viewer, owner.name)
      return drawn ? Math.max(Math.abs(drawn.top - reference.top), Math.abs(drawn.left - reference.left)) : Infinity
    })
    .toBeLessThanOrEqual(1)
}

test('on a 200,000-character document with three people, carets and selections are drawn at the right characters after edits above and below them', async ({
  browser,
  coedit,
}) => {
  const { url } = await bigDocument(coedit)
  const ada = await openLoaded(browser, 'Ada', url, '#c62f3e', CHARACTERS)
  const ben = await openLoaded(browser, 'Ben', url, '#1f6fc5', CHARACTERS)
  const cy = await openLoaded(browser, 'Cy', url, '#2e7d32', CHARACTERS)

  // The mirror lays the text out exactly as the textarea does: same total height.
  const heights = await ada.page.evaluate(() => ({
    textarea: document.querySelector<HTMLTextAreaElement>('textarea.editor-text')!.scrollHeight,
    mirror: document.querySelector<HTMLElement>('.coedit-cursors')!.scrollHeight,
  }))
  expect(Math.abs(heights.textarea - heights.mirror)).toBeLessThanOrEqual(1)

  await placeCaret(ben, 100_123)
  await cy.editor.evaluate((el: HTMLTextAreaElement) => {
    el.focus()
    el.setSelectionRange(150_000, 150_040)
  })
  await ada.editor.evaluate((el: HTMLTextAreaElement) => el.focus())
  await expectCaretAt(ada, ben)
  await expectCaretAt(ada, cy)
  await expect(ada.page.locator('.coedit-remote-selection')).toHaveText(await cy.editor.evaluate((el: HTMLTextAreaElement) => el.value.slice(150_000, 150_040)))

  // Ada types above both of them (three new lines), then below both.
  await placeCaret(ada, 500)
  await ada.page.keyboard.type('one\ntwo\nthree\n', { delay: 5 })
  await placeCaret(ada, 190_000)
  await ada.page.keyboard.type(' and below', { delay: 5 })
  const length = CHARACTERS + 'one\ntwo\nthree\n'.length + ' and below'.length
  for (const person of [ben, cy]) await expect.poll(() => person.editor.evaluate((el: HTMLTextAreaElement) => el.textLength)).toBe(length)
  // Their own carets moved with their text; Ada sees them there, and so do they each other.
  expect(await caretOf(ben)).toBe(100_123 + 14)
  await expectCaretAt(ada, ben)
  await expectCaretAt(ada, cy)
  await expectCaretAt(ben, cy)
  await expectCaretAt(cy, ben)
  await expect(ada.page.locator('.coedit-remote-selection')).toHaveText(await cy.editor.evaluate((el: HTMLTextAreaElement) => el.value.slice(150_014, 150_054)))
})

test("the reader's first visible line stays put while another person inserts lines above it", async ({ browser, coedit }) => {
  const { url } = await bigDocument(coedit)
  const reader = await openLoaded(browser, 'Reader', url, '#c62f3e', CHARACTERS)
  const writer = await openLoaded(browser, 'Writer', url, '#1f6fc5', CHARACTERS)
  // The reader scrolls to paragraph 050 and reads there (the caret elsewhere, as when reading).
  const paragraph = 50 * 2_000
  await reader.editor.evaluate((el: HTMLTextAreaElement) => el.focus())
  const marker = '¶050 '
  const top = async (): Promise<number> => {
    const index = await reader.editor.evaluate((el: HTMLTextAreaElement, m) => el.value.indexOf(m), marker)
    const point = await referencePoint(reader, index)
    return point.top - (await reader.editor.evaluate((el: HTMLTextAreaElement) => el.scrollTop))
  }
  await reader.editor.evaluate((el: HTMLTextAreaElement, p) => {
    const layer = document.querySelector<HTMLElement>('.coedit-cursors')!
    const probe = layer.cloneNode(false) as HTMLElement
    probe.style.visibility = 'hidden'
    const mark = document.createElement('span')
    probe.append(el.value.slice(0, p), mark)
    layer.parentElement!.append(probe)
    el.scrollTop = mark.offsetTop - 40
    probe.remove()
  }, paragraph)
  await expect.poll(top).toBeGreaterThan(0)
  const before = await top()
  const scrolledBefore = await reader.editor.evaluate((el: HTMLTextAreaElement) => el.scrollTop)

  // The writer adds lines near the top, one keystroke at a time.
  await placeCaret(writer, 10)
  await writer.page.keyboard.type('\nnew line one\nnew line two\nnew line three\n', { delay: 10 })
  const length = CHARACTERS + '\nnew line one\nnew line two\nnew line three\n'.length
  await expect.poll(() => reader.editor.evaluate((el: HTMLTextAreaElement) => el.textLength)).toBe(length)
  await expect.poll(async () => Math.abs((await top()) - before)).toBeLessThanOrEqual(1)
  // It held because the view followed the text down, not because nothing moved.
  expect(await reader.editor.evaluate((el: HTMLTextAreaElement) => el.scrollTop)).toBeGreaterThan(scrolledBefore + 3 * 20)

  // And the other way: lines removed above, the text stays put too.
  await writer.editor.evaluate((el: HTMLTextAreaElement) => {
    el.focus()
    el.setSelectionRange(10, 10 + '\nnew line one\nnew line two\n'.length)
  })
  await writer.page.keyboard.press('Delete')
  await expect.poll(() => reader.editor.evaluate((el: HTMLTextAreaElement) => el.textLength)).toBe(length - '\nnew line one\nnew line two\n'.length)
  await expect.poll(async () => Math.abs((await top()) - before)).toBeLessThanOrEqual(1)
})

test('undo takes back a run of typing in one step while someone else types above', async ({ browser, coedit }) => {
  const { url } = await bigDocument(coedit)
  const ada = await openLoaded(browser, 'Ada', url, '#c62f3e', CHARACTERS)
  const ben = await openLoaded(browser, 'Ben', url, '#1f6fc5', CHARACTERS)
  await placeCaret(ada, 120_000)
  await placeCaret(ben, 1_000)
  const mine = ' this sentence is mine'
  const theirs = ' and this is theirs, typed meanwhile'
  await Promise.all([typeAtPace(ada.page, mine, 60), ben.page.keyboard.type(theirs, { delay: 20 })])
  const length = CHARACTERS + mine.length + theirs.length
  for (const person of [ada, ben]) await expect.poll(() => person.editor.evaluate((el: HTMLTextAreaElement) => el.textLength)).toBe(length)
  await ada.page.keyboard.press('Control+z')
  const after = async (person: Person): Promise<string> => person.editor.inputValue()
  await expect.poll(async () => (await after(ben)).length).toBe(length - mine.length)
  const text = await after(ben)
  expect(text).not.toContain('is mine')
  expect(text).toContain(theirs)
  expect(await after(ada)).toBe(text)
})

test("a caret's name shows when it moves, then fades to the caret; on a narrow screen it stays inside the editor", async ({ browser, coedit }) => {
  const url = await newDocumentUrl(coedit)
  const ada = await openAs(browser, 'Ada', url, '#c62f3e')
  await ada.page.setViewportSize({ width: 360, height: 700 })
  await ada.editor.click()
  await ada.page.keyboard.type('a line long enough to wrap on a narrow phone screen, and a bit more\nshort')
  const ben = await openAs(browser, 'Benedict Cumberbatch', url, '#1f6fc5')
  await expect(ben.editor).toHaveValue(/short$/)
  // Ben's caret at the end of the first visual line, at the editor's right edge.
  const edge = await ada.editor.evaluate((el: HTMLTextAreaElement) => {
    const layer = document.querySelector<HTMLElement>('.coedit-cursors')!
    const probe = layer.cloneNode(false) as HTMLElement
    probe.style.visibility = 'hidden'
    const spans = [...el.value].map((ch) => Object.assign(document.createElement('span'), { textContent: ch }))
    probe.append(...spans)
    layer.parentElement!.append(probe)
    const firstTop = spans[0]!.offsetTop
    const index = spans.findIndex((s) => s.offsetTop > firstTop) - 1
    probe.remove()
    return index
  })
  await placeCaret(ben, edge)
  const label = ada.page.locator('.coedit-remote-caret-label', { hasText: 'Benedict Cumberbatch' })
  await expect(label).toHaveCSS('opacity', '1')
  const inside = async (): Promise<boolean> =>
    ada.page.evaluate(() => {
      const layer = document.querySelector<HTMLElement>('.coedit-cursors')!.getBoundingClientRect()
      const tag = document.querySelector<HTMLElement>('.coedit-remote-caret-label')!.getBoundingClientRect()
      return tag.left >= layer.left && tag.right <= layer.right
    })
  await expect.poll(inside).toBe(true)
  // Left alone, the name fades and only the caret remains.
  await expect(label).toHaveCSS('opacity', '0', { timeout: 15_000 })
  // Text typed before the caret shifts it, but its person did not move it: the name stays hidden.
  await ada.editor.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(0, 0))
  await ada.page.keyboard.type('ok ')
  await expect(ben.editor).toHaveValue(/^ok a line/)
  await ada.page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))))
  expect(await label.evaluate((el) => getComputedStyle(el).opacity)).toBe('0')
  // Moving again brings it back. Watched from before the move: on a loaded machine a check of
  // the computed opacity can land mid-transition or after the name has faded again.
  await label.evaluate((el: HTMLElement) => {
    const page = window as unknown as { nameShown: boolean }
    page.nameShown = false
    new MutationObserver(() => (page.nameShown ||= el.style.opacity === '1')).observe(el, { attributes: true, attributeFilter: ['style'] })
  })
  await ben.page.keyboard.press('ArrowLeft')
  await expect.poll(() => ada.page.evaluate(() => (window as unknown as { nameShown: boolean }).nameShown), { timeout: 15_000 }).toBe(true)
  await expect.poll(inside).toBe(true)
})
