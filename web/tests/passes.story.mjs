// Issue 17 items 2, 5, 7 and 11 in a real browser, on a fresh seed community:
// - a pass's short code: on the emergency release (with 打印出入证), on the resident's pass page,
//   typed at the gate (read forgivingly; a typo caught on the phone, nothing sent);
// - a day's second screening round asks first, is named 第2轮 with its time, and its door-knock
//   list counts the first round's swabs; someone out on an exit is on no list;
// - the decision aid does not send anyone to "today's screening" when there is none;
// - the request form names every missing field at once, a picked resident clears its message
//   and shows the name once; 无阳性记录, not 未检测阳性;
// - times read as one format (the year where the day is not today);
// - the app makes no request outside its own server, and has a favicon.
//
//   node web/tests/passes.story.mjs --juwei build/src/cli/juwei --web build/share/juwei/web --out DIR
import {
  apiAs, check, cli, desktop, login, minutesFromNow, phone, runStory, shot, step,
} from './harness.mjs'

const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date())

// Every request a page makes that leaves the server at `base`.
function watchOutside(context, base, outside) {
  const own = new URL(base).host
  context.on('request', (r) => {
    const url = new URL(r.url())
    if (!['data:', 'blob:'].includes(url.protocol) && url.host !== own) outside.push(r.url())
  })
}

