// The names of the accounts other records cite by id (the register's gate user, the audit
// trail's actor, a building's status changes): GET /users, read once per page load and shared.
// Until it answers, or for an id it does not list (a resident's own account), a record shows
// "用户 #id".
import { reactive } from 'vue'
import { get } from './api.js'

const names = reactive({})
let loading = null

export function loadUserNames() {
  if (!loading) {
    loading = get('/users')
      .then((page) => {
        for (const u of page.items) names[u.id] = u.username
      })
      .catch(() => {
        loading = null // try again on the next page that asks
      })
  }
  return loading
}

// `id`'s username, or `fallback(id)` when it is not known (yet).
export function userName(id, fallback) {
  return names[id] ?? fallback(id)
}
