// Issue 18, item 5: one server for many communities. The admin adds a community and a street
// office's account at the desk, each password shown once; the street office's account, on a
// phone, sees its street's communities and nothing of another's.
//
//   node web/tests/communities.story.mjs --juwei build/src/cli/juwei --web build/share/juwei/web --out DIR
import { runStory, check, step, shot, login, apiAs, desktop, phone, unlabelled } from './harness.mjs'

// Text that reads like a code ("user.exists", "community.create") in what the page shows.
const kCode = /\b[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*\b/

runStory('communities', async (browser, base, logins) => {
  let streetPassword = ''

  await step('the admin adds a community and a street office account at the desk', async () => {
    const ctx = await browser.newContext(desktop)
    const page = await ctx.newPage()
    await login(page, base, 'admin', logins.admin)
    await page.locator('[data-test=card-communities]').click()
    await page.waitForSelector('[data-test=communities-table]')
    const before = await page.locator('[data-test=communities-table] tbody tr').count()
    check('the admin sees the seed community listed', before >= 1)

    await page.getByLabel('居民区名称').fill('西园居民区')
    await page.getByLabel('所属街道（可不填）').fill('虹桥街道')
    await page.getByLabel('管理员用户名（可不填）').fill('xiyuan-admin')
    await page.locator('[data-test=community-submit]').click()
    const dialog = page.locator('[data-test=password-dialog]')
    await dialog.waitFor()
    check('the new community\'s admin login is shown once',
      (await page.locator('[data-test=new-username]').innerText()) === 'xiyuan-admin' &&
      (await page.locator('[data-test=new-password]').innerText()).length >= 12)
    check('the dialog says the password is shown once', (await dialog.innerText()).includes('只显示这一次'))
    await page.waitForTimeout(400)  // the dialog's fade-in
    await shot(page, 'communities-admin-password')
    await page.getByRole('button', { name: '已记下' }).click()
    await page.locator('[data-community="西园居民区"]').waitFor()
    check('the new community is in the table with its street',
      (await page.locator('[data-community="西园居民区"]').innerText()).includes('虹桥街道'))

    // A street office's account: the street is offered from the list.
    await page.locator('[data-test=street-account-street]').fill('虹桥街道')
    await page.locator('[data-test=street-account-username]').fill('jiedao1')
    await page.locator('[data-test=street-account-submit]').click()
    await page.locator('[data-test=password-dialog]').waitFor()
    streetPassword = await page.locator('[data-test=new-password]').innerText()
    check('the street account\'s password is shown', streetPassword.length >= 12)
    await page.getByRole('button', { name: '已记下' }).click()

    // The same username again: said under the field, in Chinese.
    await page.locator('[data-test=street-account-street]').fill('虹桥街道')
    await page.locator('[data-test=street-account-username]').fill('jiedao1')
    await page.locator('[data-test=street-account-submit]').click()
    const taken = page.locator('[data-test=street-account-add] .error')
    await taken.waitFor()
    check('a taken username is said under its field', (await taken.innerText()).includes('已被使用'), await taken.innerText())
    const text = await page.locator('main').innerText()
    check('no raw code on the communities screen', !kCode.test(text), text.match(kCode)?.[0])
    check('every control on the screen has a name', (await unlabelled(page)).length === 0, JSON.stringify(await unlabelled(page)))
    await shot(page, 'communities-admin')
    await ctx.close()
  })

  await step('the street office\'s account sees its street\'s communities on a phone', async () => {
    const ctx = await browser.newContext(phone)
    const page = await ctx.newPage()
    await login(page, base, 'jiedao1', streetPassword)
    await page.locator('[data-test=dash-street]').waitFor()
    await shot(page, 'communities-street-dashboard')
    await page.locator('[data-test=card-communities]').click()
    await page.waitForSelector('[data-test=communities-table]')
    const text = await page.locator('main').innerText()
    check('the street sees its community', text.includes('西园居民区'))
    const seed = (await (await apiAs(base, 'admin', logins.admin))('GET', '/communities')).body.items
      .find((c) => c.name !== '西园居民区')
    check('the street does not see another street\'s community', !!seed && !text.includes(seed.name), seed?.name)
    check('the street\'s page is titled by its street', text.includes('虹桥街道的居民区'))
    check('the street gets no form to add', (await page.locator('[data-test=community-add]').count()) === 0)
    check('no raw code on the street\'s screen', !kCode.test(text), text.match(kCode)?.[0])
    const width = await page.evaluate(() => document.documentElement.scrollWidth)
    check('the page fits the phone\'s width', width <= 390, String(width))
    await shot(page, 'communities-street-phone')
    // The register is not the street's: its routes send it home.
    await page.goto(`${base}/desk/registry`)
    await page.locator('[data-test=dash-street]').waitFor()
    check('the street is sent home from the registry', new URL(page.url()).pathname === '/desk')
    await ctx.close()
  })
})
