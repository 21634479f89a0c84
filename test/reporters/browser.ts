// Opens a report in the system's headless Chromium (Debian `chromium`, provided by `npm test`'s setup step) through playwright-core.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium } from 'playwright-core'
import { findChromium } from '../../cli/lib/chromium.ts'

/** The binary, or '' when there is none (the tests then fail with NO_CHROMIUM). */
export const CHROMIUM = findChromium() ?? ''
export const NO_CHROMIUM =
  'headless Chromium not found (CHROMIUM_PATH, chromium on PATH): `npm test` installs it (root + apt-get); otherwise run `npx fuze-bench setup --chromium --no-models` as root, `sudo apt-get install chromium`, or set CHROMIUM_PATH'

export interface PageCheck {
  charts: Record<string, number>
  /** Dataset labels (legend entries) per chart. */
  labels: Record<string, string[]>
  /** x-axis type per chart ('linear', 'logarithmic', 'category'). */
  scales: Record<string, string>
  /** Title drawn in each chart ('' for none): the case a one-case-at-a-time chart shows. */
  chartTitles: Record<string, string>
  /** The TTFT chart's x-axis type after clicking its "log scale" box ('' without that chart). */
  toggled: string
  consoleErrors: string[]
  nonFileRequests: string[]
  verdict: string
  /** Card titles (h3) and footnotes (.notes), in page order. */
  titles: string[]
  notes: string[]
}

export async function openReport(htmlPath: string, screenshot: string, width = 1280): Promise<PageCheck> {
  const profile = mkdtempSync(join(tmpdir(), 'fuze-chromium-'))
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  try {
    const page = browser.pages()[0] ?? (await browser.newPage())
    const consoleErrors: string[] = []
    const nonFileRequests: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(m.text())
    })
    page.on('pageerror', (e) => consoleErrors.push(String(e)))
    page.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) nonFileRequests.push(r.url())
    })
    await page.goto(pathToFileURL(htmlPath).href)
    await page.waitForFunction(() => (window as unknown as { __fuzeReport?: { ready: boolean } }).__fuzeReport?.ready === true, null, { timeout: 20_000 })
    type Hook = { charts: Record<string, number>; labels: Record<string, string[]>; scales: Record<string, string>; titles: Record<string, string> }
    const { charts, labels, scales, titles: chartTitles } = await page.evaluate(() => (window as unknown as { __fuzeReport: Hook }).__fuzeReport)
    const verdict = (await page.textContent('#verdict h2').catch(() => null)) ?? ''
    const titles = await page.locator('section.card > h3').allTextContents()
    const notes = await page.locator('.notes').allTextContents()
    await page.screenshot({ path: screenshot, fullPage: true })
    let toggled = ''
    if ((await page.locator('#ttft-log').count()) > 0) {
      await page.click('#ttft-log')
      toggled = await page.evaluate(
        () =>
          (window as unknown as { Chart: { getChart(id: string): { options: { scales: { x: { type: string } } } } } }).Chart.getChart('ttft').options.scales.x
            .type,
      )
    }
    return { charts, labels, scales, chartTitles, toggled, consoleErrors, nonFileRequests, verdict, titles, notes }
  } finally {
    await browser.close()
    rmSync(profile, { recursive: true, force: true })
  }
}
