import { AxeBuilder } from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import { test, expect, openAs, newDocumentUrl, ARTIFACTS, type Person } from './fixtures.js'

/** axe-core against WCAG 2.1 A and AA: serious and critical violations fail, listed with where they are. */
async function expectAccessible(page: Page, what: string): Promise<void> {
  // Caret names fade in and out (0.3 s): caught mid-fade, a name is half transparent and axe
  // measures its contrast against the page. Checked without transitions, every state is final.
  // (The page's CSP allows no inline style sheet; styles set from script are allowed.)
  await page.evaluate(() => {
    for (const label of document.querySelectorAll<HTMLElement>('.coedit-remote-caret-label')) label.style.transition = 'none'
    for (const animation of document.getAnimations()) animation.finish()
  })
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  const report = serious.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => `${n.target.join(' ')} — ${n.failureSummary ?? ''}`).join('\n  ')}`,
  )
  expect(report, `${what}: serious or critical accessibility violations`).toEqual([])
}

const SCHEMES = ['light', 'dark'] as const
const SIZES = [
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
  { name: 'phone', viewport: { width: 390, height: 844 } },
] as const

for (const colorScheme of SCHEMES) {
  test(`no serious accessibility violations, ${colorScheme}: home, editor with three people (desktop and phone), name dialog, share menu, history, missing and invalid links`, async ({
    browser,
    coedit,
  }) => {
    const url = await newDocumentUrl(coedit)
    const context = { colorScheme }
    // axe needs pages made from a context, not browser.newPage.
    const plain = await browser.newContext({ colorScheme })
    const home = await plain.newPage()
    await home.goto(coedit.url)
    await expectAccessible(home, 'home page')
    await home.screenshot({ path: `${ARTIFACTS}/a11y-home-${colorScheme}.png` })

    for (const size of SIZES) {
      const people: Person[] = []
      for (const [name, color] of [
        ['Ada', '#c62f3e'],
        ['Ben', '#8a6a00'],
        ['Cy', '#00796b'],
      ] as const) {
        people.push(await openAs(browser, name, url, color, { context: { ...context, viewport: size.viewport } }))
      }
      const [ada, ben, cy] = people as [Person, Person, Person]
      if (size.name === 'desktop') {
        await ada.editor.click()
        await ada.page.keyboard.type('Minutes\nAda opened the meeting.\n')
        await ben.editor.click()
        await ben.page.keyboard.press('Control+End')
        await ben.page.keyboard.type('Ben agreed.')
      }
      await cy.editor.click()
      await expect(ada.page.getByTestId('person')).toHaveCount(3)
      await expectAccessible(ada.page, `editor with three people, ${size.name}`)
      // Every toolbar button stays on screen (on a phone they wrap rather than run off the edge).
      for (const name of ['Copy link', 'Copy view link', 'History', 'Document']) {
        const box = (await ada.page.getByText(name, { exact: true }).boundingBox())!
        expect(box.x + box.width, `${name} within ${size.viewport.width} px`).toBeLessThanOrEqual(size.viewport.width)
      }
      await ada.page.screenshot({ path: `${ARTIFACTS}/a11y-editor-${size.name}-${colorScheme}.png` })

      if (size.name === 'desktop') {
        // The name dialog: accessible, colours named, and focus goes back to the chip when it closes.
        const chip = ada.page.getByRole('button', { name: /You are Ada/ })
        await chip.click()
        const dialog = ada.page.getByRole('dialog', { name: 'How others see you' })
        await expect(dialog).toBeVisible()
        await expect(dialog.getByRole('radio', { name: 'Red' })).toBeChecked()
        await expect(dialog.getByRole('radio', { name: 'Gold, worn by Ben' })).toBeDisabled()
        await expectAccessible(ada.page, 'name dialog')
        await ada.page.screenshot({ path: `${ARTIFACTS}/a11y-name-dialog-${colorScheme}.png` })
        await dialog.getByRole('button', { name: 'Cancel' }).click()
        await expect(chip).toBeFocused()

        await ada.page.getByRole('button', { name: 'Copy link' }).click()
        await expectAccessible(ada.page, 'share menu')

        await ada.page.getByRole('button', { name: 'History' }).click()
        await expect(ada.page.getByRole('complementary', { name: 'History' })).toBeVisible()
        await expectAccessible(ada.page, 'history panel')
        await ada.page.screenshot({ path: `${ARTIFACTS}/a11y-history-${colorScheme}.png` })
      }
      for (const person of people) await person.context.close()
    }

    const missing = await plain.newPage()
    await missing.goto(`${coedit.url}/d/${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url')}`)
    await expect(missing.getByRole('alert')).toContainText('There is no document at this address')
    await expectAccessible(missing, 'missing document page')
    await missing.goto(`${coedit.url}/d/not valid!`)
    await expect(missing.getByRole('heading', { name: 'This link does not point to a document' })).toBeVisible()
    await expectAccessible(missing, 'invalid link page')
    await expect(missing.getByRole('main')).toBeVisible()
  })
}
