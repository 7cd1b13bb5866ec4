// The desk's trends (趋势): the daily report's figures day by day as four charts, each with its
// table. The seed community is made two weeks back (`juwei demo --history 14`: each day's round,
// lab results, building statuses, exits and self-tests), and the story adds today's records (a
// round of one building with a positive single tube, the building sealed, a positive antigen
// self-test, two emergency exits, one back). The secretary opens 趋势 from the daily report:
// every table's numbers are the API's series, day by day; the charts are drawn; today is marked
// as still running; the presets and the date fields change the rows; a reversed or too long range
// is refused in Chinese. On a phone the charts fit the screen and the tables scroll in their box.
// The street office reads a community's trends from its report (?community=); the gate, a
// volunteer, a resident and the admin are not offered the screen. A community with no records
// in the range says so.
//
//   node web/tests/trends.story.mjs --juwei build/src/cli/juwei --web build/share/juwei/web --out DIR
//
// A `juwei` without `demo --history` still runs the story, on one day's records (today's): the
// multi-day checks are then left out, and the run says so.
import { execFileSync } from 'node:child_process'
import { runStory, check, step, shot, login, apiAs, cli, desktop, phone, shanghaiIso, coveredBySos, unlabelled, juwei, figures } from './harness.mjs'
import { kCode, shanghaiDay, englishWords, axeSerious } from './story-checks.mjs'

// Days of history asked of `juwei demo`, when it can make them.
const HISTORY = execFileSync(juwei, ['demo', '--help'], { encoding: 'utf8' }).includes('--history') ? 14 : 0
if (!HISTORY) console.log('note this juwei has no `demo --history`: the story runs on one day\'s records, without the multi-day checks')

// The figures each chart shows, in its table's order.
const chartFigures = {
  screening: ['screening.due', 'screening.sampled', 'screening.missing', 'antigen.reports'],
  positives: ['screening.positive_single', 'screening.positive_pooled', 'antigen.positive'],
  buildings: ['buildings.sealed', 'buildings.controlled', 'buildings.precaution', 'buildings.unset'],
  exits: ['exits.out_that_day', 'exits.back', 'exits.out', 'exits.overdue'],
}

// A chart's table as the page shows it: { day: { figure: n } }, in the rows' order; a cell whose
// text and data-value disagree is kept as the text of both, so it matches no number.
function tableOf(p, chart) {
  return p.locator(`[data-test=trend-table][data-chart=${chart}]`).evaluate((t) => {
    const out = {}
    for (const row of t.querySelectorAll('[data-test=trend-row]')) {
      const cells = {}
      for (const td of row.querySelectorAll('td[data-figure]')) {
        const text = td.textContent.trim()
        cells[td.dataset.figure] = td.dataset.value === text ? Number(text) : `${td.dataset.value} / ${text}`
      }
      out[row.dataset.day] = cells
    }
    return out
  })
}

// Where the page's four tables differ from the API's series (none: []): the days, in order, and
// every figure of every day.
async function differences(p, series) {
  const out = []
  const days = series.days.map((d) => d.day)
  for (const [chart, keys] of Object.entries(chartFigures)) {
    const table = await tableOf(p, chart)
    if (JSON.stringify(Object.keys(table)) !== JSON.stringify(days)) out.push(`${chart}: days ${Object.keys(table).join(',')} vs ${days.join(',')}`)
    for (const d of series.days) {
      for (const key of keys) {
        if (table[d.day]?.[key] !== d.figures[key]) out.push(`${chart} ${d.day} ${key}: ${table[d.day]?.[key]} vs ${d.figures[key]}`)
      }
    }
  }
  return out
}

// The charts drawn: each figure ready, with a canvas on which more than a few hundred pixels are
// neither blank nor white.
async function drawn(p) {
  await p.waitForFunction(() => document.querySelectorAll('[data-test=trend-chart][data-state=ready] canvas').length >= 4, null, { timeout: 30000 })
  return p.locator('[data-test=trend-chart]').evaluateAll((charts) => charts.map((c) => {
    const canvas = c.querySelector('canvas')
    if (c.dataset.state !== 'ready' || !canvas) return `${c.dataset.chart}: ${c.dataset.state}`
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height)
    let inked = 0
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235)) inked++
    return inked > 300 ? '' : `${c.dataset.chart}: ${inked} pixels drawn`
  }).filter(Boolean))
}

