// What every browser story shares: the arguments, the server on a temporary SQLite database, the
// seed community's logins, Debian's chromium, checks, screenshots and the closing summary.
//
//   node web/tests/STORY.mjs --juwei build/src/cli/juwei --web build/share/juwei/web --out DIR
//
// A story is `runStory(name, async (browser, base, logins) => ...)`: it gets a fresh seed
// community (`juwei demo --no-serve`, with the story's demoArgs) served on a free port, and its
// checks are counted; the process exits 1 when any failed. Screenshots and the server's log go
// to DIR.
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium } from 'playwright-core'

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
)
export const juwei = resolve(args.juwei || 'build/src/cli/juwei')
export const webRoot = resolve(args.web || 'build/share/juwei/web')
export const out = resolve(args.out || 'build/browser-artifacts')
mkdirSync(out, { recursive: true })
export const work = mkdtempSync(join(tmpdir(), 'juwei-browser-'))
export const db = `sqlite:${join(work, 'juwei.db')}`
export const chromiumArgs = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
]
export const desktop = { viewport: { width: 1280, height: 800 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' }
export const phone = {
  viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
  locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
}

export const serverLog = []
let passed = 0
let failed = 0
export const figures = {}
export const screenshots = []
export function check(name, ok, detail = '') {
  if (ok) {
    passed++
    console.log(`ok   ${name}`)
  } else {
    failed++
    console.log(`FAIL ${name}${detail ? `: ${detail}` : ''}`)
  }
}
export async function step(name, fn) {
  try {
    await fn()
  } catch (e) {
    failed++
    console.log(`FAIL ${name}: ${e.stack || e}`)
  }
}
export async function shot(page, name) {
  const path = join(out, `${name}.png`)
  // On a phone the desk's page scrolls in its frame (above the emergency bar): the whole page is
  // taken with the window as tall as the frame's content.
  const size = page.viewportSize()
  const tall = await page.evaluate(() => {
    const frame = document.querySelector('[data-scroll-frame]')
    return frame && frame.scrollHeight > frame.clientHeight ? window.innerHeight + frame.scrollHeight - frame.clientHeight : 0
  })
  if (tall) await page.setViewportSize({ width: size.width, height: Math.ceil(tall) })
  await page.screenshot({ path, fullPage: true })
  if (tall) await page.setViewportSize(size)
  screenshots.push(path)
}

// Controls the emergency button (the visible link 紧急出门) covers anywhere on the page: the
// page is scrolled from top to bottom, and at each stop the part of each control the user can
// see (clipped by the window and by every ancestor that clips) is compared with the button's box.
export async function coveredBySos(page) {
  return page.evaluate(async () => {
    const sos = [...document.querySelectorAll('a')].find((a) => a.textContent.trim() === '紧急出门' && a.checkVisibility())
    if (!sos) return ['(no emergency button)']
    const frame = document.querySelector('[data-scroll-frame]')
    const scroller = frame && frame.scrollHeight > frame.clientHeight ? frame : document.scrollingElement
    const visible = { visibilityProperty: true, opacityProperty: true }
    const controls = [...document.querySelectorAll(
      'button, input:not([type=hidden]), select, textarea, a[href], [role=button], [role=radio], [role=checkbox], label:has(input[type=file])')]
      .filter((el) => !sos.contains(el) && !el.contains(sos) && el.checkVisibility(visible))
    const seen = (el) => {
      const r = el.getBoundingClientRect()
      let [l, t, rr, b] = [r.left, r.top, r.right, r.bottom]
      const clip = (q) => {
        l = Math.max(l, q.left); t = Math.max(t, q.top); rr = Math.min(rr, q.right); b = Math.min(b, q.bottom)
      }
      for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
        const cs = getComputedStyle(a)
        if (cs.overflowX !== 'visible' || cs.overflowY !== 'visible') clip(a.getBoundingClientRect())
      }
      clip({ left: 0, top: 0, right: innerWidth, bottom: innerHeight })
      return rr > l && b > t ? { l, t, r: rr, b } : null
    }
    const hits = new Set()
    const stepPx = 40
    for (let y = 0; ; y += stepPx) {
      scroller.scrollTop = y
      await new Promise((resolve) => requestAnimationFrame(() => resolve()))
      const s = sos.getBoundingClientRect()
      for (const el of controls) {
        const v = seen(el)
        if (v && v.l < s.right && v.r > s.left && v.t < s.bottom && v.b > s.top) {
          hits.add(`${el.tagName.toLowerCase()} "${(el.textContent || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 30)}" at scroll ${y}`)
        }
      }
      if (y >= scroller.scrollHeight - scroller.clientHeight) break
    }
    scroller.scrollTop = 0
    return [...hits]
  })
}

export function cli(argv, input) {
  return execFileSync(juwei, [...argv, '--db', db], { input, encoding: 'utf8', cwd: work })
}

// The server, on a free port; resolves to its base URL once it listens.
export function startServer() {
  return new Promise((resolvePromise, reject) => {
    const server = spawn(juwei, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--web', webRoot], { cwd: work })
    let text = ''
    server.stdout.on('data', (d) => {
      text += d
      const m = text.match(/listening on (http:\/\/[\d.]+:\d+)/)
      if (m) resolvePromise({ server, base: m[1] })
    })
    server.stderr.on('data', (d) => {
      serverLog.push(String(d))
    })
    server.on('exit', (code) => reject(new Error(`juwei serve exited with ${code}: ${text}`)))
  })
}

export async function apiAs(base, username, password) {
  const r = await fetch(`${base}/api/v1/session`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }),
  })
  if (r.status !== 201) throw new Error(`login ${username}: ${r.status}`)
  const { token } = await r.json()
  return async (method, path, body, headers = {}) => {
    const init = { method, headers: { Authorization: `Bearer ${token}`, ...headers } }
    if (body !== undefined) {
      init.body = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body)
      init.headers['Content-Type'] ||= 'application/json'
    }
    const res = await fetch(`${base}/api/v1${path}`, init)
    const type = res.headers.get('Content-Type') || ''
    return { status: res.status, body: type.includes('json') ? await res.json() : await res.text() }
  }
}

