// Issue 17, items 8 and 9: the desk prints the pledge for a resident without a phone, a decision
// says who made it, and the audit trail answers "who approved <name>?" with filters, names and
// Chinese words, no raw code on screen (nor on the results import's problem list).
//
//   node web/tests/audit.story.mjs --juwei build/src/cli/juwei --web build/share/juwei/web --out DIR
import { runStory, check, step, shot, login, apiAs, desktop, phone, shanghaiIso, coveredBySos, unlabelled } from './harness.mjs'
import { auditActions } from '../src/i18n/desk.js'

// Text that reads like a code ("decision.override", "tube_code.unknown") in what the page shows.
const kCode = /\b[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*\b/
async function visibleCodes(locator) {
  const text = await locator.innerText()
  return [...auditActions.filter((a) => text.includes(a)), ...(text.match(kCode) || [])]
}

function today() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date())
}

runStory('audit', async (browser, base, logins) => {
  const secretaryApi = await apiAs(base, 'secretary', logins.secretary)
  const staffApi = await apiAs(base, 'staff', logins.staff)

  // A resident whose name no one else in the first page shares, and a request for them.
  const residents = (await secretaryApi('GET', '/residents?limit=200')).body.items
  const who = residents.find((r) => residents.filter((o) => o.name.includes(r.name) || r.name.includes(o.name)).length === 1)
  check('the seed has a resident with a name of their own', !!who)
  const filed = await staffApi('POST', '/exit-requests', {
    resident_id: who.id, reason: 'medical_staff_return', destination: '华山医院',
    planned_exit: shanghaiIso(new Date(Date.now() + 3600000)), planned_return: shanghaiIso(new Date(Date.now() + 11 * 3600000)),
  })
  check('staff file a request for them', filed.status === 201, JSON.stringify(filed.body))
  const requestPath = `/desk/requests/${filed.body.id}`
  // A building added as people write its name ("88"): the trail names it 88号楼.
  const building = await staffApi('POST', '/buildings', { name: '88' })
  check('a building added', building.status === 201, JSON.stringify(building.body))

  // Item 8, at the desk on a phone: staff print the pledge for the caller to sign on paper.
  await step('staff print the pledge from the request page', async () => {
    const ctx = await browser.newContext(phone)
    const p = await ctx.newPage()
    await login(p, base, 'staff', logins.staff)
    await p.goto(`${base}${requestPath}`)
    const link = p.locator('[data-test=desk-pledge-pdf]')
    await link.waitFor()
    check('the request page offers 打印承诺书', (await link.innerText()).includes('打印承诺书'), await link.innerText())
    const href = await link.getAttribute('href')
    const pdf = await p.request.get(new URL(href, base).toString())
    check('the pledge link answers a PDF (staff)', pdf.status() === 200 && pdf.headers()['content-type'] === 'application/pdf',
      `${pdf.status()} ${pdf.headers()['content-type']}`)
    check('the pledge is a PDF indeed', (await pdf.body()).subarray(0, 5).toString() === '%PDF-')
    check('the request page has labels', (await unlabelled(p)).length === 0, (await unlabelled(p)).join('\n'))
    await link.scrollIntoViewIfNeeded()
    await shot(p, 'phone-audit-request-pledge')
    const covered = await coveredBySos(p)
    check('nothing on the request page under 紧急出门', covered.length === 0, covered.join('; '))
    await ctx.close()
  })

  // The secretary approves (an override: the paperwork is not all in) and the decision line
  // names her; she prints the pledge too.
  await step('the secretary approves and the decision names her', async () => {
    const ctx = await browser.newContext(desktop)
    const p = await ctx.newPage()
    await login(p, base, 'secretary', logins.secretary)
    await p.goto(`${base}${requestPath}`)
    const link = p.locator('[data-test=desk-pledge-pdf]')
    await link.waitFor()
    const pdf = await p.request.get(new URL(await link.getAttribute('href'), base).toString())
    check('the pledge link answers a PDF (secretary)', pdf.status() === 200 && pdf.headers()['content-type'] === 'application/pdf')
    await p.locator('[data-test=decision-reason] textarea').fill('医院来电急召，纸质承诺书已签')
    await p.locator('[data-test=override]').click()
    const line = p.locator('[data-test=decision-line]').first()
    await line.waitFor()
    const text = await line.innerText()
    check('the decision line says who decided', text.includes('审批人 secretary'), text)
    check('the decision line ends with no dangling ·', !/·\s*$/.test(text.split('\n').pop()), text)
    await shot(p, 'desktop-audit-request-decided')
    await ctx.close()
  })

  // Item 9: who approved them?
  await step('the audit trail answers who approved them', async () => {
    const ctx = await browser.newContext(desktop)
    const p = await ctx.newPage()
    await login(p, base, 'secretary', logins.secretary)
    await p.goto(`${base}/desk/audit`)
    const rows = p.locator('[data-test=audit-row]')
    await rows.first().waitFor()
    // Newest first: the approval just made heads the list.
    const seqs = (await rows.evaluateAll((els) => els.map((e) => Number(e.dataset.seq))))
    check('newest first', seqs.length > 1 && seqs.every((s, i) => i === 0 || s < seqs[i - 1]), seqs.slice(0, 5).join(','))
    // Every action in Chinese, its code only in the tooltip.
    const cells = await p.locator('[data-test=audit-action-cell]').evaluateAll((els) => els.map((e) => [e.textContent.trim(), e.title]))
    const unlabelledActions = cells.filter(([text, code]) => !code || text === '其他操作' || text === code || !/[\u4e00-\u9fff]/.test(text))
    check('every action has Chinese words and its code in the tooltip', unlabelledActions.length === 0, JSON.stringify(unlabelledActions.slice(0, 5)))
    const codes = await visibleCodes(p.locator('main'))
    check('no raw action code on the audit page', codes.length === 0, codes.join(', '))
    const objects = await p.locator('[data-test=audit-object]').allInnerTexts()
    check('objects by name: the resident of a request', objects.some((o) => o.includes(who.name)), objects.slice(0, 5).join(' | '))
    check('objects by name: a building as 88号楼', objects.some((o) => /楼栋 · 88号楼/.test(o)), objects.filter((o) => o.startsWith('楼栋')).slice(0, 3).join(' | '))
    check('the audit page has labels', (await unlabelled(p)).length === 0, (await unlabelled(p)).join('\n'))
    await shot(p, 'desktop-audit-all')

    // The filters: action 特批出门 and the resident's name.
    await p.locator('[data-test=audit-action]').selectOption('decision.override')
    const optionText = await p.locator('[data-test=audit-action] option:checked').innerText()
    check('the action filter speaks Chinese', /特批/.test(optionText), optionText)
    await p.locator('[data-test=audit-resident]').fill(who.name)
    await p.locator('[data-test=audit-search]').click()
    await p.waitForURL(/resident=/)
    await p.waitForFunction(() => [...document.querySelectorAll('[data-test=audit-row]')].every((r) => r.dataset.action === 'decision.override'))
    const found = p.locator('[data-test=audit-row]')
    check('one approval of theirs', (await found.count()) === 1, String(await found.count()))
    const row = found.first()
    const actor = await row.locator('[data-test=audit-actor-cell]').innerText()
    const object = await row.locator('[data-test=audit-object]').innerText()
    const action = row.locator('[data-test=audit-action-cell]')
    check('who approved: the secretary, by name', actor.includes('书记') && actor.includes('secretary'), actor)
    check('what: their request, by their name and home', object.includes('出门申请') && object.includes(who.name) && object.includes(who.building), object)
    check('the action in Chinese, the code in the tooltip', (await action.innerText()).includes('特批') && (await action.getAttribute('title')) === 'decision.override')
    await shot(p, 'desktop-audit-who-approved')

    // By day: today holds it, a day long past nothing.
    await p.locator('[data-test=audit-day]').fill(today())
    await p.locator('[data-test=audit-search]').click()
    await p.waitForURL(/day=/)
    await found.first().waitFor()
    check('today: the approval is there', (await found.count()) === 1)
    await p.locator('[data-test=audit-day]').fill('2022-04-01')
    await p.locator('[data-test=audit-search]').click()
    await p.locator('[data-test=audit-empty]').waitFor()
    check('a day long past: nothing', (await found.count()) === 0)

    // By person: everything the secretary did, and only that.
    await p.locator('[data-test=audit-clear]').click()
    await p.waitForFunction(() => !location.search)
    const option = await p.locator('[data-test=audit-actor] option').evaluateAll((els) => els.find((o) => o.textContent.includes('secretary'))?.value)
    await p.locator('[data-test=audit-actor]').selectOption(option)
    await p.locator('[data-test=audit-search]').click()
    await p.waitForURL(/actor=/)
    await found.first().waitFor()
    const actors = await p.locator('[data-test=audit-actor-cell]').allInnerTexts()
    check('by person: only the secretary', actors.length > 0 && actors.every((a) => a.includes('secretary')), actors.slice(0, 3).join(' | '))

    // By object: the request's own records (filed, approved).
    await p.locator('[data-test=audit-clear]').click()
    await p.waitForFunction(() => !location.search)
    await p.locator('[data-test=audit-entity]').selectOption('exit_request')
    await p.locator('[data-test=audit-entity-id]').fill(String(filed.body.id))
    await p.locator('[data-test=audit-search]').click()
    await p.waitForURL(/entity_id=/)
    await p.waitForFunction(() => document.querySelectorAll('[data-test=audit-row]').length === 2)
    const actions = await p.locator('[data-test=audit-action-cell]').allInnerTexts()
    check('by object: filed, then approved, newest first', actions[0].includes('特批') && actions[1].includes('提交出门申请'), actions.join(' | '))

    // The chain still verifies.
    await p.locator('[data-test=audit-verify]').click()
    const result = p.locator('[data-test=audit-verify-result]')
    await result.waitFor()
    check('the chain verifies', (await result.getAttribute('data-intact')) === 'true')
    await ctx.close()
  })

  await step('the audit trail on a phone', async () => {
    const ctx = await browser.newContext(phone)
    const p = await ctx.newPage()
    await login(p, base, 'secretary', logins.secretary)
    await p.goto(`${base}/desk/audit?action=decision.override&resident=${encodeURIComponent(who.name)}`)
    const row = p.locator('[data-test=audit-row]').first()
    await row.waitFor()
    check('the link keeps its filters', (await p.locator('[data-test=audit-resident]').inputValue()) === who.name)
    const text = await row.innerText()
    check('phone: who approved, by name', text.includes('secretary') && text.includes(who.name), text)
    const codes = await visibleCodes(p.locator('main'))
    check('phone: no raw code', codes.length === 0, codes.join(', '))
    const wide = await p.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1)
    check('phone: the page does not scroll sideways', !wide)
    const covered = await coveredBySos(p)
    check('phone: nothing on the audit page under 紧急出门', covered.length === 0, covered.join('; '))
    await shot(p, 'phone-audit-who-approved')
    await p.goto(`${base}/desk/audit`)
    await row.waitFor()
    await shot(p, 'phone-audit-all')
    await ctx.close()
  })

  // The results import lists problems in words, not codes (kept in the tooltip and data-code).
  await step('the results import shows no raw code', async () => {
    const round = await staffApi('POST', '/rounds', { day: today() })
    check('a round for today', round.status === 201, JSON.stringify(round.body))
    const sample = await staffApi('POST', `/rounds/${round.body.id}/samples`, { tube_code: 'T-8-0001', resident_id: who.id })
    check('a swab', sample.status === 201, JSON.stringify(sample.body))
    await new Promise((r) => setTimeout(r, 1100))
    const csv = `试管编码,结果,报告时间,检测机构\nT-8-0001,阴性,${shanghaiIso(new Date())},华大基因\nT-9-9999,阴性,2022-04-06 18:30,华大基因\n`
    for (const [size, name] of [[desktop, 'desktop'], [phone, 'phone']]) {
      const ctx = await browser.newContext(size)
      const p = await ctx.newPage()
      await login(p, base, 'staff', logins.staff)
      await p.goto(`${base}/desk/results`)
      await p.locator('[data-test=results-file]').setInputFiles({ name: '检测结果.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
      await p.locator('[data-test=results-import]').click()
      const problem = p.locator('[data-test=results-problem]').first()
      await problem.waitFor()
      check(`${name}: the unknown tube is listed, its code kept in data-code`, (await problem.getAttribute('data-code')) === 'tube_code.unknown')
      const message = problem.locator('[data-test=results-problem-message]')
      check(`${name}: the problem in Chinese, the code in the tooltip`, /[\u4e00-\u9fff]/.test(await message.innerText()) &&
        (await message.getAttribute('title')) === 'tube_code.unknown', await message.innerText())
      const codes = await visibleCodes(p.locator('main'))
      check(`${name}: no raw code on the results import`, codes.length === 0, codes.join(', '))
      await shot(p, `${name}-audit-results-import`)
      await ctx.close()
    }
  })
})
