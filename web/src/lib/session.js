// Who is logged in. The token lives in the HttpOnly cookie the server sets; the page only keeps
// the user it describes. A 401 anywhere clears it and sends the user to the login page, which
// brings them back where they were after logging in again.
import { reactive } from 'vue'
import { get, post, del, onSessionExpired } from './api.js'

export const session = reactive({ user: null, checked: false, expired: false })

// The roles' home pages.
export function homeOf(role) {
  if (role === 'gate') return '/gate'
  if (role === 'volunteer') return '/volunteer'
  if (role === 'resident') return '/me'
  return '/desk'
}

// The last user seen, for a page reloaded without the network (a gate phone offline): the
// cookie still holds the session, and the server checks it again on the next request.
const kUser = 'juwei.user'
function remember(user) {
  if (user) localStorage.setItem(kUser, JSON.stringify(user))
  else localStorage.removeItem(kUser)
}

export async function restore() {
  if (session.checked) return session.user
  try {
    session.user = await get('/me')
  } catch (e) {
    // Unreachable server (a TypeError from fetch): keep whoever was logged in here.
    session.user = e instanceof TypeError ? JSON.parse(localStorage.getItem(kUser) || 'null') : null
  }
  remember(session.user)
  session.checked = true
  return session.user
}

export async function login(username, password) {
  const answer = await post('/session', { username, password })
  session.user = answer.user
  session.expired = false
  try {
    session.user = await get('/me')
  } catch {
    /* keep the login's user */
  }
  session.checked = true
  remember(session.user)
  return session.user
}

export async function logout() {
  try {
    await del('/session')
  } finally {
    session.user = null
    remember(null)
  }
}

export function hasRole(...roles) {
  return !!session.user && roles.includes(session.user.role)
}

let router = null
export function bindRouter(r) {
  router = r
  onSessionExpired(() => {
    if (!session.user) return
    session.user = null
    remember(null)
    session.expired = true
    const here = router.currentRoute.value
    if (here.name !== 'login') router.replace({ name: 'login', query: { next: here.fullPath } })
  })
}