export async function login(page, base, username, password) {
  await page.goto(`${base}/login`)
  await page.getByLabel('用户名').fill(username)
  await page.getByLabel('密码').fill(password)
  await page.getByRole('button', { name: '登录' }).click()
  await page.waitForURL((url) => !url.pathname.startsWith('/login'))
}

// Controls without an accessible name: inputs, selects, textareas and buttons.
export async function unlabelled(page) {
  return page.evaluate(() => {
    const named = (el) => {
      if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.title) return true
      if (el.labels && el.labels.length) return true
      if (el.closest('label')) return true
      if ((el.tagName === 'BUTTON' || el.getAttribute('role') === 'button') && el.textContent.trim()) return true
      if (el.type === 'submit' && el.value) return true
      return false
    }
    return [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
      .filter((el) => el.offsetParent !== null && !named(el))
      .map((el) => el.outerHTML.slice(0, 120))
  })
}

export const tinyPng = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')

// Whether `locator` reads `text` in letters at least 36 px high.
export async function bigText(locator, text) {
  const [content, size] = await locator.evaluate((el) => [el.textContent.trim(), parseFloat(getComputedStyle(el).fontSize)])
    .catch(() => ['', 0])
  return content === text && size >= 36
}

// ISO-8601 with the +08:00 offset, to the second.
export function shanghaiIso(d) {
  const local = new Date(d.getTime() + 8 * 3600000).toISOString().slice(0, 19)
  return `${local}+08:00`
}

// "YYYY-MM-DDTHH:MM" (a datetime-local value) `minutes` from now in Shanghai.
export function minutesFromNow(minutes) {
  const d = new Date(Date.now() + minutes * 60000)
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(d)
  const v = Object.fromEntries(parts.map((x) => [x.type, x.value]))
  return `${v.year}-${v.month}-${v.day}T${v.hour}:${v.minute}`
}

// "YYYY-MM-DDTHH:MM" (a datetime-local value) `days` from today in Shanghai.
export function dayAfter(days, hhmm) {
  const d = new Date(Date.now() + days * 86400000)
  const date = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(d)
  return `${date}T${hhmm}`
}

// Runs one story on a fresh seed community; `name` names its log and figures files in DIR.
// `demoArgs` go to `juwei demo` (say, ['--history', '14']: the seed made 14 days back).
export function runStory(name, story, { demoArgs = [] } = {}) {
  const main = async () => {
    // The seed community and its logins.
    const demo = cli(['demo', '--no-serve', ...demoArgs])
    const logins = Object.fromEntries([...demo.matchAll(/^\s+(\S+)\s+(admin|secretary|staff|gate|volunteer)\s+(\S+)$/gm)].map((m) => [m[1], m[3]]))
    check('demo prints the logins', logins.secretary && logins.staff && logins.gate, demo)
    const { server, base } = await startServer()
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: chromiumArgs })
    try {
      await story(browser, base, logins)
    } finally {
      await browser.close()
      server.kill('SIGTERM')
    }
  }
  main()
    .catch((e) => {
      failed++
      console.log(`FAIL ${e.stack || e}`)
    })
    .finally(() => {
      const prefix = name === 'browser' ? '' : `${name}-`
      writeFileSync(join(out, `${prefix}figures.json`), JSON.stringify({ ...figures, screenshots }, null, 2))
      console.log(`\nfigures: ${JSON.stringify(figures)}`)
      console.log(`screenshots: ${out}`)
      writeFileSync(join(out, `${prefix}server.log`), serverLog.join(''))
      if (failed) console.log(`server log: ${join(out, `${prefix}server.log`)}`)
      console.log(`${name} tests: ${passed} passed, ${failed} failed`)
      rmSync(work, { recursive: true, force: true })
      process.exit(failed ? 1 : 0)
    })
}
