// Issue 17, item 10: the desk tools people expect. Counts on the request tabs and a building
// filter; 整户加入 on the sampling screen (a household into the tube at once, and who was skipped
// and why, in Chinese); 打印 and 导出 Excel of the resident list and of a building's households (a
// real XLSX); search by pinyin and initials, with the readings Debian's Unihan gives.
//
//   node web/tests/desk.story.mjs --juwei build/src/cli/juwei --web build/share/juwei/web --out DIR
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runStory, check, step, shot, login, apiAs, desktop, phone, shanghaiIso, coveredBySos, unlabelled, out, figures } from './harness.mjs'

// Text that reads like a code ("mark.away", "sample.out_on_exit") in what the page shows.
const kCode = /\b[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*\b/
// English words of three letters or more: none belongs in the Chinese screens checked here.
const kEnglish = /\b(?!PK\b)[A-Za-z]{3,}\b/g

function today() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date())
}

// The Mandarin reading Unihan gives first (kMandarin), without tones: 毛 → mao, 绿 → lv.
let readings = null
function pinyinOf(ch) {
  if (!readings) {
    readings = new Map()
    const text = execFileSync('bzcat', ['/usr/share/unicode/Unihan_Readings.txt.bz2'], { encoding: 'utf8', maxBuffer: 1 << 28 })
    for (const line of text.split('\n')) {
      const m = /^U\+([0-9A-F]+)\tkMandarin\t(\S+)/.exec(line)
      if (m) readings.set(String.fromCodePoint(parseInt(m[1], 16)), m[2])
    }
  }
  const r = readings.get(ch)
  if (!r) return null
  return r.normalize('NFD').replace(/\u0308/g, 'v').replace(/[\u0300-\u036f]/g, '').replace(/uv/g, 'v')
}

// The text of a workbook's first sheet and its shared strings (libxlsxwriter keeps the strings
// there and the sheet points to them).
function xlsxText(file) {
  const part = (name) => {
    try {
      return execFileSync('unzip', ['-p', file, name], { encoding: 'utf8' })
    } catch {
      return ''
    }
  }
  return { sheet: part('xl/worksheets/sheet1.xml'), strings: part('xl/sharedStrings.xml') }
}

// Saves the download a click starts; returns its path and first bytes.
async function downloadOf(page, locator, name) {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }), locator.click()])
  const path = join(out, name)
  await download.saveAs(path)
  return { path, suggested: download.suggestedFilename(), head: readFileSync(path).subarray(0, 2).toString('latin1') }
}

// The tabs' counts as the page shows them: { open: 3, approved: 1, ... }.
async function tabCounts(page) {
  return page.evaluate(() => {
    const out = {}
    for (const el of document.querySelectorAll('[data-test^=count-]')) {
      const m = /\((\d+)\)/.exec(el.textContent)
      out[el.dataset.test.slice('count-'.length)] = m ? Number(m[1]) : NaN
    }
    return out
  })
}
const kTabs = ['open', 'approved', 'released', 'denied', 'all']
const sameCounts = (shown, api) => kTabs.every((k) => shown[k] === api[k])

