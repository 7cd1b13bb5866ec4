// The street office's overview (街道汇总) and the daily report's submission (上报). Two
// communities on one street, a third on another. The secretary of one submits today's report at
// the desk (asked once more; then the badge with the audit chain's head; a second submit refused
// in Chinese); a record changes after, and the report shows what changed beside what was sent.
// The street office's account lands on its overview: its two communities and not the other
// street's, one 已上报 and one 未上报, risk levels in words, sortable; it downloads the sheet and
// opens a community's report (its figures, no 上报). On a phone the same as cards; a street with
// no community says so.
//
//   node web/tests/street.story.mjs --juwei build/src/cli/juwei --web build/share/juwei/web --out DIR
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { runStory, check, step, shot, login, apiAs, cli, desktop, phone, shanghaiIso, unlabelled, work } from './harness.mjs'
import { kCode, shanghaiDay, englishWords, textWithout, axeSerious } from './story-checks.mjs'

// What the street's screens may show that looks like a code or English: the risk rule's id,
// shown small beside its Chinese label, and the report's hashes.
const kSmall = '.rule-id, .mono, [data-test=report-audit-head]'

// The rows of the overview as the page orders them.
const rowNames = (p) => p.locator('[data-test=street-row]').evaluateAll((rows) => rows.map((r) => r.dataset.community))