runStory('passes', async (browser, base, logins) => {
  const secretaryApi = await apiAs(base, 'secretary', logins.secretary)
  const outside = []
  const found = await secretaryApi('GET', '/residents?building=2号楼&limit=50')
  const [holder, asker] = found.body.items.filter((r) => r.birth_date < '2000-01-01')
  check('the seed has residents to play with', !!holder && !!asker)

  // The favicon, served by the app.
  await step('a favicon', async () => {
    const r = await fetch(`${base}/favicon.svg`)
    check('the favicon is served', r.status === 200 && (r.headers.get('content-type') || '').startsWith('image/svg+xml'))
  })

  // The request form, empty: every missing field at once; then a picked resident.
  await step('the request form names every missing field', async () => {
    const ctx = await browser.newContext(desktop)
    watchOutside(ctx, base, outside)
    const p = await ctx.newPage()
    await login(p, base, 'staff', logins.staff)
    await p.goto(`${base}/desk/requests/new`)
    await p.locator('[data-test=file-request]').click()
    const errors = p.locator('.van-field__error-message')
    await errors.first().waitFor()
    const texts = await errors.allTextContents()
    check('an empty form flags the resident, reason, destination and exit time', texts.length >= 4 &&
      texts.every((t) => /[\u4e00-\u9fff]/.test(t)), texts.join(' | '))
    await shot(p, 'desktop-request-empty-form')
    await p.locator('[data-test=resident-search] input').fill(asker.name)
    await p.locator(`[data-test=resident-option-${asker.id}]`).click()
    await p.locator('[data-test=resident-picked]').waitFor()
    const stale = await p.getByText('必填').count()
    const left = await p.locator('.van-field__error-message').count()
    check('a picked resident clears its message', left === texts.length - 1, `${left} of ${texts.length} left, ${stale} 必填`)
    const shown = await p.locator('main').evaluate((el, name) => el.innerText.split(name).length - 1, asker.name)
    check('the picked name shows once', shown === 1, `${shown} times`)
    await shot(p, 'desktop-request-picked')
    await ctx.close()
  })

  // A request with no negative and no round today: the aid does not send them to one.
  const planned = minutesFromNow(120).replace('T', ' ')
  const request = await secretaryApi('POST', '/exit-requests', {
    resident_id: asker.id, reason: 'medical_staff_return', destination: '仁济医院', planned_exit: planned,
    planned_return: minutesFromNow(600).replace('T', ' '),
  })
  check('a request is filed', request.status === 201, JSON.stringify(request.body))
  const aidText = async (p) => {
    const rule = p.locator('[data-test="rule-exit.needs_negative_within"]')
    await rule.waitFor()
    return rule.innerText()
  }
  await step('no round today: the aid says to arrange a swab', async () => {
    const ctx = await browser.newContext(desktop)
    watchOutside(ctx, base, outside)
    const p = await ctx.newPage()
    await login(p, base, 'secretary', logins.secretary)
    await p.goto(`${base}/desk/requests/${request.body.id}`)
    const text = await aidText(p)
    check('no "today\'s screening" without a round', !text.includes('参加今天的核酸筛查') && text.includes('请安排单独采样'), text)
    const page = await p.locator('main').innerText()
    check('无阳性记录, not 未检测阳性', page.includes('无阳性记录') && !page.includes('未检测阳性'), page.slice(0, 400))
    await shot(p, 'desktop-request-no-round')
    await ctx.close()
  })

  // Rounds: the day's first through the API, the second through the page, which asks first.
  const first = await secretaryApi('POST', '/rounds', { day: today() })
  check('the day\'s first round', first.status === 201 && first.body.number_in_day === 1, JSON.stringify(first.body))
  let second = null
  await step('a second round of the day asks first and is 第2轮', async () => {
    const ctx = await browser.newContext(desktop)
    watchOutside(ctx, base, outside)
    const p = await ctx.newPage()
    await login(p, base, 'secretary', logins.secretary)
    await p.goto(`${base}/desk/rounds`)
    await p.locator('[data-test=round-item]').first().waitFor()
    const listed = await p.locator('[data-test=round-link]').first().innerText()
    check('rounds are named 第N轮 with their time', /第1轮 · \d\d:\d\d/.test(listed), listed)
    await p.locator('[data-test=round-day] input').fill(today())
    await p.locator('[data-test=round-create]').click()
    const dialog = p.locator('.van-dialog')
    await dialog.waitFor()
    const asked = await dialog.innerText()
    check('the page asks before a second round of a day', asked.includes('已有 1 轮') && asked.includes('第2轮'), asked)
    await shot(p, 'desktop-round-second-confirm')
    await dialog.getByRole('button', { name: '再建一轮' }).click()
    await p.waitForURL(/\/desk\/rounds\/\d+$/)
    const named = await p.waitForFunction(() => document.querySelector('[data-test=round-title]')?.textContent.includes('第2轮'),
      null, { timeout: 10000 }).then(() => true, () => false)
    check('the new round is 第2轮', named, await p.locator('[data-test=round-title]').innerText())
    second = Number(p.url().match(/rounds\/(\d+)$/)[1])
    await shot(p, 'desktop-round-second')
    await ctx.close()
  })
  await step('the aid sends them to today\'s round once there is one', async () => {
    const ctx = await browser.newContext(desktop)
    const p = await ctx.newPage()
    await login(p, base, 'secretary', logins.secretary)
    await p.goto(`${base}/desk/requests/${request.body.id}`)
    const text = await aidText(p)
    check('with a round: 参加今天的核酸筛查', text.includes('参加今天的核酸筛查'), text)
    await ctx.close()
  })
  await step('the second round\'s door-knock list counts the first round\'s swabs', async () => {
    const staffApi = await apiAs(base, 'staff', logins.staff)
    const swab = await staffApi('POST', `/rounds/${first.body.id}/samples`, { tube_code: 'P-2-0001', resident_id: asker.id })
    check('swabbed in the first round', swab.status === 201, JSON.stringify(swab.body))
    const list = await staffApi('GET', `/rounds/${second}/door-knock`)
    const ids = JSON.stringify(list.body).match(/"id":"\d+"/g) || []
    check('not on the second round\'s list', list.status === 200 && !ids.includes(`"id":"${asker.id}"`), `${ids.length} ids`)
  })

  // The emergency release shows the short code and prints the pass.
  let code = ''
  let passId = ''
  await step('an emergency release shows its short code and prints', async () => {
    const ctx = await browser.newContext(phone)
    watchOutside(ctx, base, outside)
    const p = await ctx.newPage()
    await login(p, base, 'staff', logins.staff)
    await p.goto(`${base}/desk/emergency`)
    await p.locator('[data-test=resident-search] input').fill(holder.name)
    await p.locator(`[data-test=resident-option-${holder.id}]`).click()
    await p.locator('[data-test=emergency-reason-childbirth]').check()
    await p.locator('[data-test=emergency-destination] input').fill('国际妇幼保健院')
    await p.locator('[data-test=emergency-note] textarea').fill('临产，120 已到')
    await p.locator('[data-test=release]').click()
    const shown = p.locator('[data-test=released-short-code] strong')
    await shown.waitFor()
    code = (await shown.innerText()).trim()
    check('the release shows the code as XXXX-XXXX', /^[0-9A-Z]{4}-[0-9A-Z]{4}$/.test(code), code)
    const print = p.locator('[data-test=released-print]')
    const href = await print.getAttribute('href')
    passId = href.match(/passes\/(\d+)\/pdf/)[1]
    const pdf = await p.evaluate(async (url) => {
      const r = await fetch(url)
      return { status: r.status, type: r.headers.get('content-type'), head: new TextDecoder().decode((await r.arrayBuffer()).slice(0, 5)) }
    }, href)
    check('打印出入证 gives the pass PDF', pdf.status === 200 && pdf.type === 'application/pdf' && pdf.head === '%PDF-', JSON.stringify(pdf))
    await shot(p, 'phone-emergency-short-code')
    await ctx.close()
  })

  // The holder's own phone shows the code under the QR code.
  await step('the pass page shows the short code', async () => {
    cli(['user', 'add', 'holder', '--role', 'resident', '--resident', holder.id, '--password-stdin'], 'holder-password-2022\n')
    const ctx = await browser.newContext(phone)
    watchOutside(ctx, base, outside)
    const p = await ctx.newPage()
    await login(p, base, 'holder', 'holder-password-2022')
    await p.goto(`${base}/me/passes/${passId}`)
    const shown = p.locator('[data-test=pass-short-code]')
    await shown.waitFor()
    check('the code under the QR code', (await shown.innerText()).includes(code), await shown.innerText())
    await shot(p, 'phone-pass-short-code')
    await ctx.close()
  })

  // The gate: a typo is caught on the phone; the code typed as people type it lets her out.
  await step('the gate takes a typed short code', async () => {
    const ctx = await browser.newContext(phone)
    watchOutside(ctx, base, outside)
    const p = await ctx.newPage()
    await login(p, base, 'gate', logins.gate)
    const sent = []
    p.on('request', (r) => {
      if (r.url().includes('/api/v1/gate/check')) sent.push(r.postData())
    })
    const plain = code.replace('-', '')
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
    const typo = plain.slice(0, 3) + alphabet[(alphabet.indexOf(plain[3]) + 1) % 32] + plain.slice(4)
    await p.locator('[data-test=typed] input').fill(typo)
    await p.locator('[data-test=check-typed]').click()
    const error = p.locator('[data-test=typed] .van-field__error-message')
    const caught = await error.filter({ hasText: '编码有误，请核对' }).waitFor({ timeout: 5000 }).then(() => true, () => false)
    check('a mistyped code: 编码有误，请核对, nothing sent', caught && sent.length === 0, `${await error.textContent().catch(() => '')}; ${sent.length} sent`)
    await shot(p, 'phone-gate-code-typo')
    await p.locator('[data-test=typed] input').fill(` ${code.toLowerCase()} `)
    await p.locator('[data-test=check-typed]').click()
    const verdict = p.locator('[data-test=verdict]')
    await verdict.waitFor()
    check('the typed code lets her out: 放行', (await p.locator('[data-test=verdict-word]').innerText()) === '放行' &&
      (await verdict.getAttribute('data-code')) === 'gate.out', await verdict.innerText())
    check('the code went as one spelling', sent.length === 1 && JSON.parse(sent[0]).code === plain, sent.join())
    await shot(p, 'phone-gate-code-allow')
    await ctx.close()
  })
  await step('out on her pass, she is on no door-knock list', async () => {
    const list = await secretaryApi('GET', `/rounds/${second}/door-knock`)
    const ids = JSON.stringify(list.body).match(/"id":"\d+"/g) || []
    check('out: not on the list', list.status === 200 && !ids.includes(`"id":"${holder.id}"`), `${ids.length} ids`)
  })

  // One format of a time: the register shows today's times without the year.
  await step('times read as one format', async () => {
    const ctx = await browser.newContext(desktop)
    const p = await ctx.newPage()
    await login(p, base, 'secretary', logins.secretary)
    await p.goto(`${base}/desk/register`)
    const cell = p.locator('td.nowrap').first()
    await cell.waitFor()
    const text = (await cell.innerText()).trim()
    check('today: MM-DD HH:MM:SS', /^\d\d-\d\d \d\d:\d\d:\d\d$/.test(text), text)
    await ctx.close()
  })

  check('the app asks no other server', outside.length === 0, outside.slice(0, 5).join('\n'))
})
