// Checks the report stories share: raw codes and English words on a Chinese page, axe-core's
// serious WCAG violations, and days in Shanghai.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

// Text that reads like a code ("gate.no_valid_pass", "risk.low") in what the page shows.
export const kCode = /\b[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*\b/

// YYYY-MM-DD in Shanghai, `days` from today.
export function shanghaiDay(days = 0) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date(Date.now() + days * 86400000))
}

// The text a locator shows, without the parts `skip` selects (a hash, a rule's id shown small).
export async function textWithout(locator, skip) {
  return locator.evaluate((el, selector) => {
    const copy = el.cloneNode(true)
    if (selector) copy.querySelectorAll(selector).forEach((e) => e.remove())
    // innerText of a detached node is its textContent: cells are spaced out by hand
    copy.querySelectorAll('td, th, p, li, div, span').forEach((e) => e.append(' '))
    return copy.textContent
  }, skip)
}

// Words in Latin letters the Chinese page shows, but for the files' names (XLSX, CSV, PDF).
export async function englishWords(locator, skip) {
  return ((await textWithout(locator, skip)).match(/[A-Za-z]{3,}/g) || []).filter((w) => !['XLSX', 'CSV', 'PDF'].includes(w))
}

// axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it stands.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
export async function axeSerious(page) {
  await page.evaluate(axeSource)
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] })
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`)
  })
}