// Sets the range through the date fields and waits for the page to take the server's answer to
// it (the charts or the refusal).
async function setRange(p, from, to) {
  const answered = p.waitForResponse((r) => r.url().includes('/api/v1/reports/series') &&
    new URL(r.url()).searchParams.get('from') === from && new URL(r.url()).searchParams.get('to') === to)
  // the field that does not make the range reversed on the way goes first
  const current = await p.locator('[data-test=trends-to]').inputValue()
  if (from > current) {
    await p.locator('[data-test=trends-to]').fill(to)
    await p.locator('[data-test=trends-from]').fill(from)
  } else {
    await p.locator('[data-test=trends-from]').fill(from)
    await p.locator('[data-test=trends-to]').fill(to)
  }
  await answered
  await p.locator('[data-test=trends]:not([data-state=loading])').waitFor()
}
async function preset(p, n) {
  const from = shanghaiDay(-(n - 1))
  const answered = p.waitForResponse((r) => r.url().includes('/api/v1/reports/series') && new URL(r.url()).searchParams.get('from') === from)
  await p.locator(`[data-test=trends-preset-${n}]`).click()
  await answered
  await p.locator('[data-test=trends]:not([data-state=loading])').waitFor()
}
const rows = (p) => p.locator('[data-test=trend-table][data-chart=screening] [data-test=trend-row]').count()

// The Chinese page: no raw code, no English word, every control named, no serious axe finding.
async function cleanChinese(p, what) {
  const main = p.locator('main')
  const text = await main.innerText()
  check(`${what}: no raw code`, !kCode.test(text), text.match(kCode)?.[0])
  const latin = await englishWords(main)
  check(`${what}: no English`, latin.length === 0, latin.join(' '))
  const nameless = await unlabelled(p)
  check(`${what}: every control has a name`, nameless.length === 0, JSON.stringify(nameless))
  const axe = await axeSerious(p)
  check(`${what}: no serious or critical WCAG 2.1 A/AA violation`, axe.length === 0, axe.join('; '))
}