runStory('street', async (browser, base, logins) => {
  const day = shanghaiDay()
  const adminApi = await apiAs(base, 'admin', logins.admin)
  const secretaryApi = await apiAs(base, 'secretary', logins.secretary)
  const staffApi = await apiAs(base, 'staff', logins.staff)

  // The seed community and its street; a second community on that street with 20 residents
  // (a synthetic register imported with the CLI); a third on another street.
  const seed = (await adminApi('GET', '/communities')).body.items[0]
  check('the seed community has a street', !!seed?.street?.name, JSON.stringify(seed))
  const street = seed.street.name
  const made = await adminApi('POST', '/communities', { name: '南苑居民区', street, admin_username: 'nanyuan-admin' })
  check('a second community on the seed\'s street', made.status === 201, JSON.stringify(made.body))
  cli(['gen', '--csv', `${work}/nanyuan.csv`, '--households', '8', '--residents', '20', '--volunteers', '0', '--seed', '5'])
  const imported = cli(['import', 'residents', `${work}/nanyuan.csv`, '--community', '南苑居民区'])
  check('its 20 residents are imported', imported.includes('20 added'), imported)
  cli(['gen', '--community', '西苑居民区', '--households', '5', '--residents', '12', '--volunteers', '0', '--seed', '9'])
  const everyone = (await adminApi('GET', '/communities')).body.items
  const other = everyone.find((c) => c.name === '西苑居民区')
  check('a community of another street', !!other && other.street?.name !== street, JSON.stringify(other))
  const account = await adminApi('POST', '/street-accounts', { street, username: 'jiedao1' })
  check('a street office account', account.status === 201 && account.body.password?.length >= 12, JSON.stringify(account.body))
  const streetPassword = account.body.password

  // Today's records in the seed: a round of one building, three swabbed, the single tube found
  // positive (a case: medium risk), the building sealed.
  const buildings = (await secretaryApi('GET', '/buildings?limit=500')).body.items
  const residents = (await secretaryApi('GET', '/residents?limit=500')).body.items
  const screened = buildings.find((b) => residents.filter((r) => r.building === b.name).length >= 5)
  const people = residents.filter((r) => r.building === screened.name)
  const round = await staffApi('POST', '/rounds', { day, buildings: [screened.id] })
  check('a round of one building for today', round.status === 201, JSON.stringify(round.body))
  const swab = (who, tube, kind) => staffApi('POST', `/rounds/${round.body.id}/samples`, { tube_code: tube, kind, resident_id: who.id })
  for (const [who, tube, kind] of [[people[0], 'T-S-0001', 'single'], [people[1], 'T-S-0002', 'pooled'], [people[2], 'T-S-0002', 'pooled']]) {
    check(`${who.name} is swabbed`, (await swab(who, tube, kind)).status === 201)
  }
  await new Promise((r) => setTimeout(r, 1100))
  const at = shanghaiIso(new Date())
  const csv = `试管编码,结果,报告时间,检测机构\nT-S-0001,阳性,${at},华大基因\nT-S-0002,阴性,${at},华大基因\n`
  const results = await staffApi('POST', '/results/import', csv, { 'Content-Type': 'text/csv', 'Idempotency-Key': `street-${Date.now()}` })
  check('the lab\'s results are imported', results.status === 200, JSON.stringify(results.body))
  const sealed = await secretaryApi('POST', `/buildings/${screened.id}/status-changes`, { status: 'sealed', reason: '单管阳性，封控' })
  check('the building is sealed', sealed.status === 201, JSON.stringify(sealed.body))

  await step('the secretary submits today\'s report at the desk', async () => {
    const ctx = await browser.newContext(desktop)
    // A second tab opened before, to submit again after.
    const late = await ctx.newPage()
    const p = await ctx.newPage()
    await login(p, base, 'secretary', logins.secretary)
    await late.goto(`${base}/desk/report`)
    await late.locator('[data-test=report-submission][data-submitted=false]').waitFor()
    await p.goto(`${base}/desk/report`)
    await p.locator('[data-test=report-submission][data-submitted=false]').waitFor()
    await p.locator('[data-test=report-submit]').click()
    const dialog = p.locator('.van-dialog')
    await dialog.waitFor()
    const asked = await dialog.innerText()
    check('上报 asks once more, saying the figures freeze', asked.includes(`上报 ${day} 日报？`) && asked.includes('上报后当日数字冻结，之后的更改将显示为差异'), asked)
    await p.waitForTimeout(400) // the dialog's fade-in
    await shot(p, 'desktop-report-submit-confirm')
    await dialog.getByRole('button', { name: '上报' }).click()
    const badge = p.locator('[data-test=report-submission][data-submitted=true]')
    await badge.waitFor()
    const said = await badge.innerText()
    check('the badge: 已上报 and the time', /已上报 \d\d:\d\d/.test(said), said)
    const answer = await secretaryApi('GET', `/reports/daily?day=${day}`)
    const s = answer.body.submission
    check('the server keeps the submission', !!s && s.audit_seq > 0 && s.audit_hash.length >= 12, JSON.stringify(s))
    const head = await p.locator('[data-test=report-submission-head]').innerText()
    check('the badge names the audit chain\'s head: #seq and short hash', head.includes(`#${s.audit_seq}`) && head.includes(s.audit_hash.slice(0, 12)), head)
    check('no 上报 button once submitted', (await p.locator('[data-test=report-submit]').count()) === 0)

    // The older tab submits again: refused, said in Chinese, and the submission shown.
    await late.locator('[data-test=report-submit]').click()
    await late.locator('.van-dialog').getByRole('button', { name: '上报' }).click()
    const refused = late.locator('[data-test=report-submit-error]')
    await refused.waitFor()
    const why = await refused.innerText()
    check('a second 上报: refused in Chinese', why.includes('已上报') && !/[A-Za-z]{3,}/.test(why), why)
    await late.locator('[data-test=report-submission][data-submitted=true]').waitFor()
    check('the older tab then shows the submission', (await late.locator('[data-test=report-submit]').count()) === 0)
    await shot(late, 'desktop-report-submit-again')
    check('the API refuses a second 上报 with 409', (await secretaryApi('POST', '/reports/daily/submission', { day })).status === 409)
    check('staff cannot submit (403)', (await staffApi('POST', '/reports/daily/submission', { day })).status === 403)

    // A record of the day changes after: one more resident swabbed.
    check('one more swabbed after', (await swab(people[3], 'T-S-0003', 'single')).status === 201)
    await p.reload()
    const diff = p.locator('[data-test=report-differences]')
    await diff.waitFor()
    const sampled = diff.locator('[data-test=report-difference][data-figure="screening.sampled"]')
    check('上报后有变化: 已采样 sent 3, now 4', (await diff.innerText()).includes('上报后有变化') &&
      (await sampled.locator('[data-test=report-diff-submitted]').innerText()) === '3' &&
      (await sampled.locator('[data-test=report-diff-now]').innerText()).startsWith('4'), await diff.innerText())
    check('the changed figure is marked in the totals',
      await p.locator('[data-test=report-total][data-figure="screening.sampled"]').evaluate((e) => e.classList.contains('changed')))
    const main = p.locator('main')
    const text = await textWithout(main, kSmall)
    check('no raw code on the submitted report', !kCode.test(text), text.match(kCode)?.[0])
    const latin = await englishWords(main, kSmall)
    check('no English on the submitted report', latin.length === 0, latin.join(' '))
    await shot(p, 'desktop-report-submitted')

    // The audit trail names the submission in Chinese.
    await p.goto(`${base}/desk/audit`)
    const row = p.locator('[data-test=audit-row][data-action="report.submit"]')
    await row.first().waitFor()
    check('the audit trail lists 上报日报', (await row.count()) === 1 && (await row.innerText()).includes('上报日报'), await row.first().innerText())
    await ctx.close()
  })

  // The figures the street should see, from the community's own report.
  const seedReport = (await secretaryApi('GET', `/reports/daily?day=${day}`)).body
  const seedFigure = (key) => seedReport.figures.find((f) => f.key === key).value

  await step('the street office reads its overview at the desk', async () => {
    const ctx = await browser.newContext(desktop)
    const p = await ctx.newPage()
    await login(p, base, 'jiedao1', streetPassword)
    await p.locator('[data-test=dash-street] [data-test=street-table]').waitFor()
    check('the street lands on its overview', new URL(p.url()).pathname === '/desk')
    check('the nav marks 街道汇总', (await p.locator('nav a.router-link-exact-active').innerText()) === '街道汇总')
    check('the title names the street', (await p.locator('h1').innerText()).includes(street), await p.locator('h1').innerText())
    const names = await rowNames(p)
    check('its two communities, not the other street\'s', names.length === 2 && names.includes(seed.name) && names.includes('南苑居民区') &&
      !names.includes('西苑居民区'), names.join(','))
    const seedRow = p.locator(`[data-test=street-row][data-community="${seed.name}"]`)
    const newRow = p.locator('[data-test=street-row][data-community="南苑居民区"]')
    check('the seed: 已上报 and its time', (await seedRow.getAttribute('data-submitted')) === 'true' &&
      /已上报 \d\d:\d\d/.test(await seedRow.locator('[data-test=street-submitted]').innerText()))
    check('the new one: 未上报', (await newRow.getAttribute('data-submitted')) === 'false' &&
      (await newRow.locator('[data-test=street-submitted]').innerText()).includes('未上报'))
    check('the seed: 中风险 (a case), its rule small beside', (await seedRow.locator('[data-test=street-risk]').innerText()) === '中风险' &&
      (await seedRow.locator('[data-test=street-rule]').innerText()) === 'risk.medium')
    check('the new one: 低风险', (await newRow.locator('[data-test=street-risk]').innerText()) === '低风险')
    const value = async (row, key) => Number(await row.locator(`[data-test=street-${key}]`).getAttribute('data-value'))
    check('人数 as the communities\' own reports count', (await value(seedRow, 'residents')) === seedFigure('register.residents') &&
      (await value(newRow, 'residents')) === 20)
    check('the seed: one positive, one case, a sealed building', (await value(seedRow, 'positives')) === 1 &&
      (await value(seedRow, 'cases')) === 1 && (await value(seedRow, 'sealed')) === seedFigure('buildings.sealed'))
    const coverage = seedRow.locator('[data-test=street-coverage]')
    check('the seed\'s coverage: sampled of due and the share', (await coverage.getAttribute('data-sampled')) === '4' &&
      Number(await coverage.getAttribute('data-due')) === seedFigure('screening.due') && (await coverage.innerText()).includes('%'),
      await coverage.innerText())
    check('the new one was not screened', (await newRow.locator('[data-test=street-coverage]').innerText()).includes('未筛查'))
    const total = p.locator('[data-test=street-total]')
    check('合计: the residents summed', (await value(total, 'residents')) === seedFigure('register.residents') + 20)
    check('合计: 日报已上报 1/2', (await total.locator('[data-test=street-total-submitted]').innerText()).includes('1/2'))
    // Late against the policy's deadline (20:00) as the server says, whatever the hour the story runs.
    const overviewApi = (await (await apiAs(base, 'jiedao1', streetPassword))('GET', '/reports/street')).body
    for (const row of overviewApi.communities) {
      const tag = p.locator(`[data-test=street-row][data-community="${row.community.name}"] [data-test=street-submitted] .submission-tag`)
      check(`${row.community.name}: late as the server says (${row.late})`, (await tag.getAttribute('data-late')) === String(row.late) &&
        (await tag.innerText()).includes('逾期') === row.late && /T12:00:00Z$/.test(row.deadline), `${row.deadline} ${await tag.innerText()}`)
    }
    check('the head says the deadline or who is late', overviewApi.late
      ? (await p.locator('[data-test=street-late]').innerText()).includes(`逾期 ${overviewApi.late} 个`)
      : (await p.locator('[data-test=street-deadline]').innerText()).includes('上报时限 20:00'))

    // Sorting by a column, both ways, and by 日报 (not submitted first).
    await p.locator('[data-test=street-sort-residents]').click()
    check('by 人数: most first', JSON.stringify(await rowNames(p)) === JSON.stringify([seed.name, '南苑居民区']) &&
      (await p.locator('th:has([data-test=street-sort-residents])').getAttribute('aria-sort')) === 'descending')
    await p.locator('[data-test=street-sort-residents]').click()
    check('by 人数 again: fewest first', JSON.stringify(await rowNames(p)) === JSON.stringify(['南苑居民区', seed.name]) &&
      (await p.locator('th:has([data-test=street-sort-residents])').getAttribute('aria-sort')) === 'ascending')
    await p.locator('[data-test=street-sort-risk]').click()
    check('by 风险等级: highest first', (await rowNames(p))[0] === seed.name)
    await p.locator('[data-test=street-sort-submitted]').click()
    check('by 日报: 未上报 first', (await rowNames(p))[0] === '南苑居民区')

    const main = p.locator('main')
    const text = await textWithout(main, kSmall)
    check('no raw code on the overview (but the rule\'s id, small)', !kCode.test(text), text.match(kCode)?.[0])
    const latin = await englishWords(main, kSmall)
    check('no English on the overview', latin.length === 0, latin.join(' '))
    check('every control has a name', (await unlabelled(p)).length === 0, JSON.stringify(await unlabelled(p)))
    const axe = await axeSerious(p)
    check('no serious or critical WCAG 2.1 A/AA violation on the overview', axe.length === 0, axe.join('; '))
    const rule = await p.locator('[data-test=street-rule]').first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize))
    const label = await p.locator('[data-test=street-risk]').first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize))
    check('the rule\'s id is smaller than its label', rule < label, `${rule} vs ${label}`)
    const overflow = await p.locator('[data-test=street-table]').evaluate((t) => t.parentElement.scrollWidth - t.parentElement.clientWidth)
    check('every column fits the desk\'s screen', overflow <= 0, String(overflow))
    await shot(p, 'desktop-street')

    // The street office's sheet.
    const [download] = await Promise.all([p.waitForEvent('download'), p.locator('[data-test=street-xlsx]').click()])
    const file = await download.path()
    const bytes = readFileSync(file)
    check('the XLSX is a ZIP (PK)', bytes.subarray(0, 2).toString() === 'PK', bytes.subarray(0, 4).toString('hex'))
    check('the XLSX is named 街道汇总 and the day', download.suggestedFilename() === `街道汇总 ${day}.xlsx`, download.suggestedFilename())
    const strings = execFileSync('unzip', ['-p', file, 'xl/sharedStrings.xml'], { encoding: 'utf8' })
    check('the sheet lists the street\'s communities, not the other street\'s', strings.includes(seed.name) && strings.includes('南苑居民区') &&
      !strings.includes('西苑居民区'))
    await p.locator('[data-test=street-downloaded]').waitFor()

    // In English: the risk levels and the headings in words.
    await p.getByRole('button', { name: 'English' }).click()
    await p.locator('[data-test=street-risk]', { hasText: 'Medium risk' }).waitFor()
    const en = await textWithout(main, kSmall)
    check('in English: risk levels, 日报 and headings in English', ['Street overview', 'Low risk', 'Not submitted', 'Residents'].every((w) => en.includes(w)) &&
      !/[低中高]风险|未上报|居民区$/.test(en), en.slice(0, 200))
    check('no raw code in English either', !kCode.test(en), en.match(kCode)?.[0])
    const overflowEn = await p.locator('[data-test=street-table]').evaluate((t) => t.parentElement.scrollWidth - t.parentElement.clientWidth)
    check('every column fits in English too', overflowEn <= 0, String(overflowEn))
    await shot(p, 'desktop-street-en')
    await p.getByRole('button', { name: '中文' }).click()

    // A row opens its community's report of the day: its figures, nothing to submit.
    await p.locator('[data-test=street-row][data-community="南苑居民区"] [data-test=street-residents]').click()
    await p.waitForURL((url) => url.pathname === '/desk/report' && url.searchParams.get('community') === made.body.id && url.searchParams.get('day') === day)
    const header = p.locator('[data-test=report-header]')
    await header.waitFor()
    check('the report names the community', (await header.innerText()).includes('南苑居民区'))
    const figure = (key) => p.locator(`[data-test=report-total][data-figure="${key}"]`).getAttribute('data-value')
    check('its 居民人数 is 20', (await figure('register.residents')) === '20')
    check('not submitted, and no 上报 for the street', (await p.locator('[data-test=report-submission]').innerText()).includes('未上报') &&
      (await p.locator('[data-test=report-submit]').count()) === 0)
    check('its buildings are not links for the street', (await p.locator('[data-test=report-building] a').count()) === 0)
    await p.locator('[data-test=report-back]').click()
    await p.locator(`[data-test=street-row][data-community="${seed.name}"] [data-test=street-open]`).click()
    await p.locator(`[data-test=report-header]:has-text("${seed.name}")`).waitFor()
    check('the seed\'s report: its residents, submitted, what changed since', (await figure('register.residents')) === String(seedFigure('register.residents')) &&
      /已上报 \d\d:\d\d/.test(await p.locator('[data-test=report-submission]').innerText()) &&
      (await p.locator('[data-test=report-difference]').count()) >= 1)
    const reportText = await textWithout(p.locator('main'), kSmall)
    check('no raw code on the street\'s report', !kCode.test(reportText), reportText.match(kCode)?.[0])
    await shot(p, 'desktop-street-report')

    // The CSV too, with the community asked for.
    const [csvFile] = await Promise.all([p.waitForEvent('download'), p.locator('[data-test=report-csv]').click()])
    check('the street downloads the community\'s CSV', csvFile.suggestedFilename() === `${seed.name} ${day} 日报.csv`, csvFile.suggestedFilename())

    // Another street's community: not found; no community: where to pick one.
    await p.goto(`${base}/desk/report?community=${other.id}&day=${day}`)
    const error = p.locator('[data-test=report-error]')
    await error.waitFor()
    check('another street\'s community: not found, in Chinese', /[\u4e00-\u9fff]/.test(await error.innerText()) &&
      (await p.locator('[data-test=report-header]').count()) === 0, await error.innerText())
    await p.goto(`${base}/desk/report`)
    await p.locator('[data-test=report-pick-community]').waitFor()
    check('no community asked: sent to pick one', (await p.locator('[data-test=report-pick-community]').innerText()).includes('街道汇总'))
    check('the street has no 日报 of its own in the menu', !(await p.locator('nav').innerText()).includes('日报'))
    await ctx.close()
  })

  await step('the street office on a phone', async () => {
    const ctx = await browser.newContext(phone)
    const p = await ctx.newPage()
    await login(p, base, 'jiedao1', streetPassword)
    await p.locator('[data-test=street-row]').first().waitFor()
    const wide = await p.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1)
    check('phone: the overview does not scroll sideways', !wide)
    const card = await p.locator('[data-test=street-row]').first().boundingBox()
    check('phone: a community is a card as wide as the screen', card && card.width > 300 && card.width <= 390, JSON.stringify(card))
    await p.locator('[data-test=street-sort]').selectOption('residents:desc')
    check('phone: ordered by 人数 from the select', (await rowNames(p))[0] === seed.name)
    await p.locator('[data-test=street-sort]').selectOption('submitted:asc')
    check('phone: ordered by 日报', (await rowNames(p))[0] === '南苑居民区')
    const text = await textWithout(p.locator('main'), kSmall)
    check('phone: no raw code', !kCode.test(text), text.match(kCode)?.[0])
    check('phone: every control has a name', (await unlabelled(p)).length === 0, JSON.stringify(await unlabelled(p)))
    const axe = await axeSerious(p)
    check('phone: no serious or critical WCAG 2.1 A/AA violation', axe.length === 0, axe.join('; '))
    await shot(p, 'phone-street')
    await p.locator(`[data-test=street-row][data-community="${seed.name}"] [data-test=street-open]`).click()
    await p.locator('[data-test=report-header]').waitFor()
    const reportWide = await p.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1)
    check('phone: the community\'s report does not scroll sideways', !reportWide)
    await shot(p, 'phone-street-report')
    await ctx.close()
  })

  await step('the admin sees every community, a street with none says so', async () => {
    const ctx = await browser.newContext(desktop)
    const p = await ctx.newPage()
    await login(p, base, 'admin', logins.admin)
    await p.locator('[data-test=card-street]').click()
    await p.locator('[data-test=street-table]').waitFor()
    const names = await rowNames(p)
    check('the admin: all three communities', names.length === 3 && names.includes('西苑居民区'), names.join(','))
    check('the admin opens no community\'s report', (await p.locator('[data-test=street-open]').count()) === 0)
    await ctx.close()

    const empty = await adminApi('POST', '/street-accounts', { street: '新设街道', username: 'jiedao2' })
    check('a street office with no community', empty.status === 201, JSON.stringify(empty.body))
    const ctx2 = await browser.newContext(desktop)
    const q = await ctx2.newPage()
    await login(q, base, 'jiedao2', empty.body.password)
    const none = q.locator('[data-test=street-empty]')
    await none.waitFor()
    check('no community: said in words', (await none.innerText()).includes('本街道还没有居民区'))
    check('no community: no table', (await q.locator('[data-test=street-table]').count()) === 0)
    await shot(q, 'desktop-street-empty')
    await ctx2.close()
  })
})
