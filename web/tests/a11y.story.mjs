// Accessibility in a real browser (issue 17, item 12): axe-core's WCAG 2.1 A/AA rules on the
// main screens at laptop and phone sizes (no serious or critical violation), a keyboard-only path
// from the login page to an approved pass with the focus visible all along, Enter and Space on the
// rows that are clickable divs (a proof file, the resident's pass and request), and text at 200 % of
// the browser's font size (the emergency button covers nothing; the resident's header keeps the
// room). Screenshots of the screens go to DIR as desktop-a11y-*.png and phone-a11y-*.png.
//
//   node web/tests/a11y.story.mjs --juwei build/src/cli/juwei --web build/share/juwei/web --out DIR
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import {
  apiAs, check, cli, coveredBySos, desktop, figures, login, out, phone, runStory, screenshots, shanghaiIso, step, tinyPng,
} from './harness.mjs'

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const wcag = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']

// axe's WCAG 2.1 A/AA violations on the page as it stands, by impact.
async function axeScan(page) {
  await page.evaluate(axeSource)
  return page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')} ${(n.any[0] || n.all[0] || n.none[0])?.message || ''}`.slice(0, 240)),
    }))
  }, wcag)
}

// A screen settles: its marker shows, the network is quiet and no spinner is left.
async function settle(page, marker) {
  if (marker) await page.locator(marker).first().waitFor({ timeout: 15000 })
  await page.waitForLoadState('networkidle').catch(() => {})
  await page.waitForFunction(() => !document.querySelector('main .van-loading'), null, { timeout: 10000 }).catch(() => {})
  await page.waitForTimeout(350)
}

// What has the focus: its data-test, name, text, and whether a ring shows (its own outline or,
// for a field's input, the field's).
async function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement
    const ringed = (e) => {
      const cs = getComputedStyle(e)
      return cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0
    }
    const field = el.closest('.van-field')
    const r = el.getBoundingClientRect()
    return {
      test: el.dataset.test || el.closest('[data-test]')?.dataset.test || '', name: el.getAttribute('name') || '',
      text: el.textContent.trim().slice(0, 40), what: `${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 30)}"`,
      visible: el === document.body ? false : ringed(el) || (!!field && ringed(field)),
      onScreen: r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth,
    }
  })
}

// The text of the element with the focus once it matches `selector` (up to 5 s), or ''.
async function waitFocus(page, selector) {
  return page.waitForFunction((sel) => document.activeElement?.matches(sel) && document.activeElement.textContent.trim(), selector, { timeout: 5000 })
    .then((h) => h.jsonValue(), () => '')
}

figures.axe_ms = {}
const totals = { serious: 0, critical: 0, moderate: 0, minor: 0 }
async function audit(page, size, name, marker) {
  const started = Date.now()
  await settle(page, marker)
  const violations = await axeScan(page)
  figures.axe_ms[`${size}-${name}`] = Date.now() - started
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  for (const v of violations) totals[v.impact] = (totals[v.impact] || 0) + v.nodes.length
  const others = violations.filter((v) => !bad.includes(v))
  if (others.length) console.log(`     ${size} ${name}: ${others.map((v) => `${v.id} (${v.impact}, ${v.nodes.length})`).join(', ')}`)
  check(`${size} ${name}: no serious or critical WCAG 2.1 A/AA violation`, bad.length === 0,
    bad.map((v) => `${v.id} (${v.impact}) ${v.help}\n        ${v.nodes.slice(0, 6).join('\n        ')}`).join('\n      '))
  // the window, not the whole page: a round's door-knock list runs to thousands of rows
  await windowShot(page, `${size}-a11y-${name}`)
}

// A screenshot of the window as it is (the harness's `shot` resizes the window to the page, which
// is slow on long lists and resets the browser's font size).
async function windowShot(page, name) {
  const path = join(out, `${name}.png`)
  await page.screenshot({ path })
  screenshots.push(path)
}

