// The daily report (日报): the secretary opens 日报 from the overview and reads today's totals,
// every one computed from the records the story made (a round of one building, a single tube
// found positive, a building sealed, a resident turned back at the gate); the per-building table,
// the missing and positive lists and the gate's denials agree with them; she cannot report a
// future day, reads why yesterday cannot be reported for a community made today, and downloads
// the XLSX and CSV files. On a phone the same report fits the screen; other roles get none.
//
//   node web/tests/report.story.mjs --juwei build/src/cli/juwei --web build/share/juwei/web --out DIR
import { readFileSync } from 'node:fs'
import { runStory, check, step, shot, login, apiAs, cli, desktop, phone, shanghaiIso, coveredBySos, unlabelled } from './harness.mjs'
import { kCode, shanghaiDay, englishWords as latinWords, axeSerious } from './story-checks.mjs'
// The day the story starts, before `juwei demo` makes the community.
const startDay = shanghaiDay()

// Every item of a paged list.
async function all(api, path) {
  const items = []
  let cursor = ''
  do {
    const sep = path.includes('?') ? '&' : '?'
    const page = await api('GET', `${path}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    if (page.status !== 200) throw new Error(`GET ${path}: ${page.status} ${JSON.stringify(page.body)}`)
    items.push(...page.body.items)
    cursor = page.body.next_cursor
  } while (cursor)
  return items
}

// Words in Latin letters the Chinese report shows, but for the files' names and the hashes.
const englishWords = (locator) => latinWords(locator, '[data-test=report-audit-head], .mono')

// A figure's value as the page shows it (the row's data-value and its visible number agree).
async function figure(page, key) {
  const row = page.locator(`[data-test=report-total][data-figure="${key}"]`)
  const [value, text] = [await row.getAttribute('data-value'), await row.locator('td').innerText()]
  return value === text.trim() ? Number(value) : NaN
}

runStory('report', async (browser, base, logins) => {
  const secretaryApi = await apiAs(base, 'secretary', logins.secretary)
  const staffApi = await apiAs(base, 'staff', logins.staff)
  const gateApi = await apiAs(base, 'gate', logins.gate)
  const day = shanghaiDay()

  // The register as the API lists it, to check the report's figures against.
  const residents = await all(secretaryApi, '/residents')
  const buildings = await all(secretaryApi, '/buildings')
  check('the seed has residents and buildings', residents.length > 0 && buildings.length > 1, `${residents.length} ${buildings.length}`)
  const byBuilding = (b) => residents.filter((r) => r.building === b.name)
  const screened = buildings.find((b) => byBuilding(b).length >= 6)
  const people = byBuilding(screened)
  const [single, pooled1, pooled2] = people
  const stranger = residents.find((r) => r.building !== screened.name)

  // Today's records: a round of one building, three swabbed (one single tube, one pooled), the
  // single tube positive; the building sealed; a resident without a pass turned back at the gate.
  const round = await staffApi('POST', '/rounds', { day, buildings: [screened.id] })
  check('a round of one building for today', round.status === 201, JSON.stringify(round.body))
  const swab = (who, tube, kind) => staffApi('POST', `/rounds/${round.body.id}/samples`, { tube_code: tube, kind, resident_id: who.id })
  for (const [who, tube, kind] of [[single, 'T-R-0001', 'single'], [pooled1, 'T-R-0002', 'pooled'], [pooled2, 'T-R-0002', 'pooled']]) {
    const s = await swab(who, tube, kind)
    check(`${who.name} is swabbed (${kind})`, s.status === 201, JSON.stringify(s.body))
  }
  await new Promise((r) => setTimeout(r, 1100))
  const csv = `试管编码,结果,报告时间,检测机构\nT-R-0001,阳性,${shanghaiIso(new Date())},华大基因\nT-R-0002,阴性,${shanghaiIso(new Date())},华大基因\n`
  const imported = await staffApi('POST', '/results/import', csv, { 'Content-Type': 'text/csv', 'Idempotency-Key': `report-${Date.now()}` })
  check('the lab\'s results are imported', imported.status === 200, JSON.stringify(imported.body))
  const sealed = await secretaryApi('POST', `/buildings/${screened.id}/status-changes`, { status: 'sealed', reason: '单管阳性，封控' })
  check('the secretary seals the building', sealed.status === 201, JSON.stringify(sealed.body))
  const denied = await staffApi('POST', '/gate/check', { id_number: stranger.id_number, direction: 'out' })
  check('a resident without a pass is turned back', denied.status === 200 && denied.body.decision === 'deny', JSON.stringify(denied.body))

  // Who may read it: the desk, no one else.
  const answer = await staffApi('GET', `/reports/daily?day=${day}`)
  check('staff read the report', answer.status === 200, JSON.stringify(answer.body).slice(0, 300))
  check('the gate gets 403', (await gateApi('GET', `/reports/daily?day=${day}`)).status === 403)
  check('the admin gets 403', (await (await apiAs(base, 'admin', logins.admin))('GET', `/reports/daily?day=${day}`)).status === 403)
  const layoutSections = [...new Set(answer.body.totals.map((r) => r.section))]

  await step('the secretary reads today\'s report at the desk', async () => {
    const ctx = await browser.newContext(desktop)
    const p = await ctx.newPage()
    await login(p, base, 'secretary', logins.secretary)
    const link = p.locator('[data-test=dash-report]')
    await link.waitFor()
    check('the overview links 今日日报', (await link.innerText()).includes('今日日报'), await link.innerText())
    await p.locator('[data-test=dash-updated]').waitFor()
    await shot(p, 'desktop-report-dashboard-link')
    await link.click()
    const header = p.locator('[data-test=report-header]')
    await header.waitFor()
    check('the nav marks 日报', (await p.locator('nav a.router-link-exact-active').innerText()) === '日报')
    check('the report is today\'s by default', (await header.getAttribute('data-day')) === day && (await p.locator('[data-test=report-day]').inputValue()) === day)
    const headText = await header.innerText()
    check('the header names the community and the day', headText.includes(answer.body.community.name) && headText.includes(day), headText)
    check('统计截至 a time, the day not over', headText.includes('统计截至') && (await header.getAttribute('data-complete')) === 'false', headText)
    check('a note says the day is still running', (await p.locator('[data-test=report-running]').innerText()).includes('尚未结束'))
    const auditHead = await p.locator('[data-test=report-audit-head]').innerText()
    const seq = Number(/第 (\d+) 条/.exec(auditHead)?.[1])
    check('the audit chain\'s head, by seq and short hash', seq > 0 && /· [0-9a-f]{12}…/.test(auditHead), auditHead)
    check('the round of the day is named', (await p.locator('[data-test=report-rounds]').innerText()).includes('第 1 轮（部分楼栋）'))
    const submission = p.locator('[data-test=report-submission]')
    check('not submitted yet, said in words, and the secretary may submit it',
      (await submission.getAttribute('data-submitted')) === 'false' && (await submission.innerText()).includes('未上报') &&
      (await p.locator('[data-test=report-submit]').innerText()).includes('上报'), await submission.innerText())

    // The totals: the layout's sections in order, real figures.
    const sections = await p.locator('[data-test=report-section]').evaluateAll((els) => els.map((e) => e.dataset.section))
    check('the totals follow the layout\'s sections, in order', JSON.stringify(sections) === JSON.stringify(layoutSections), sections.join(','))
    const residentsRow = await p.locator('[data-test=report-total][data-figure="register.residents"]').innerText()
    check('居民人数 is the registered count', residentsRow.includes('居民人数') && (await figure(p, 'register.residents')) === residents.length,
      `${residentsRow} vs ${residents.length}`)
    check('楼栋数 is the buildings\' count', (await figure(p, 'register.buildings')) === buildings.length)
    check('筛查轮次 1', (await figure(p, 'screening.rounds')) === 1)
    check('已采样人数 3', (await figure(p, 'screening.sampled')) === 3)
    check('采样管数 2', (await figure(p, 'screening.tubes')) === 2)
    check('单管阳性 1, 混管阳性 0', (await figure(p, 'screening.positive_single')) === 1 && (await figure(p, 'screening.positive_pooled')) === 0)
    const due = await figure(p, 'screening.due')
    const excused = await figure(p, 'screening.excused')
    check('应检 and 免采 are the building\'s residents', due + excused === people.length, `${due} + ${excused} vs ${people.length}`)
    check('未采样 is 应检 less 已采样', (await figure(p, 'screening.missing')) === due - 3)
    check('封控楼栋 ≥ 1 and a change today', (await figure(p, 'buildings.sealed')) >= 1 && (await figure(p, 'buildings.changes')) >= 1)
    check('门岗拦截 1', (await figure(p, 'gate.denials')) === 1)

    // The buildings: the screened one with its counts, the others blank.
    const row = p.locator(`[data-test=report-building][data-building="${screened.name}"]`)
    const rowText = await row.innerText()
    check('the screened building: sealed, its counts', (await row.getAttribute('data-screened')) === 'true' && rowText.includes('封控区') &&
      (await row.locator('td.num').allInnerTexts()).join(',') === [answer.body.buildings.find((b) => b.building === screened.name).households, people.length, due, 3, excused, due - 3].join(','),
      rowText)
    const other = p.locator('[data-test=report-building][data-screened=false]').first()
    const blank = await other.locator('[data-test=report-not-screened] span').boundingBox()
    check('a building no round covered has blank screening cells', blank && blank.width <= 1, JSON.stringify(blank))

    // The lists.
    const change = await p.locator('[data-test=report-change]').first().innerText()
    check('the day\'s change: the building sealed, with its reason', change.includes(screened.name) && change.includes('封控区') && change.includes('单管阳性，封控'), change)
    const missing = p.locator('[data-test=report-missing-person]')
    check('the missing list has everyone due and not sampled', (await missing.count()) === due - 3, String(await missing.count()))
    const missingText = await p.locator('[data-test=report-missing]').innerText()
    check('the missing list leaves out the sampled', ![single, pooled1, pooled2].some((r) => missingText.includes(`${r.room} ${r.name}`)))
    const positive = p.locator('[data-test=report-positive]')
    check('one positive: the single tube\'s resident', (await positive.count()) === 1 && (await positive.innerText()).includes(single.name) &&
      (await positive.innerText()).includes('单管') && (await positive.innerText()).includes('T-R-0001'), await positive.innerText())
    const denial = p.locator('[data-test=report-denial]')
    check('the gate\'s denial by reason, in Chinese', (await denial.count()) === 1 && (await denial.getAttribute('data-code')) === denied.body.code &&
      /[\u4e00-\u9fff]/.test(await denial.locator('th').innerText()) && (await denial.locator('td').innerText()) === '1', await denial.innerText())

    // The testing cadence: a row per status as the API counts it; today owes nothing yet (the
    // community began today and the day runs), so nobody is behind.
    const cadence = answer.body.cadence
    const statusRows = await p.locator('[data-test=report-cadence-status]').evaluateAll((els) => els.map((e) => `${e.dataset.status}:${e.dataset.behind}`))
    check('the cadence by status, as the API has it', JSON.stringify(statusRows) === JSON.stringify(cadence.by_status.map((c) => `${c.status}:${c.behind}`)), statusRows.join(','))
    const sealedRow = await p.locator('[data-test=report-cadence-status][data-status=sealed]').innerText()
    check('the sealed row names its status and its residents', sealedRow.includes('封控区') &&
      sealedRow.includes(String(cadence.by_status.find((c) => c.status === 'sealed').residents)), sealedRow)
    check('nobody behind on the community\'s first day', cadence.behind.length === 0 && cadence.days_counted === 0 &&
      (await p.locator('[data-test=report-cadence-empty]').isVisible()))

    const main = p.locator('main')
    const text = await main.innerText()
    check('no raw code on the report', !kCode.test(text), text.match(kCode)?.[0])
    const latin = await englishWords(main)
    check('no English on the Chinese report', latin.length === 0, latin.join(' '))
    check('every control on the report has a name', (await unlabelled(p)).length === 0, JSON.stringify(await unlabelled(p)))
    const axe = await axeSerious(p)
    check('no serious or critical WCAG 2.1 A/AA violation on the report', axe.length === 0, axe.join('; '))
    check('the next day cannot be picked from today', await p.locator('[data-test=report-next]').isDisabled() &&
      (await p.locator('[data-test=report-day]').getAttribute('max')) === day)
    await shot(p, 'desktop-report-today')

    // The files: an XLSX (a ZIP), a CSV with a BOM and a PDF, named by the day.
    for (const [format, magic, what] of [['xlsx', Buffer.from('PK'), 'a ZIP'], ['csv', Buffer.from([0xef, 0xbb, 0xbf]), 'UTF-8 with a BOM'], ['pdf', Buffer.from('%PDF-'), 'a PDF']]) {
      const [download] = await Promise.all([p.waitForEvent('download'), p.locator(`[data-test=report-${format}]`).click()])
      const bytes = readFileSync(await download.path())
      check(`the ${format.toUpperCase()} is ${what}`, bytes.subarray(0, magic.length).equals(magic), bytes.subarray(0, 8).toString('hex'))
      check(`the ${format.toUpperCase()} is named by the community and the day`,
        download.suggestedFilename() === `${answer.body.community.name} ${day} 日报.${format}`, download.suggestedFilename())
      if (format === 'csv') {
        const content = bytes.toString('utf8')
        check('the CSV has 居民人数 and its count', content.includes('居民人数') && content.includes(String(residents.length)))
      }
      await p.locator('[data-test=report-downloaded]').waitFor()
    }

    // Print: the controls go, the report stays.
    await p.emulateMedia({ media: 'print' })
    check('printing leaves out the controls', !(await p.locator('[data-test=report-controls]').isVisible()) && (await header.isVisible()))
    await shot(p, 'desktop-report-print')
    await p.emulateMedia({ media: 'screen' })

    // English: the figures by their English names, statuses in words.
    await p.getByRole('button', { name: 'English' }).click()
    const en = answer.body.figures.find((f) => f.key === 'register.residents').label_en
    await p.locator('[data-test=report-total][data-figure="register.residents"] th', { hasText: en }).waitFor()
    const enText = await p.locator('main').innerText()
    check('in English: figure names and statuses in English', enText.includes('Sealed') && enText.includes('Daily report'), enText.slice(0, 200))
    check('no raw code in English either', !kCode.test(enText), enText.match(kCode)?.[0])
    await shot(p, 'desktop-report-en')
    await p.getByRole('button', { name: '中文' }).click()

    // Yesterday: a community made today has no record before. The picker starts at its first
    // day; typed in all the same, the page says why in Chinese.
    const yesterday = shanghaiDay(-1)
    const firstDay = answer.body.first_day
    check('the picker starts at the community\'s first day', !!firstDay && (await p.locator('[data-test=report-day]').getAttribute('min')) === firstDay, firstDay)
    if (firstDay === day) {
      check('no day before the first to step back to', await p.locator('[data-test=report-prev]').isDisabled())
      await p.locator('[data-test=report-day]').fill(yesterday)
    } else {
      await p.locator('[data-test=report-prev]').click()
    }
    await p.waitForURL((url) => url.searchParams.get('day') === yesterday)
    const error = p.locator('[data-test=report-error]')
    if (startDay === shanghaiDay()) {
      await error.waitFor()
      const said = await error.innerText()
      check('yesterday: before the community\'s first record, said in Chinese', said.includes('早于本居民区的首条记录') && said.includes(yesterday), said)
      check('yesterday: no report of another day left on screen', (await p.locator('[data-test=report-header]').count()) === 0)
      check('yesterday: no file to download', await p.locator('[data-test=report-xlsx]').isDisabled())
    } else {
      await p.locator(`[data-test=report-header][data-day="${yesterday}"]`).waitFor()
      check('yesterday: a whole day', (await p.locator('[data-test=report-header]').getAttribute('data-complete')) === 'true')
    }
    await shot(p, 'desktop-report-yesterday')

    // A future day typed in: the server refuses it and the page says why in Chinese.
    const tomorrow = shanghaiDay(1)
    await p.locator('[data-test=report-day]').fill(tomorrow)
    await p.waitForURL((url) => url.searchParams.get('day') === tomorrow)
    await p.locator('[data-test=report-error]', { hasText: '尚未到来' }).waitFor()
    const said = await error.innerText()
    check('a future day: refused in Chinese', said.includes(`${tomorrow} 尚未到来`) && !kCode.test(said), said)
    check('a future day: no day after it to step to, no file', await p.locator('[data-test=report-next]').isDisabled() &&
      await p.locator('[data-test=report-xlsx]').isDisabled())
    await shot(p, 'desktop-report-future')

    // Back to today in one tap.
    await p.locator('[data-test=report-today]').click()
    await p.locator(`[data-test=report-header][data-day="${day}"]`).waitFor()
    check('today again, and no query left', !new URL(p.url()).search)
    await ctx.close()
  })

  await step('the report on a phone', async () => {
    const ctx = await browser.newContext(phone)
    const p = await ctx.newPage()
    await login(p, base, 'staff', logins.staff)
    await p.locator('[data-test=dash-updated]').waitFor()
    const covered0 = await coveredBySos(p)
    check('phone: nothing on the overview under 紧急出门', covered0.length === 0, covered0.join('; '))
    await shot(p, 'phone-report-dashboard-link')
    await p.locator('[data-test=dash-report]').click()
    await p.locator('[data-test=report-header]').waitFor()
    check('phone: 居民人数 as on the desk', (await figure(p, 'register.residents')) === residents.length)
    check('phone: staff see whether it was submitted, with no button to submit it',
      (await p.locator('[data-test=report-submission]').innerText()).includes('未上报') && (await p.locator('[data-test=report-submit]').count()) === 0)
    const notScreened = await p.locator('[data-test=report-not-screened]').first().innerText()
    check('phone: a building no round covered says so', notScreened.includes('当日未筛查'), notScreened)
    const wide = await p.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1)
    check('phone: the page does not scroll sideways', !wide)
    // A table outside a scrolling box must fit: its last column cut off would not scroll into view.
    const cut = await p.evaluate(() => [...document.querySelectorAll('main table')]
      .filter((t) => !t.closest('.scroll') && t.getBoundingClientRect().right > window.innerWidth + 1)
      .map((t) => t.className))
    check('phone: every table outside a scrolling box fits the screen', cut.length === 0, cut.join('; '))
    const text = await p.locator('main').innerText()
    check('phone: no raw code', !kCode.test(text), text.match(kCode)?.[0])
    check('phone: every control has a name', (await unlabelled(p)).length === 0, JSON.stringify(await unlabelled(p)))
    const axe = await axeSerious(p)
    check('phone: no serious or critical WCAG 2.1 A/AA violation', axe.length === 0, axe.join('; '))
    const covered = await coveredBySos(p)
    check('phone: nothing on the report under 紧急出门', covered.length === 0, covered.join('; '))
    await shot(p, 'phone-report-today')
    await ctx.close()
  })

  // A community just added, with nothing in it yet: every list says it is empty.
  await step('an empty community\'s report says so, list by list', async () => {
    const adminApi = await apiAs(base, 'admin', logins.admin)
    const made = await adminApi('POST', '/communities', { name: '新建居民区', street: '测试街道', admin_username: 'xinjian-admin' })
    check('a new community', made.status === 201, JSON.stringify(made.body))
    cli(['user', 'add', 'xinjian-staff', '--role', 'staff', '--password-stdin', '--community', '新建居民区'], 'xinjian-staff-2022\n')
    const ctx = await browser.newContext(desktop)
    const p = await ctx.newPage()
    await login(p, base, 'xinjian-staff', 'xinjian-staff-2022')
    await p.goto(`${base}/desk/report`)
    const header = p.locator('[data-test=report-header]')
    await header.waitFor()
    check('its report names it', (await header.innerText()).includes('新建居民区'))
    check('居民人数 0', (await figure(p, 'register.residents')) === 0)
    check('no round that day', (await p.locator('[data-test=report-rounds]').innerText()).includes('当日没有筛查轮次'))
    for (const [list, words] of [['buildings', '还没有楼栋'], ['changes', '当日没有楼栋状态变更'], ['missing', '当日没有筛查，无未采样名单'],
      ['positives', '当日没有阳性结果'], ['denials', '当日门岗没有拦截']]) {
      const empty = p.locator(`[data-test=report-${list}-empty]`)
      check(`empty ${list}: said in words`, (await empty.count()) === 1 && (await empty.innerText()).includes(words), list)
    }
    const main = p.locator('main')
    const text = await main.innerText()
    check('empty: no raw code', !kCode.test(text), text.match(kCode)?.[0])
    const latin = await englishWords(main)
    check('empty: no English', latin.length === 0, latin.join(' '))
    await shot(p, 'desktop-report-empty')
    await ctx.close()
  })

  await step('the admin has no report screen', async () => {
    const ctx = await browser.newContext(desktop)
    const p = await ctx.newPage()
    await login(p, base, 'admin', logins.admin)
    await p.locator('[data-test=dash-admin]').waitFor()
    check('the admin\'s menu has no 日报', !(await p.locator('nav').innerText()).includes('日报'))
    await p.goto(`${base}/desk/report`)
    await p.locator('[data-test=dash-admin]').waitFor()
    check('the admin is sent home from /desk/report', new URL(p.url()).pathname === '/desk')
    await ctx.close()
  })
})
