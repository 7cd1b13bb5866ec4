// Keyboard and screen-reader help for the whole app, installed once by main.js: Vant's clickable
// rows answer Enter and Space, focus lands on the new screen's heading after a route change, and
// toasts are spoken through a polite live region of our own (Vant renders a toast as a focusable
// `dialog`, which is never announced).
import { nextTick, reactive } from 'vue'
import { setToastDefaultOptions } from 'vant'

// What the live region in App.vue reads out.
export const announcer = reactive({ text: '' })

// Speaks `text` politely; the same words twice are spoken twice (the region is emptied first).
export function announce(text) {
  announcer.text = ''
  setTimeout(() => (announcer.text = text), 50)
}

// Moves focus to the screen's main heading (or its main region), made focusable for the purpose.
// Returns whether there was one.
export function focusMain() {
  const target = document.querySelector('main h1') || document.querySelector('main')
  if (!target) return false
  if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1')
  target.setAttribute('data-route-focus', '')
  target.focus({ preventScroll: false })
  return document.activeElement === target
}

// Elements with a role that clicks act on, but that the browser does not activate from the keyboard
// when they are not a native control (Vant's cells with `to`/`url`/`is-link`, its checkboxes and
// radios are divs with role and tabindex).
const activatable = '[role=button], [role=link], [role=checkbox], [role=radio], [role=switch], [role=tab], [role=option], [role=menuitem]'
const native = 'a[href], button, input, select, textarea, summary'

function onKeydown(event) {
  if (event.key !== 'Enter' && event.key !== ' ') return
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return
  const el = event.target
  if (!(el instanceof Element) || !el.matches(activatable) || el.matches(native)) return
  if (el.getAttribute('aria-disabled') === 'true') return
  event.preventDefault()
  el.click()
}

// Waits (up to ~3 s, for a screen that loads its data first) for the new screen's heading.
function focusWhenReady(tries = 30) {
  const active = document.activeElement
  // a control the screen focused itself (autofocus) keeps the focus
  if (active && active !== document.body && document.querySelector('main')?.contains(active)) return
  if (document.querySelector('main h1') || tries <= 0) {
    focusMain()
    return
  }
  setTimeout(() => focusWhenReady(tries - 1), 100)
}

export function installA11y(router) {
  document.addEventListener('keydown', onKeydown)
  // The first screen keeps the focus on the page, so that Tab reaches the skip link first.
  let first = true
  router.afterEach((to, from, failure) => {
    if (failure) return
    if (first) {
      first = false
      return
    }
    if (to.path === from.path) return
    nextTick(() => setTimeout(() => focusWhenReady(), 0))
  })
  // Toasts: not a focusable dialog but hidden from screen readers, which hear the live region.
  setToastDefaultOptions({
    role: undefined,
    tabindex: undefined,
    'aria-hidden': 'true',
    onOpened: () => {
      const shown = [...document.querySelectorAll('.van-toast')].filter((t) => t.style.display !== 'none')
      const text = shown.at(-1)?.textContent.trim()
      if (text) announce(text)
    },
  })
}