async function story(browser, base, logins) {
  const secretaryApi = await apiAs(base, 'secretary', logins.secretary)
  const staffApi = await apiAs(base, 'staff', logins.staff)
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date())

  // Two residents of 3号楼: the nurse (with an account of her own) and a neighbour.
  const found = await secretaryApi('GET', '/residents?building=3号楼&limit=50')
  const adults = found.body.items.filter((r) => r.birth_date < '2000-01-01' && r.birth_date > '1965-01-01')
  const nurse = adults.find((r) => r.gender === 'female')
  const neighbour = adults.find((r) => r.gender === 'male' && r.household_id !== nurse.household_id)
  check('the seed has a nurse and a neighbour', !!nurse && !!neighbour)
  cli(['user', 'add', 'nurse', '--role', 'resident', '--resident', nurse.id, '--password-stdin'], 'nurse-password-2022\n')
  const nurseApi = await apiAs(base, 'nurse', 'nurse-password-2022')

  // Today's round, both swabbed in one pooled tube, the lab's negative imported.
  const round = await staffApi('POST', '/rounds', { day })
  check('a round for today', round.status === 201, JSON.stringify(round.body))
  for (const r of [nurse, neighbour]) {
    const s = await staffApi('POST', `/rounds/${round.body.id}/samples`, { tube_code: 'T-3-0001', resident_id: r.id })
    check(`${r.name} is swabbed`, s.status === 201, JSON.stringify(s.body))
  }
  await new Promise((r) => setTimeout(r, 1100))
  const csv = `试管编码,结果,报告时间,检测机构\nT-3-0001,阴性,${shanghaiIso(new Date())},华大基因\n`
  const imported = await staffApi('POST', '/results/import', csv, { 'Content-Type': 'text/csv', 'Idempotency-Key': `a11y-${Date.now()}` })
  check('the negative is imported', imported.status === 200 || imported.status === 201, JSON.stringify(imported.body))

  // Two requests with their paperwork: the nurse's, approved (her pass), and the neighbour's,
  // left open for the keyboard path.
  const file = async (who, key) => {
    const r = await staffApi('POST', '/exit-requests', {
      resident_id: who.id, reason: 'medical_staff_return', destination: '瑞金医院',
      planned_exit: shanghaiIso(new Date(Date.now() + 60000)), planned_return: shanghaiIso(new Date(Date.now() + 10 * 3600000)),
    }, { 'Idempotency-Key': `a11y-${key}-${Date.now()}` })
    check(`a request for ${who.name}`, r.status === 201, JSON.stringify(r.body))
    const proof = await staffApi('POST', `/exit-requests/${r.body.id}/proofs?filename=${encodeURIComponent('返岗通知.png')}`, tinyPng,
      { 'Content-Type': 'image/png', 'Idempotency-Key': `a11y-proof-${key}-${Date.now()}` })
    check(`${who.name}'s proof`, proof.status === 201, JSON.stringify(proof.body))
    return r.body.id
  }
  const nurseRequest = await file(nurse, 'nurse')
  const signed = await nurseApi('POST', `/exit-requests/${nurseRequest}/pledge`, { signed_name: nurse.name, consent: true })
  check('the nurse signs her pledge', signed.status === 201, JSON.stringify(signed.body))
  const approved = await secretaryApi('POST', `/exit-requests/${nurseRequest}/decision`, { decision: 'approve' })
  check('the nurse is approved', approved.status === 200 && !!approved.body.pass, JSON.stringify(approved.body))
  const nursePass = approved.body.pass?.id
  const openRequest = await file(neighbour, 'neighbour')
  const paper = await staffApi('POST', `/exit-requests/${openRequest}/pledge?filename=${encodeURIComponent('承诺书.png')}`, tinyPng,
    { 'Content-Type': 'image/png' })
  check('the neighbour\'s paper pledge', paper.status === 201, JSON.stringify(paper.body))
  // A third, with nothing done yet: the desk's 特批.
  const other = adults.find((r) => r.id !== nurse.id && r.id !== neighbour.id && r.household_id !== nurse.household_id && r.household_id !== neighbour.household_id)
  const unready = await staffApi('POST', '/exit-requests', {
    resident_id: other.id, reason: 'medical_staff_return', destination: '华山医院',
    planned_exit: shanghaiIso(new Date(Date.now() + 60000)), planned_return: shanghaiIso(new Date(Date.now() + 10 * 3600000)),
  }, { 'Idempotency-Key': `a11y-other-${Date.now()}` })
  check('a request with its paperwork missing', unready.status === 201, JSON.stringify(unready.body))
  const unreadyRequest = unready.body.id
  const building = (await secretaryApi('GET', '/buildings?limit=50')).body.items.find((b) => b.name === '3号楼')

  // 1. axe on every main screen, at both sizes.
  for (const [size, options] of [['desktop', desktop], ['phone', phone]]) {
    await step(`axe at ${size} size`, async () => {
      const ctx = await browser.newContext(options)
      const p = await ctx.newPage()
      await p.goto(`${base}/login`)
      await audit(p, size, 'login', 'form')
      await login(p, base, 'secretary', logins.secretary)
      const desk = [
        ['dashboard', '/desk', '[data-test=card-open-requests]'],
        ['requests', '/desk/requests', `[data-test=request-${openRequest}]`],
        ['request', `/desk/requests/${openRequest}`, '[data-test=approve]'],
        ['request-approved', `/desk/requests/${nurseRequest}`, '[data-test=request-pass]'],
        ['new-request', '/desk/requests/new', '[data-test=file-request]'],
        ['emergency', '/desk/emergency', 'main h1'],
        ['register', '/desk/register', 'main h1'],
        ['registry', '/desk/registry', '[data-test=registry]'],
        ['building', `/desk/buildings/${building.id}`, 'main h1'],
        ['audit', '/desk/audit', 'main h1'],
        ['rounds', '/desk/rounds', 'main h1'],
        ['round', `/desk/rounds/${round.body.id}`, 'main h1'],
        ['sampling', `/desk/rounds/${round.body.id}/sampling`, 'main h1'],
        ['door-knock', `/desk/rounds/${round.body.id}/door-knock`, 'main h1'],
        ['results', '/desk/results', 'main h1'],
        ['gate', '/gate', 'main'],
      ]
      for (const [name, path, marker] of desk) {
        await p.goto(`${base}${path}`)
        await audit(p, size, name, marker)
      }
      await login(p, base, 'nurse', 'nurse-password-2022')
      for (const [name, path, marker] of [
        ['resident-home', '/me', '[data-test=me-home]'],
        ['resident-request', `/me/requests/${nurseRequest}`, '[data-test=pledge-signed]'],
        ['resident-new-request', '/me/requests/new', 'main'],
        ['resident-pass', `/me/passes/${nursePass}`, 'main'],
      ]) {
        await p.goto(`${base}${path}`)
        await audit(p, size, name, marker)
      }
      await login(p, base, 'volunteer', logins.volunteer)
      await audit(p, size, 'volunteer-home', 'main')
      await ctx.close()
    })
  }
  figures.axe_nodes_by_impact = totals

  // 2. The keyboard alone: from the login page to an approved pass, the focus always seen.
  await step('keyboard only: login to an approved pass', async () => {
    const ctx = await browser.newContext(desktop)
    const p = await ctx.newPage()
    const unseen = []
    const tab = async (key = 'Tab') => {
      await p.keyboard.press(key)
      const f = await focused(p)
      if (!f.visible) unseen.push(f.what)
      return f
    }
    // Tab until `want(focused)` holds, at most `max` presses.
    const tabTo = async (want, key = 'Tab', max = 40) => {
      for (let i = 0; i < max; i++) {
        const f = await tab(key)
        if (want(f)) return f
      }
      return null
    }
    await p.goto(`${base}/desk`)
    await p.waitForURL(/\/login/)
    await p.getByLabel('用户名').waitFor()
    // the login page puts the focus in its first field; Shift+Tab from there reaches the skip link
    const skip = await tabTo((f) => f.test === 'skip-link', 'Shift+Tab', 5)
    check('the skip link is the first focusable element', !!skip && (await p.evaluate(() => {
      const all = [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])')]
      return all.find((el) => el.checkVisibility() || el === document.activeElement)?.dataset.test
    })) === 'skip-link')
    check('the skip link shows when focused', skip?.visible && skip?.onScreen, JSON.stringify(skip))
    await tabTo((f) => f.name === 'username')
    await p.keyboard.type('secretary')
    await tab()
    await p.keyboard.type(logins.secretary)
    await p.keyboard.press('Enter')
    await p.waitForURL(/\/desk$/)
    await p.locator('[data-test=card-open-requests]').waitFor()
    const landed = await waitFocus(p, 'main h1')
    check('after logging in the focus is on the dashboard\'s heading', landed === '总览', landed)
    // the skip link from a desk screen: past the menu to the heading
    await p.keyboard.press('Shift+Tab')
    const back = await tabTo((f) => f.test === 'skip-link', 'Shift+Tab', 30)
    check('Shift+Tab reaches the skip link on the desk', !!back)
    await p.keyboard.press('Enter')
    check('the skip link moves the focus to the heading', await p.evaluate(() => document.activeElement.matches('main h1')))
    // the menu's 出门申请, then the queue's row
    const menu = await tabTo((f) => f.text === '出门申请', 'Shift+Tab', 30)
    check('the menu\'s 出门申请 is reached by Tab', !!menu)
    await p.keyboard.press('Enter')
    await p.waitForURL(/\/desk\/requests$/)
    await p.locator(`[data-test=request-${openRequest}]`).waitFor()
    check('after a route change the focus is on the heading', (await waitFocus(p, 'main h1')) === '出门申请')
    const row = await tabTo((f) => f.test === `request-${openRequest}`)
    check('the queue\'s row is reached by Tab, with its ring', !!row && row.visible, JSON.stringify(row))
    await p.keyboard.press('Enter')
    await p.waitForURL(new RegExp(`/desk/requests/${openRequest}$`))
    await p.locator('[data-test=approve]').waitFor()
    check('Enter on the row opens the request; the focus is on its heading', (await waitFocus(p, 'main h1')).includes(neighbour.name))
    const approve = await tabTo((f) => f.test === 'approve', 'Tab', 60)
    check('批准 is reached by Tab', !!approve)
    await windowShot(p, 'desktop-a11y-keyboard-approve-focused')
    await p.keyboard.press('Space')
    await p.waitForFunction(() => document.querySelector('[data-test=request-status]')?.textContent.trim() === '已批准')
    await p.locator('[data-test=request-pass]').waitFor()
    check('Space on 批准 approves it: 已批准 and its pass', true)
    check('after 批准 the focus is on the heading, not the page', (await waitFocus(p, 'main h1')).includes(neighbour.name))
    const spoken = await p.waitForFunction(() => document.querySelector('[data-test=announcer]')?.textContent.trim(), null, { timeout: 5000 })
      .then((h) => h.jsonValue(), () => '')
    check('the toast is read out by the polite live region', spoken === '已批准，出入证已生成'
      && (await p.locator('[data-test=announcer]').getAttribute('aria-live')) === 'polite', spoken)
    const toast = await p.evaluate(() => [...document.querySelectorAll('.van-toast')].map((t) => ({
      role: t.getAttribute('role'), tabindex: t.getAttribute('tabindex'), hidden: t.getAttribute('aria-hidden'),
    })))
    check('the toast is no dialog and takes no focus', toast.length > 0 && toast.every((t) => t.role !== 'dialog' && t.tabindex === null),
      JSON.stringify(toast))
    check('the focus was visible at every stop', unseen.length === 0, unseen.join('; '))
    await windowShot(p, 'desktop-a11y-keyboard-approved')
    await ctx.close()
  })

  // Rows that are clickable divs (Vant's cells) answer Enter and Space: a proof file, the
  // resident's pass and request.
  await step('Enter and Space on clickable rows', async () => {
    const ctx = await browser.newContext(phone)
    const p = await ctx.newPage()
    await login(p, base, 'secretary', logins.secretary)
    await p.goto(`${base}/desk/requests/${openRequest}`)
    const proof = p.locator('.van-cell[role=button]', { hasText: '返岗通知.png' })
    await proof.focus()
    const [file] = await Promise.all([p.waitForURL(/\/api\/v1\/proofs\//, { timeout: 5000 }).then(() => true, () => false), p.keyboard.press('Enter')])
    check('Enter on a proof file opens it', file, p.url())
    await login(p, base, 'nurse', 'nurse-password-2022')
    await p.locator('[data-test=pass-item]').first().focus()
    await p.keyboard.press('Enter')
    check('Enter on the resident\'s pass opens it', await p.waitForURL(/\/me\/passes\/\d+$/, { timeout: 5000 }).then(() => true, () => false), p.url())
    await p.goto(`${base}/me`)
    await p.locator('[data-test=request-item]').first().focus()
    await p.keyboard.press('Space')
    check('Space on the resident\'s request opens it', await p.waitForURL(/\/me\/requests\/\d+$/, { timeout: 5000 }).then(() => true, () => false), p.url())
    await ctx.close()
  })

  // 3. Text at 200 % of the browser's font size (its own setting: rem grows with it, px does not).
  await step('text at 200 %', async () => {
    const ctx = await browser.newContext(phone)
    const p = await ctx.newPage()
    const cdp = await ctx.newCDPSession(p)
    // the browser's setting, sent again after each navigation (an emulated viewport change resets it)
    const twice = async () => {
      await cdp.send('Page.setFontSizes', { fontSizes: { standard: 32, fixed: 26 } })
      return p.evaluate(() => getComputedStyle(document.documentElement).fontSize)
    }
    await login(p, base, 'secretary', logins.secretary)
    const root = await twice()
    check('the browser\'s font size is 200 %', root === '32px', root)
    const body = await p.evaluate(() => getComputedStyle(document.querySelector('main h1')).fontSize)
    check('the heading grows with it (40 px)', body === '40px', body)
    for (const [name, path, marker] of [
      ['requests', '/desk/requests', `[data-test=request-${unreadyRequest}]`],
      ['override', `/desk/requests/${unreadyRequest}`, '[data-test=override]'],
      ['new-request', '/desk/requests/new', '[data-test=file-request]'],
      ['emergency', '/desk/emergency', '[data-test=release]'],
    ]) {
      await p.goto(`${base}${path}`)
      await settle(p, marker)
      check(`200 % ${name}: the text is at 200 %`, (await twice()) === '32px')
      const covered = await coveredBySos(p)
      const none = covered.length === 1 && covered[0] === '(no emergency button)'
      check(`200 % ${name}: the emergency button covers no control`, covered.length === 0 || (none && name === 'emergency'), covered.slice(0, 6).join('; '))
      // the control itself can be pressed where it is: nothing else is on top of its middle
      const reachable = await p.locator(marker).last().evaluate((el) => {
        el.scrollIntoView({ block: 'center' })
        const r = el.getBoundingClientRect()
        const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)
        return !!top && (el === top || el.contains(top))
      })
      check(`200 % ${name}: ${marker} is on top where it shows`, reachable)
      await windowShot(p, `phone-a11y-200-${name}`)
    }
    await login(p, base, 'nurse', 'nurse-password-2022')
    const label = p.locator('[data-test=household-label]')
    await p.waitForFunction(() => /室/.test(document.querySelector('[data-test=household-label]')?.textContent || ''))
    check('200 % resident: the text is at 200 %', (await twice()) === '32px')
    const cut = await label.evaluate((el) => {
      const box = el.parentElement
      const r = el.getBoundingClientRect()
      const b = box.getBoundingClientRect()
      return { text: el.textContent.trim(), cut: box.scrollWidth > box.clientWidth + 1 || r.right > b.right + 1 || getComputedStyle(box).textOverflow === 'ellipsis' }
    })
    check('200 %: the resident\'s header shows the whole household', !cut.cut && /\d+号楼\s*\d+室/.test(cut.text), JSON.stringify(cut))
    await windowShot(p, 'phone-a11y-200-resident-home')
    await ctx.close()
  })
  console.log(`axe: ${totals.serious} serious, ${totals.critical} critical, ${totals.moderate} moderate, ${totals.minor} minor nodes`)
}

runStory('a11y', story)