runStory('trends', async (browser, base, logins) => {
  const day = shanghaiDay()
  const adminApi = await apiAs(base, 'admin', logins.admin)
  const secretaryApi = await apiAs(base, 'secretary', logins.secretary)
  const staffApi = await apiAs(base, 'staff', logins.staff)
  const series = async (api, query = '') => {
    const r = await api('GET', `/reports/series${query}`)
    if (r.status !== 200) throw new Error(`series${query}: ${r.status} ${JSON.stringify(r.body)}`)
    return r.body
  }
  const todayOf = (s) => s.days.find((d) => d.day === day)?.figures

  // Today's figures before the story's own records, to count what they add.
  const before = todayOf(await series(staffApi))
  check('today is in the default series', !!before)

  // Today's records: a round of one building (not sealed yet), three swabbed, the single tube
  // positive; the building sealed; a positive antigen self-test; two emergency exits through the
  // gate, one of them back.
  // (the first 500 of each: enough to pick from)
  const residents = (await secretaryApi('GET', '/residents?limit=500')).body.items
  const buildings = (await secretaryApi('GET', '/buildings?limit=500')).body.items
  const byBuilding = (b) => residents.filter((r) => r.building === b.name)
  // each building's status now, from today's report
  const statusOf = Object.fromEntries((await staffApi('GET', `/reports/daily?day=${day}`)).body.buildings.map((b) => [b.building_id, b.status]))
  const screened = buildings.find((b) => statusOf[b.id] !== 'sealed' && byBuilding(b).length >= 6)
  const people = byBuilding(screened)
  const round = await staffApi('POST', '/rounds', { day, buildings: [screened.id] })
  check('a round of one building for today', round.status === 201, JSON.stringify(round.body))
  for (const [who, tube, kind] of [[people[0], 'T-T-0001', 'single'], [people[1], 'T-T-0002', 'pooled'], [people[2], 'T-T-0002', 'pooled']]) {
    const s = await staffApi('POST', `/rounds/${round.body.id}/samples`, { tube_code: tube, kind, resident_id: who.id })
    check(`${who.name} is swabbed (${kind})`, s.status === 201, JSON.stringify(s.body))
  }
  await new Promise((r) => setTimeout(r, 1100))
  const at = shanghaiIso(new Date())
  const csv = `试管编码,结果,报告时间,检测机构\nT-T-0001,阳性,${at},华大基因\nT-T-0002,阴性,${at},华大基因\n`
  const imported = await staffApi('POST', '/results/import', csv, { 'Content-Type': 'text/csv', 'Idempotency-Key': `trends-${Date.now()}` })
  check('the lab\'s results are imported', imported.status === 200, JSON.stringify(imported.body))
  const sealed = await secretaryApi('POST', `/buildings/${screened.id}/status-changes`, { status: 'sealed', reason: '单管阳性，封控' })
  check('the secretary seals the building', sealed.status === 201, JSON.stringify(sealed.body))
  const selfTest = await staffApi('POST', `/residents/${people[3].id}/antigen-tests`, { result: 'positive', tested_at: shanghaiIso(new Date()) })
  check('a positive antigen self-test is reported', selfTest.status === 201, JSON.stringify(selfTest.body))
  // Two residents of other buildings released (medical emergency) and let out at the gate; the
  // second comes back. One the register shows out already is passed over.
  const released = []
  for (const who of residents.filter((r) => r.building !== screened.name)) {
    if (released.length === 2) break
    const exit = await staffApi('POST', '/emergency-exits', { resident_id: who.id, reason: 'medical_emergency', destination: '仁济医院', note: '胸痛，送医' },
      { 'Idempotency-Key': `trends-exit-${who.id}` })
    if (exit.status !== 201) continue
    const out = await staffApi('POST', '/gate/check', { token: exit.body.pass.token, direction: 'out' })
    if (out.status === 200 && out.body.decision === 'allow') released.push({ who, token: exit.body.pass.token })
  }
  check('two residents released and let out at the gate', released.length === 2, String(released.length))
  const back = await staffApi('POST', '/gate/check', { token: released[1].token, direction: 'in' })
  check('the second is back', back.status === 200 && back.body.decision === 'allow', JSON.stringify(back.body))

  // What today's records add to today's figures, by the API.
  const answer = await series(staffApi)
  const after = todayOf(answer)
  const added = (key) => after[key] - before[key]
  check('the series counts today\'s records: 3 sampled, 1 single tube positive, 1 antigen report and positive',
    added('screening.sampled') === 3 && added('screening.positive_single') === 1 && added('antigen.reports') === 1 && added('antigen.positive') === 1,
    ['screening.sampled', 'screening.positive_single', 'antigen.reports', 'antigen.positive'].map((k) => `${k} +${added(k)}`).join(' '))
  check('… one more building sealed, 2 out today, 1 back, 1 still out',
    added('buildings.sealed') === 1 && added('exits.out_that_day') === 2 && added('exits.back') === 1 && added('exits.out') === 1,
    ['buildings.sealed', 'exits.out_that_day', 'exits.back', 'exits.out'].map((k) => `${k} +${added(k)}`).join(' '))
  const expectedDays = Math.min(14, HISTORY + 1)
  check(`the default series: the last two weeks, ${expectedDays} days with records`, answer.to === day && answer.days.length === expectedDays &&
    answer.days.at(-1).day === day && !answer.days.at(-1).complete, `${answer.from}..${answer.to}: ${answer.days.length}`)
  figures.days_default = answer.days.length
  figures.history = HISTORY
  if (HISTORY) {
    const past = answer.days.filter((d) => d.complete)
    check('history: every past day is whole, most of them screened', past.every((d) => d.complete) &&
      past.filter((d) => d.figures['screening.sampled'] > 0).length >= past.length / 2, past.map((d) => d.figures['screening.sampled']).join(','))
    const sealedCounts = new Set(answer.days.map((d) => d.figures['buildings.sealed']))
    check('history: the buildings\' statuses change over the days', sealedCounts.size > 1, [...sealedCounts].join(','))
  }

  await step('the secretary reads the trends at the desk', async () => {
    const ctx = await browser.newContext(desktop)
    const p = await ctx.newPage()
    const pageErrors = []
    p.on('pageerror', (e) => pageErrors.push(e.message))
    await login(p, base, 'secretary', logins.secretary)
    await p.goto(`${base}/desk/report`)
    const link = p.locator('[data-test=report-trends]')
    await link.waitFor()
    check('the daily report links 查看趋势图', (await link.innerText()).includes('查看趋势图'), await link.innerText())
    await link.click()
    const header = p.locator('[data-test=trends-header]')
    await header.waitFor()
    check('趋势 opens at /desk/trends', new URL(p.url()).pathname === '/desk/trends' && (await p.locator('h1').innerText()) === '趋势')
    const headText = await header.innerText()
    check('the header names the community and the range', headText.includes(answer.community.name) && headText.includes(answer.to) &&
      headText.includes(`共 ${answer.days.length} 天`), headText)
    check('the fields show the last 14 days and 近 14 天 is marked', (await p.locator('[data-test=trends-from]').inputValue()) === shanghaiDay(-13) &&
      (await p.locator('[data-test=trends-to]').inputValue()) === day && (await p.locator('[data-test=trends-preset-14]').getAttribute('aria-pressed')) === 'true')

    const notDrawn = await drawn(p)
    check('the four charts are drawn', notDrawn.length === 0 && (await p.locator('[data-test=trend-chart]').count()) === 4, notDrawn.join('; '))
    const diff = await differences(p, await series(secretaryApi))
    check('every table\'s numbers are the API\'s series, day by day', diff.length === 0, diff.slice(0, 8).join('; '))
    const todayRow = p.locator(`[data-test=trend-table][data-chart=screening] [data-test=trend-row][data-day="${day}"]`)
    check('today\'s row is marked 今天（截至现在）', (await todayRow.getAttribute('data-complete')) === 'false' &&
      (await todayRow.locator('th').textContent()).includes('今天（截至现在）'), await todayRow.locator('th').textContent())
    check('a note says today is still running', (await p.locator('[data-test=trends-running]').innerText()).includes('今天尚未结束'))
    const caption = await p.locator('[data-test=trend-table][data-chart=buildings] caption').textContent()
    check('each table has a caption and headers with scope', caption.includes('楼栋状态') &&
      (await p.locator('[data-test=trend-table] thead th[scope=col]').count()) === 4 + Object.values(chartFigures).flat().length &&
      (await p.locator('[data-test=trend-table] tbody th[scope=row]').count()) === 4 * answer.days.length, caption)
    const picture = await p.locator('[data-test=trend-chart][data-chart=positives] [role=img]').getAttribute('aria-label')
    check('each chart is a picture with a name', picture.includes('阳性') && picture.includes(`共 ${answer.days.length} 天`), picture)
    if (HISTORY) {
      const positives = await tableOf(p, 'positives')
      check('history: past days with positives are in the positives\' table',
        Object.values(positives).some((f) => f['screening.positive_single'] + f['screening.positive_pooled'] + f['antigen.positive'] > 0))
    }
    await shot(p, 'desktop-trends')
    // a table opened, as a screen reader or a keyboard user would
    await p.locator('[data-test=trend-chart][data-chart=screening] summary').click()
    await p.locator('[data-test=trend-table][data-chart=screening]').waitFor()
    await cleanChinese(p, 'desk')
    await shot(p, 'desktop-trends-table')

    // Printed: every table open, the controls gone.
    await p.evaluate(() => window.dispatchEvent(new Event('beforeprint')))
    await p.emulateMedia({ media: 'print' })
    const open = await p.locator('[data-test=trend-chart] details[open]').count()
    check('printing opens the four tables and leaves out the controls', open === 4 && !(await p.locator('[data-test=trends-controls]').isVisible()), String(open))
    await shot(p, 'desktop-trends-print')
    await p.emulateMedia({ media: 'screen' })
    await p.evaluate(() => window.dispatchEvent(new Event('afterprint')))
    check('after printing the tables are as they were', (await p.locator('[data-test=trend-chart] details[open]').count()) === 1)

    // The presets: 7 days, 30 days (the records start later: said), back to 14 with no query.
    await preset(p, 7)
    check('近 7 天: 7 days or as many as there are', (await rows(p)) === Math.min(7, HISTORY + 1) &&
      new URL(p.url()).searchParams.get('from') === shanghaiDay(-6) && (await p.locator('[data-test=trends-preset-7]').getAttribute('aria-pressed')) === 'true')
    await preset(p, 30)
    const first = (await series(secretaryApi, `?from=${shanghaiDay(-29)}`)).days[0].day
    check('近 30 天: every day since the first record', (await rows(p)) === HISTORY + 1, String(await rows(p)))
    const note = await p.locator('[data-test=trends-before-first]').innerText()
    check('近 30 天: the first record\'s day is said', note.includes(`${first} 之前本居民区还没有记录`), note)
    check('近 30 天: the tables are the API\'s', (await differences(p, await series(secretaryApi, `?from=${shanghaiDay(-29)}&to=${day}`))).length === 0)
    await shot(p, 'desktop-trends-30')

    // Days in the past only: whole days, nothing running; or none at all without history.
    const [pastFrom, pastTo] = [shanghaiDay(-10), shanghaiDay(-3)]
    await setRange(p, pastFrom, pastTo)
    if (HISTORY) {
      const past = await series(secretaryApi, `?from=${pastFrom}&to=${pastTo}`)
      check('a past range: 8 whole days, no running note', (await rows(p)) === 8 && past.days.every((d) => d.complete) &&
        (await p.locator('[data-test=trends-running]').count()) === 0 && (await p.locator('[data-test=trend-running]').count()) === 0)
      const pastDiff = await differences(p, past)
      check('a past range: the tables are the API\'s', pastDiff.length === 0, pastDiff.slice(0, 8).join('; '))
      check('a past range: the charts are drawn again', (await drawn(p)).length === 0)
    } else {
      const empty = await p.locator('[data-test=trends-empty]').innerText()
      check('a past range before the community: said, no chart', empty.includes('还没有记录') && (await p.locator('[data-test=trend-chart]').count()) === 0, empty)
    }
    await shot(p, 'desktop-trends-past')

    // A reversed range and one too long: the server's words, in Chinese, no chart left.
    await setRange(p, day, pastTo)
    const error = p.locator('[data-test=trends-error]')
    const reversed = await error.innerText()
    check('a reversed range: said in Chinese', reversed.includes(`开始日期 ${day} 晚于结束日期 ${pastTo}`) && !kCode.test(reversed), reversed)
    check('a reversed range: no chart of another range left', (await p.locator('[data-test=trend-chart]').count()) === 0)
    await cleanChinese(p, 'reversed range')
    await shot(p, 'desktop-trends-reversed')
    await setRange(p, shanghaiDay(-100), day)
    const tooLong = await error.innerText()
    check('100 days: refused in Chinese with the limit', tooLong.includes('一次最多查询 92 天') && !kCode.test(tooLong), tooLong)
    await preset(p, 14)
    check('近 14 天 again: no query left', !new URL(p.url()).search && (await rows(p)) === expectedDays)

    // From an earlier day's report: the trends end on that day.
    if (HISTORY) {
      const earlier = shanghaiDay(-3)
      await p.goto(`${base}/desk/report?day=${earlier}`)
      await p.locator(`[data-test=report-header][data-day="${earlier}"]`).waitFor()
      await p.locator('[data-test=report-trends]').click()
      await p.locator(`[data-test=trends-header][data-to="${earlier}"]`).waitFor()
      const days = await p.locator('[data-test=trend-table][data-chart=exits] [data-test=trend-row]').evaluateAll((r) => r.map((x) => x.dataset.day))
      const upTo = (await series(secretaryApi, `?to=${earlier}`)).days.map((d) => d.day)
      check('from an earlier day\'s report: the two weeks up to that day, whole days', new URL(p.url()).searchParams.get('to') === earlier &&
        JSON.stringify(days) === JSON.stringify(upTo) && days.at(-1) === earlier && (await p.locator('[data-test=trends-running]').count()) === 0,
        `${days.join(',')} vs ${upTo.join(',')}`)
      await preset(p, 14)
    }

    // English: the figures' English names, the day still running in English.
    await p.getByRole('button', { name: 'English' }).click()
    await p.locator('h1', { hasText: 'Trends' }).waitFor()
    const en = await p.locator('main').innerText()
    const dueEn = answer.figures.find((f) => f.key === 'screening.due').label_en
    check('in English: the charts and their figures in English', en.includes('Buildings by status') && en.includes('Today is not over') &&
      (await p.locator('[data-test=trend-table][data-chart=screening] thead').textContent()).includes(dueEn), en.slice(0, 200))
    check('no raw code in English either', !kCode.test(en), en.match(kCode)?.[0])
    check('in English the charts are drawn again', (await drawn(p)).length === 0)
    await shot(p, 'desktop-trends-en')
    await p.getByRole('button', { name: '中文' }).click()
    check('no script error on the way', pageErrors.length === 0, pageErrors.join('; '))
    await ctx.close()
  })

  await step('the trends on a phone', async () => {
    const ctx = await browser.newContext(phone)
    const p = await ctx.newPage()
    await login(p, base, 'staff', logins.staff)
    await p.goto(`${base}/desk/report`)
    await p.locator('[data-test=report-trends]').click()
    await p.locator('[data-test=trends-header]').waitFor()
    const notDrawn = await drawn(p)
    check('phone: the four charts are drawn', notDrawn.length === 0, notDrawn.join('; '))
    const fit = await p.evaluate(() => {
      const frame = document.querySelector('[data-scroll-frame]')
      const charts = [...document.querySelectorAll('[data-test=trend-chart] canvas')].map((c) => c.getBoundingClientRect().right)
      return { page: document.documentElement.scrollWidth - window.innerWidth, frame: frame ? frame.scrollWidth - frame.clientWidth : 0, right: Math.max(...charts), width: window.innerWidth }
    })
    check('phone: the charts fit the width, the page does not scroll sideways', fit.page <= 1 && fit.frame <= 1 && fit.right <= fit.width, JSON.stringify(fit))
    check('phone: the tables are the API\'s', (await differences(p, await series(staffApi))).length === 0)
    await shot(p, 'phone-trends')
    for (const summary of await p.locator('[data-test=trend-chart] summary').all()) await summary.click()
    const boxes = await p.locator('[data-test=trend-table]').evaluateAll((tables) => tables.map((t) => {
      const box = t.parentElement
      return { inside: box.getBoundingClientRect().right <= window.innerWidth, scrolls: getComputedStyle(box).overflowX === 'auto' }
    }))
    const wide = await p.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1)
    check('phone: the opened tables stay in their boxes, which scroll', boxes.length === 4 && boxes.every((b) => b.inside && b.scrolls) && !wide, JSON.stringify(boxes))
    await cleanChinese(p, 'phone')
    const covered = await coveredBySos(p)
    check('phone: nothing on the trends under 紧急出门', covered.length === 0, covered.join('; '))
    await shot(p, 'phone-trends-tables')
    await ctx.close()
  })

  await step('the street office reads a community\'s trends', async () => {
    const seed = (await adminApi('GET', '/communities')).body.items[0]
    const account = await adminApi('POST', '/street-accounts', { street: seed.street.name, username: 'jiedao-trends' })
    check('a street office account', account.status === 201, JSON.stringify(account.body))
    const streetApi = await apiAs(base, 'jiedao-trends', account.body.password)
    const none = await streetApi('GET', '/reports/series')
    check('the API asks a street office for the community', none.status === 400, JSON.stringify(none.body))
    const own = await series(streetApi, `?community=${seed.id}`)
    check('with community=: the seed\'s series, as the desk reads it', own.community.name === seed.name && own.days.length === answer.days.length)

    const ctx = await browser.newContext(desktop)
    const p = await ctx.newPage()
    await login(p, base, 'jiedao-trends', account.body.password)
    await p.locator(`[data-test=street-row][data-community="${seed.name}"] [data-test=street-open]`).click()
    await p.locator('[data-test=report-header]').waitFor()
    await p.locator('[data-test=report-trends]').click()
    await p.locator('[data-test=trends-header]').waitFor()
    check('the community is carried from the report', new URL(p.url()).searchParams.get('community') === seed.id, p.url())
    check('its name heads the trends', (await p.locator('[data-test=trends-header]').innerText()).includes(seed.name))
    check('the street office\'s charts are drawn', (await drawn(p)).length === 0)
    const diff = await differences(p, own)
    check('the street office\'s tables are the API\'s', diff.length === 0, diff.slice(0, 8).join('; '))
    await preset(p, 7)
    check('a preset keeps the community', new URL(p.url()).searchParams.get('community') === seed.id && (await rows(p)) === Math.min(7, HISTORY + 1))
    await cleanChinese(p, 'street office')
    await shot(p, 'desktop-street-trends')
    await p.locator('[data-test=trends-back]').click()
    await p.locator('[data-test=report-header]').waitFor()
    check('back to the same community\'s report', new URL(p.url()).searchParams.get('community') === seed.id)
    await p.goto(`${base}/desk/trends`)
    const pick = await p.locator('[data-test=trends-pick-community]').innerText()
    check('no community asked: sent to pick one', pick.includes('街道汇总') && (await p.locator('[data-test=trend-chart]').count()) === 0, pick)
    await ctx.close()
  })

  await step('the gate, a volunteer, a resident and the admin are not offered the trends', async () => {
    const resident = residents.find((r) => r.building !== screened.name && !released.some((x) => x.who.id === r.id))
    cli(['user', 'add', 'trends-resident', '--role', 'resident', '--resident', resident.id, '--password-stdin'], 'trends-resident-2022\n')
    for (const [who, password] of [['gate', logins.gate], ['volunteer', logins.volunteer], ['trends-resident', 'trends-resident-2022'], ['admin', logins.admin]]) {
      const api = await apiAs(base, who, password)
      check(`${who}: the API refuses the series`, (await api('GET', '/reports/series')).status === 403)
      const ctx = await browser.newContext(desktop)
      const p = await ctx.newPage()
      await login(p, base, who, password)
      const home = new URL(p.url()).pathname
      await p.goto(`${base}/desk/trends`)
      await p.waitForURL((url) => url.pathname !== '/desk/trends')
      await p.waitForLoadState('networkidle')
      check(`${who}: sent home from /desk/trends, no chart`, new URL(p.url()).pathname === home && (await p.locator('[data-test=trends]').count()) === 0,
        `${home} → ${p.url()}`)
      check(`${who}: no link to 趋势`, (await p.locator('a[href*="/desk/trends"]').count()) === 0)
      await ctx.close()
    }
  })

  // A community made today: a range before it has no records, and the page says so.
  await step('a range with no records says so', async () => {
    const made = await adminApi('POST', '/communities', { name: '新建居民区', street: '测试街道', admin_username: 'xinjian-admin' })
    check('a new community', made.status === 201, JSON.stringify(made.body))
    cli(['user', 'add', 'xinjian-staff', '--role', 'staff', '--password-stdin', '--community', '新建居民区'], 'xinjian-staff-2022\n')
    const ctx = await browser.newContext(desktop)
    const p = await ctx.newPage()
    await login(p, base, 'xinjian-staff', 'xinjian-staff-2022')
    const [from, to] = [shanghaiDay(-10), shanghaiDay(-3)]
    await p.goto(`${base}/desk/trends?from=${from}&to=${to}`)
    const empty = p.locator('[data-test=trends-empty]')
    await empty.waitFor()
    check('empty: said with the range, no chart', (await empty.innerText()).includes(`${from} 至 ${to} 本居民区还没有记录`) &&
      (await p.locator('[data-test=trend-chart]').count()) === 0, await empty.innerText())
    await cleanChinese(p, 'empty')
    await shot(p, 'desktop-trends-empty')
    await p.locator('[data-test=trends-preset-7]').click()
    await p.locator('[data-test=trend-chart][data-state=ready]').first().waitFor()
    check('近 7 天: today alone, its one row', (await rows(p)) === 1)
    await ctx.close()
  })
}, { demoArgs: HISTORY ? ['--history', String(HISTORY)] : [] })