runStory('desk', async (browser, base, logins) => {
  const secretaryApi = await apiAs(base, 'secretary', logins.secretary)
  const staffApi = await apiAs(base, 'staff', logins.staff)

  // Two buildings and their residents.
  const buildings = (await secretaryApi('GET', '/buildings?limit=500')).body.items.filter((b) => !b.removed_at)
  const [bA, bB] = buildings
  const residentsOf = async (b) => (await secretaryApi('GET', `/residents?building=${encodeURIComponent(b.name)}&limit=500`)).body.items
  const inA = await residentsOf(bA)
  const inB = await residentsOf(bB)
  check('the seed has two buildings with residents', inA.length > 5 && inB.length > 5, `${bA?.name} ${inA.length}, ${bB?.name} ${inB.length}`)

  // Requests: three in A (one denied), two in B (one approved).
  const file = async (r) => {
    const res = await staffApi('POST', '/exit-requests', {
      resident_id: r.id, reason: 'medical_staff_return', destination: '瑞金医院',
      planned_exit: shanghaiIso(new Date(Date.now() + 3600000)), planned_return: shanghaiIso(new Date(Date.now() + 11 * 3600000)),
    })
    check(`a request for ${r.name} filed`, res.status === 201, JSON.stringify(res.body))
    return res.body
  }
  const reqA = [await file(inA[0]), await file(inA[2]), await file(inA[4])]
  const reqB = [await file(inB[0]), await file(inB[2])]
  const denied = await staffApi('POST', `/exit-requests/${reqA[1].id}/decision`, { decision: 'deny', reason: '非必要出行' })
  check('one request of A denied', denied.status === 200, JSON.stringify(denied.body))
  const approved = await secretaryApi('POST', `/exit-requests/${reqB[1].id}/decision`, { decision: 'approve', override: true, reason: '医院来电急召' })
  check('one request of B approved', approved.status === 200, JSON.stringify(approved.body))
  const countsAll = (await staffApi('GET', '/exit-requests/counts')).body
  const countsA = (await staffApi('GET', `/exit-requests/counts?building_id=${bA.id}`)).body
  check('the API counts A apart', countsA.open === 2 && countsA.denied === 1 && countsA.all === 3, JSON.stringify(countsA))

  // The request tabs: their counts are the API's, and follow the building filter.
  for (const [size, ctxOptions] of [['desktop', desktop], ['phone', phone]]) {
    await step(`${size}: the request tabs count, and the building filter`, async () => {
      const ctx = await browser.newContext(ctxOptions)
      const p = await ctx.newPage()
      await login(p, base, 'staff', logins.staff)
      await p.goto(`${base}/desk/requests`)
      await p.locator('[data-test=count-open]').waitFor()
      await p.locator('[data-test^=request-]').first().waitFor()
      let shown = await tabCounts(p)
      check(`${size}: the tabs show the API's counts`, sameCounts(shown, countsAll), `${JSON.stringify(shown)} vs ${JSON.stringify(countsAll)}`)
      const openTab = await p.locator('[data-test=status-open]').innerText()
      check(`${size}: the open tab reads 待审批 (N)`, openTab.replace(/\s+/g, '') === `待审批(${countsAll.open})`, openTab)
      await shot(p, `${size}-desk-requests`)

      // Building A: the counts change to A's, and the list holds A's residents only.
      const options = await p.locator('[data-test=requests-building] option').allInnerTexts()
      check(`${size}: the building filter lists buildings by name`, options.includes(bA.name) && options[0] === '全部楼栋', options.slice(0, 4).join(','))
      await p.locator('[data-test=requests-building]').selectOption(bA.id)
      await p.waitForFunction((n) => document.querySelector('[data-test=count-all]')?.textContent.includes(`(${n})`), countsA.all)
      shown = await tabCounts(p)
      check(`${size}: with ${bA.name} the tabs show its counts`, sameCounts(shown, countsA), `${JSON.stringify(shown)} vs ${JSON.stringify(countsA)}`)
      await p.waitForFunction((ids) => {
        const shownIds = [...document.querySelectorAll('[data-test^=request-]')].map((e) => e.dataset.test.slice(8))
        return shownIds.length === ids.length && ids.every((i) => shownIds.includes(i))
      }, reqA.filter((r) => r.id !== reqA[1].id).map((r) => String(r.id)))
      check(`${size}: the open list holds ${bA.name}'s open requests only`, true)
      await p.locator('[data-test=status-denied]').click()
      await p.locator(`[data-test=request-${reqA[1].id}]`).waitFor()
      check(`${size}: the denied tab of ${bA.name} lists its denial`, (await p.locator('[data-test^=request-]').count()) === 1)
      await p.locator('[data-test=status-approved]').click()
      await p.locator('.van-empty').waitFor()
      check(`${size}: ${bA.name} has no approved request`, (await p.locator('[data-test^=request-]').count()) === 0)
      check(`${size}: the requests page has labels`, (await unlabelled(p)).length === 0, (await unlabelled(p)).join('\n'))
      const text = await p.locator('main').innerText()
      check(`${size}: no raw code or English on the requests page`, !kCode.test(text) && !(text.match(kEnglish) || []).length, (text.match(kEnglish) || []).join(','))
      await shot(p, `${size}-desk-requests-building`)
      if (size === 'phone') {
        const covered = await coveredBySos(p)
        check('phone: nothing on the requests page under 紧急出门', covered.length === 0, covered.join('; '))
      }
      await ctx.close()
    })
  }

  // 整户加入: a household of several, one away and one swabbed already today.
  const households = new Map()
  for (const r of inA) households.set(r.household_id, [...(households.get(r.household_id) || []), r])
  const family = [...households.values()].find((h) => h.length >= 4)
  check('the seed has a household of four or more in A', !!family)
  const round = await secretaryApi('POST', '/rounds', { day: today(), another_that_day: true })
  check("today's round opened", round.status === 201, JSON.stringify(round.body))
  const roundId = round.body.id
  const [picked, away, swabbed, ...rest] = family
  const mark = await staffApi('PUT', `/residents/${away.id}/screening-mark`, { mark: 'away', reason: '住院' })
  check('one member marked away', mark.status === 200, JSON.stringify(mark.body))
  const swab = await staffApi('POST', `/rounds/${roundId}/samples`, { tube_code: 'T-D-0001', kind: 'single', resident_id: swabbed.id })
  check('one member swabbed already', swab.status === 201, JSON.stringify(swab.body))
  const household = (await staffApi('GET', `/rounds/${roundId}/households/${picked.household_id}`)).body
  check('the API names the skipped', household.members?.filter((m) => m.skip).length === 2, JSON.stringify(household.members?.map((m) => m.skip?.code)))

  // The desk first (the tube left unsent), then a phone, which sends its tube.
  for (const [size, ctxOptions] of [['desktop', desktop], ['phone', phone]]) {
    await step(`${size}: 整户加入 on the sampling screen`, async () => {
      const ctx = await browser.newContext(ctxOptions)
      const p = await ctx.newPage()
      await login(p, base, 'staff', logins.staff)
      await p.goto(`${base}/desk/rounds/${roundId}/sampling`)
      await p.locator('[data-test=tube-code] input').fill(size === 'phone' ? 'T-D-0002' : 'T-D-0003')
      await p.locator('[data-test=tube-next]').click()
      await p.locator('[data-test=resident-search] input').fill(picked.name)
      await p.locator('[data-test=resident-search] input').press('Enter')
      const result = p.locator(`[data-test=resident-result][data-resident-id="${picked.id}"]`)
      await result.waitFor()
      const button = result.locator('[data-test=add-household]')
      check(`${size}: the result offers 整户加入`, (await button.innerText()).includes('整户加入'), await button.innerText())
      if (size === 'phone') {
        await shot(p, 'phone-desk-sampling-results')
        const covered = await coveredBySos(p)
        check('phone: nothing on the search results under 紧急出门', covered.length === 0, covered.join('; '))
      }
      await button.click()
      const note = p.locator('[data-test=household-note]')
      await note.waitFor()
      const names = await p.locator('[data-test=tube-resident] strong').allInnerTexts()
      const expected = [picked, ...rest].map((r) => r.name)
      check(`${size}: the household's members are in the tube`, expected.every((n) => names.includes(n)) && names.length === expected.length,
        `${names.join(',')} vs ${expected.join(',')}`)
      check(`${size}: the skipped are headed 未加入`, /未加入\s*2\s*人/.test(await note.innerText()), await note.innerText())
      const skipped = await p.locator('[data-test=household-skipped] li').allInnerTexts()
      const skipOf = (r) => skipped.find((s) => s.startsWith(r.name)) || ''
      check(`${size}: the away member is skipped, saying why in Chinese`, /[\u4e00-\u9fff]{2,}/.test(skipOf(away).slice(away.name.length + 1)), skipped.join(' | '))
      check(`${size}: the swabbed member is skipped, saying why in Chinese`, /[\u4e00-\u9fff]{2,}/.test(skipOf(swabbed).slice(swabbed.name.length + 1)), skipped.join(' | '))
      const noteText = await note.innerText()
      check(`${size}: the note names the household and who went in`, noteText.includes(picked.room) && noteText.includes(picked.name), noteText)
      const codes = noteText.match(kCode) || []
      check(`${size}: no raw code or English in the note`, !codes.length && !(noteText.match(kEnglish) || []).length, noteText)
      check(`${size}: the tube counts them`, (await p.locator('[data-test=tube-count]').innerText()).includes(String(expected.length)),
        await p.locator('[data-test=tube-count]').innerText())
      check(`${size}: the sampling screen has labels`, (await unlabelled(p)).length === 0, (await unlabelled(p)).join('\n'))
      await shot(p, `${size}-desk-sampling-household`)
      if (size === 'phone') {
        const covered = await coveredBySos(p)
        check('phone: nothing on the sampling screen under 紧急出门', covered.length === 0, covered.join('; '))
        // Recorded: every member that went in has a sample in the round.
        await p.locator('[data-test=submit-tube]').click()
        const done = p.locator('[data-test=done-tube][data-tube="T-D-0002"]')
        await done.waitFor()
        const doneText = await done.innerText()
        check('phone: the household tube is recorded', expected.every((n) => doneText.includes(n)), doneText)
        // Again: now every member is skipped, and the note says none went in.
        await p.locator('[data-test=tube-code] input').fill('T-D-0004')
        await p.locator('[data-test=tube-next]').click()
        await p.locator('[data-test=resident-search] input').fill(picked.name)
        await p.locator('[data-test=resident-search] input').press('Enter')
        await result.locator('[data-test=add-household]').click()
        await p.waitForFunction(() => document.querySelectorAll('[data-test=household-skipped] li').length > 0 &&
          !document.querySelector('[data-test=tube-resident]'))
        await p.locator('.van-toast').waitFor({ state: 'hidden' }).catch(() => {})
        const again = await note.innerText()
        check('phone: a household swabbed already adds none, and says so', /[\u4e00-\u9fff]/.test(again.split('\n')[0]) && !(again.match(kEnglish) || []).length, again)
        await shot(p, 'phone-desk-sampling-household-again')
      }
      await ctx.close()
    })
  }

  // 打印 and 导出 Excel: the resident list of building A, and building A's households.
  for (const [size, ctxOptions] of [['desktop', desktop], ['phone', phone]]) {
    await step(`${size}: print and export the resident list`, async () => {
      const ctx = await browser.newContext({ ...ctxOptions, acceptDownloads: true })
      const p = await ctx.newPage()
      await login(p, base, 'staff', logins.staff)
      await p.goto(`${base}/desk/registry?building=${encodeURIComponent(bA.name)}`)
      await p.locator('[data-test=registry-item]').first().waitFor()
      const exportButton = p.locator('[data-test=registry-export]')
      check(`${size}: the list offers 导出 Excel`, (await exportButton.innerText()).includes('导出'), await exportButton.innerText())
      await shot(p, `${size}-desk-registry`)
      if (size === 'phone') {
        const covered = await coveredBySos(p)
        check('phone: nothing on the resident list under 紧急出门', covered.length === 0, covered.join('; '))
      }
      const file = await downloadOf(p, exportButton, `${size}-desk-residents.xlsx`)
      check(`${size}: the export is a zip (XLSX)`, file.head === 'PK', JSON.stringify(file.head))
      check(`${size}: the file is named .xlsx`, file.suggested.endsWith('.xlsx'), file.suggested)
      const { sheet, strings } = xlsxText(file.path)
      check(`${size}: the workbook has a sheet`, sheet.includes('<sheetData'), sheet.slice(0, 200))
      const words = sheet + strings
      check(`${size}: the sheet has the Chinese header`, ['楼号', '室号', '姓名', '身份证号'].every((h) => words.includes(h)), strings.slice(0, 300))
      check(`${size}: the sheet has the residents`, inA.slice(0, 5).every((r) => words.includes(r.name)) && !inB.some((r) => words.includes(`>${r.name}<`)))
      check(`${size}: nothing went wrong on the page`, !(await p.locator('[data-test=registry-error]').count()))

      // 打印: the print page lists the same residents.
      await p.locator('[data-test=registry-print]').click()
      await p.waitForURL(/\/desk\/print\/residents/)
      await p.locator('[data-test=print-row]').first().waitFor()
      const rows = await p.locator('[data-test=print-row]').count()
      check(`${size}: the print page lists all of ${bA.name} (${inA.length})`, rows === inA.length, String(rows))
      const printed = await p.locator('[data-test=print-table]').innerText()
      check(`${size}: the print page names the residents`, inA.every((r) => printed.includes(r.name)))
      const title = await p.locator('[data-test=print-title]').innerText()
      check(`${size}: the print page is titled by the building`, title.includes(bA.name), title)
      const text = await p.locator('main').innerText()
      check(`${size}: no raw code or English on the print page`, !kCode.test(text) && !(text.match(kEnglish) || []).length, (text.match(kEnglish) || []).join(','))
      check(`${size}: the print page's spinner stops`, (await p.locator('.van-loading').count()) === 0)
      // Every cell on one line: on a phone the table scrolls sideways rather than stacking names
      // a character a line.
      const wrapped = await p.locator('[data-test=print-row]').first().evaluate((tr) => [...tr.cells].filter((td) => {
        const range = document.createRange()
        range.selectNodeContents(td)
        const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)))
        return lines.size > 1
      }).map((td) => td.textContent))
      check(`${size}: no cell of the print table wraps`, wrapped.length === 0, wrapped.join(', '))
      const pageWidth = await p.evaluate(() => document.scrollingElement.scrollWidth)
      check(`${size}: the print page is no wider than the window`, pageWidth <= ctxOptions.viewport.width, String(pageWidth))
      if (size === 'phone') {
        const covered = await coveredBySos(p)
        check('phone: nothing on the print page under 紧急出门', covered.length === 0, covered.join('; '))
      }
      await shot(p, `${size}-desk-print-residents`)
      await ctx.close()
    })

    await step(`${size}: print and export a building's households`, async () => {
      const ctx = await browser.newContext({ ...ctxOptions, acceptDownloads: true })
      const p = await ctx.newPage()
      await login(p, base, 'staff', logins.staff)
      await p.goto(`${base}/desk/buildings/${bA.id}`)
      const exportButton = p.locator('[data-test=households-export]')
      await exportButton.waitFor()
      await p.locator('[data-test=building-households] li, [data-test=building-households] .household').first().waitFor().catch(() => {})
      await exportButton.scrollIntoViewIfNeeded()
      await shot(p, `${size}-desk-building`)
      if (size === 'phone') {
        const covered = await coveredBySos(p)
        check('phone: nothing on the building page under 紧急出门', covered.length === 0, covered.join('; '))
      }
      const file = await downloadOf(p, exportButton, `${size}-desk-households.xlsx`)
      check(`${size}: the households export is a zip (XLSX)`, file.head === 'PK', JSON.stringify(file.head))
      check(`${size}: the households file is named by the building`, file.suggested.endsWith('.xlsx') && file.suggested.includes(bA.name), file.suggested)
      const { sheet, strings } = xlsxText(file.path)
      const words = sheet + strings
      check(`${size}: the households sheet has the Chinese header and the residents`,
        words.includes('姓名') && words.includes('与户主关系') && inA.every((r) => words.includes(r.name)))
      await p.locator('[data-test=households-print]').click()
      await p.waitForURL(/\/desk\/print\/residents/)
      await p.locator('[data-test=print-row]').first().waitFor()
      const rows = await p.locator('[data-test=print-row]').count()
      check(`${size}: the households print page lists all of ${bA.name}`, rows === inA.length, String(rows))
      const title = await p.locator('[data-test=print-title]').innerText()
      check(`${size}: the households print page is titled by the building`, title.includes(bA.name), title)
      await shot(p, `${size}-desk-print-households`)
      // Back goes to the building.
      await p.getByRole('link', { name: /返回/ }).first().click()
      await p.waitForURL(new RegExp(`/desk/buildings/${bA.id}`))
      check(`${size}: back from print goes to the building`, true)
      await ctx.close()
    })
  }

  // Pinyin: a seed resident whose name Unihan reads, found by its pinyin, spaced or not, and by
  // its initials, in the resident list's search.
  const readable = [...inA, ...inB].filter((r) => r.name.length >= 2 && [...r.name].every((c) => pinyinOf(c)))
  // A name no one else's pinyin starts the same way, so its full pinyin finds it on the first page.
  const who = readable.find((r) => [...r.name].length === 3) || readable[0]
  check('a seed resident whose name Unihan reads', !!who, `${readable.length}`)
  const syllables = [...who.name].map(pinyinOf)
  const spellings = [
    ['pinyin', syllables.join('')],
    ['spaced', syllables.join(' ')],
    ['initials', syllables.map((s) => s[0]).join('')],
  ]
  figures.pinyin = { name: who.name, spellings: spellings.map(([, s]) => s) }
  for (const [size, ctxOptions] of [['desktop', desktop], ['phone', phone]]) {
    await step(`${size}: pinyin and initials find ${who.name}`, async () => {
      const ctx = await browser.newContext(ctxOptions)
      const p = await ctx.newPage()
      await login(p, base, 'staff', logins.staff)
      await p.goto(`${base}/desk/registry`)
      for (const [kind, typed] of spellings) {
        const building = who.building
        await p.locator('[data-test=registry-q] input').fill(typed)
        // Initials match many: the building narrows them, as the desk would.
        await p.locator('[data-test=registry-building]').selectOption(kind === 'initials' ? building : '')
        await p.locator('[data-test=registry-submit]').click()
        const item = p.locator(`[data-test=registry-item][data-resident-id="${who.id}"]`)
        const found = await item.waitFor({ timeout: 8000 }).then(() => true, () => false)
        check(`${size}: "${typed}" finds ${who.name}`, found, await p.locator('[data-test=registry-results]').innerText().then((s) => s.slice(0, 200)))
        if (size === 'phone' || kind === 'initials') await shot(p, `${size}-desk-pinyin-${kind}`)
      }
      await ctx.close()
    })
  }
  // And at the sampling screen, on a phone: the pinyin in the search box.
  await step('phone: pinyin finds the resident on the sampling screen', async () => {
    const ctx = await browser.newContext(phone)
    const p = await ctx.newPage()
    await login(p, base, 'staff', logins.staff)
    await p.goto(`${base}/desk/rounds/${roundId}/sampling`)
    await p.locator('[data-test=tube-code] input').fill('T-D-0005')
    await p.locator('[data-test=tube-next]').click()
    await p.locator('[data-test=resident-search] input').fill(spellings[0][1])
    await p.locator('[data-test=resident-search] input').press('Enter')
    const found = await p.locator(`[data-test=resident-result][data-resident-id="${who.id}"]`).waitFor({ timeout: 8000 }).then(() => true, () => false)
    check(`phone: "${spellings[0][1]}" finds ${who.name} at the sampling screen`, found)
    await ctx.close()
  })
})
